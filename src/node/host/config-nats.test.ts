import { describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';

const withNats = (nats: unknown) => () => validateHostConfig({ capture: { nats } });

describe('capture.nats configuration', () => {
  it('is off by default and loads nothing', () => {
    expect(validateHostConfig({}).capture.nats).toEqual({
      servers: [],
      host: 'netrx',
      publish: [],
      serve: [],
      maxBuffered: 4096,
      replicas: 1,
    });
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
          servers: ['nats://127.0.0.1:4222'],
          host: 'lab-1',
          publish: ['lab'],
          serve: [{ name: 'fleet', stream: 'lab', hosts: 'lab-*' }],
        },
      },
    });
    expect(config.capture.nats.serve).toEqual([{ name: 'fleet', stream: 'lab', hosts: 'lab-*' }]);
  });

  it('names the key that is wrong', () => {
    expect(withNats({ publish: ['default'] })).toThrow(/capture\.nats\.servers: name at least one/);
    expect(withNats({ servers: ['nats://x:1'], publish: ['nope'] })).toThrow(
      /capture\.nats\.publish\[0\]: "nope" is not a session/,
    );
    expect(withNats({ servers: ['nats://x:1'], serve: [{ name: 'default' }] })).toThrow(
      /capture\.nats\.serve\[0\]\.name: "default" is already a session/,
    );
    expect(withNats({ servers: ['http://x'] })).toThrow(/capture\.nats\.servers\[0\]/);
    expect(withNats({ host: 'a.b' })).toThrow(/capture\.nats\.host/);
    expect(withNats({ servers: ['nats://x:1'], serve: [{ name: 'f', hosts: 'a b' }] })).toThrow(
      /capture\.nats\.serve\[0\]\.hosts/,
    );
  });
});
