import { describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { captureNatsHost } from './config-nats.js';

const SERVERS = { nats: { servers: ['nats://x:1'] } };
const withNats = (nats: unknown) => () =>
  validateHostConfig({ capture: { nats }, cluster: SERVERS });

describe('capture.nats configuration', () => {
  it('is off by default and loads nothing', () => {
    expect(validateHostConfig({}).capture.nats).toEqual({
      host: '',
      publish: [],
      serve: [],
      maxBuffered: 4096,
      replicas: 1,
      streamBytes: 0,
      streamMessages: 0,
      batchBytes: 8192,
      batchEvents: 64,
      pullBudgetBytes: 8 * 1024 * 1024,
    });
  });

  it('takes the batch cut batchBytes (8192 to 65536) and batchEvents (1 to 65536), issue #16', () => {
    const nats = (cut: Record<string, unknown>) =>
      validateHostConfig({ capture: { nats: cut } }).capture.nats;
    expect(nats({ batchBytes: 32_768, batchEvents: 256 })).toMatchObject({
      batchBytes: 32_768,
      batchEvents: 256,
    });
    expect(nats({ batchBytes: 8192, batchEvents: 1 })).toMatchObject({
      batchBytes: 8192,
      batchEvents: 1,
    });
    expect(nats({ batchBytes: 65_536, batchEvents: 65_536 })).toMatchObject({
      batchBytes: 65_536,
      batchEvents: 65_536,
    });
    expect(() => nats({ batchBytes: 8191 })).toThrow(
      'capture.nats.batchBytes: expected an integer from 8192 to 65536, got 8191',
    );
    expect(() => nats({ batchBytes: 65_537 })).toThrow(
      'capture.nats.batchBytes: expected an integer from 8192 to 65536, got 65537',
    );
    expect(() => nats({ batchBytes: '32KiB' })).toThrow(/capture\.nats\.batchBytes/);
    expect(() => nats({ batchEvents: 0 })).toThrow(
      'capture.nats.batchEvents: expected an integer from 1 to 65536, got 0',
    );
    expect(() => nats({ batchEvents: 65_537 })).toThrow(
      'capture.nats.batchEvents: expected an integer from 1 to 65536, got 65537',
    );
  });

  it('takes pullBudgetBytes, at least one pull request of 128 KiB and at most 1 GiB (issue 16)', () => {
    const nats = (pullBudgetBytes: unknown) =>
      validateHostConfig({ capture: { nats: { pullBudgetBytes } } }).capture.nats;
    expect(nats(131_072).pullBudgetBytes).toBe(131_072);
    expect(nats(64 * 1024 * 1024).pullBudgetBytes).toBe(64 * 1024 * 1024);
    expect(() => nats(131_071)).toThrow(
      'capture.nats.pullBudgetBytes: expected an integer from 131072 to 1073741824, got 131071',
    );
    expect(() => nats(2 ** 30 + 1)).toThrow(/capture\.nats\.pullBudgetBytes/);
    expect(() => nats('8MiB')).toThrow(/capture\.nats\.pullBudgetBytes/);
  });

  it("publishes and reads as this machine's identity unless host names one (issue 16)", () => {
    const machine = () => 'box-7';
    const defaults = validateHostConfig({}).capture.nats;
    expect(captureNatsHost(defaults, machine)).toEqual({ host: 'box-7', derived: true });
    const named = validateHostConfig({ capture: { nats: { host: 'netrx' } } }).capture.nats;
    expect(captureNatsHost(named, machine)).toEqual({ host: 'netrx', derived: false });
    expect(withNats({ host: 'a'.repeat(17) })).toThrow(/capture\.nats\.host/);
    expect(withNats({ host: 'lab.1' })).toThrow(/capture\.nats\.host/);
  });

  it('takes 1 to 5 stream replicas', () => {
    expect(validateHostConfig({ capture: { nats: { replicas: 3 } } }).capture.nats.replicas).toBe(
      3,
    );
    expect(withNats({ replicas: 0 })).toThrow(/replicas/);
    expect(withNats({ replicas: 6 })).toThrow(/replicas/);
  });

  it('accepts publishers of local sessions and served sessions with host globs', () => {
    const config = validateHostConfig({
      capture: {
        sessions: [{ name: 'lab' }],
        nats: {
          host: 'lab-1',
          publish: ['lab'],
          serve: [{ name: 'fleet', stream: 'lab', hosts: 'lab-*' }],
        },
      },
      cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } },
    });
    expect(config.capture.nats.serve).toEqual([{ name: 'fleet', stream: 'lab', hosts: 'lab-*' }]);
  });

  it('refuses two serve entries on one stream whose hosts can overlap (a work queue gives each host one reader)', () => {
    const serve =
      (hosts: [string, string], streams: [string, string] = ['lab', 'lab']) =>
      () =>
        validateHostConfig({
          capture: {
            nats: {
              serve: [
                { name: 'a', stream: streams[0], hosts: hosts[0] },
                { name: 'b', stream: streams[1], hosts: hosts[1] },
              ],
            },
          },
          cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } },
        });
    expect(serve(['lab-*', '*-1'])).toThrow(
      /capture\.nats\.serve\[1\]\.hosts: "\*-1" and capture\.nats\.serve\[0\]\.hosts "lab-\*" can match the same host/,
    );
    expect(serve(['lab-*', 'lab-?'])).toThrow(/same host/);
    expect(serve(['lab-*', 'prod-*'])).not.toThrow();
    expect(serve(['lab-*', 'lab-*'], ['lab', 'other'])).not.toThrow();
  });

  it('names the key that is wrong', () => {
    expect(() => validateHostConfig({ capture: { nats: { publish: ['default'] } } })).toThrow(
      /^capture\.nats\.publish: needs cluster\.nats\.servers/,
    );
    expect(() => validateHostConfig({ capture: { nats: { serve: [{ name: 'fleet' }] } } })).toThrow(
      /^capture\.nats\.serve: needs cluster\.nats\.servers/,
    );
    expect(withNats({ publish: ['nope'] })).toThrow(
      /capture\.nats\.publish\[0\]: "nope" is not a session/,
    );
    expect(withNats({ serve: [{ name: 'default' }] })).toThrow(
      /capture\.nats\.serve\[0\]\.name: "default" is already a session/,
    );
    expect(withNats({ host: 'a.b' })).toThrow(/capture\.nats\.host/);
    expect(withNats({ serve: [{ name: 'f', hosts: 'a b' }] })).toThrow(
      /capture\.nats\.serve\[0\]\.hosts/,
    );
  });

  it('refuses servers, which moved to cluster.nats.servers', () => {
    expect(withNats({ servers: ['nats://x:1'] })).toThrow(
      /^capture\.nats\.servers: moved to cluster\.nats\.servers: the host has one NATS connection/,
    );
  });
});
