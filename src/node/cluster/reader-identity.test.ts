import fc from 'fast-check';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkReaderId, defaultReaderId, readerIdFromHostName } from './reader-identity.js';
import { StreamSessionSource } from './reader.js';
import { FakeJetStream } from './fake-jetstream.js';

describe('reader identity (review16 R2)', () => {
  it('keeps a name that is an identity; derives one (prefix + digest) from any other', () => {
    expect(readerIdFromHostName('build-7')).toBe('build-7');
    expect(readerIdFromHostName('capture_server16')).toBe('capture_server16');
    expect(readerIdFromHostName('build-7.lab.example')).toMatch(/^build-7-[0-9a-f]{8}$/);
    expect(readerIdFromHostName('a very+long name of a box')).toMatch(/^a-very--[0-9a-f]{8}$/);
    expect(readerIdFromHostName('')).toBe('reader');
    expect(readerIdFromHostName('.local')).toMatch(/^r-[0-9a-f]{8}$/);
    // Host names are not case-sensitive: one machine, one identity.
    expect(readerIdFromHostName('Lab1.Site-A')).toBe(readerIdFromHostName('lab1.site-a'));
    expect(defaultReaderId()).toBe(readerIdFromHostName(hostname()));
  });

  it('two host names that differ after the cut or after the first dot get two identities (review16c N1)', () => {
    expect(readerIdFromHostName('capture-server-01')).not.toBe(
      readerIdFromHostName('capture-server-02'),
    );
    expect(readerIdFromHostName('lab1.site-a')).not.toBe(readerIdFromHostName('lab1.site-b'));
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        fc.pre(a.toLowerCase() !== b.toLowerCase());
        // Distinct names collide only through the 32-bit digest (never seen in these runs).
        expect(readerIdFromHostName(a)).not.toBe(readerIdFromHostName(b));
      }),
    );
  });

  it('whatever the host name, the identity is a valid one (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (name) => {
        expect(checkReaderId(readerIdFromHostName(name))).toBe(readerIdFromHostName(name));
      }),
    );
  });

  it('the default durable carries the reader id, so two servers bind two durables', () => {
    const port = new FakeJetStream({ maxMsgs: 10 });
    const durables: string[] = [];
    const spy = {
      consume: (spec: Parameters<FakeJetStream['consume']>[0]) => {
        durables.push(spec.durable);
        return { stop: () => undefined };
      },
      streamHosts: () => port.streamHosts('', 'lab'),
    };
    const sink = { record: () => true, fits: () => true, lost: () => undefined };
    for (const readerId of ['machine-a', undefined]) {
      const source = new StreamSessionSource({
        port: spy,
        session: 'lab',
        hosts: 'lab-1',
        ...(readerId === undefined ? {} : { readerId }),
      });
      source.open(sink).close();
    }
    expect(durables).toEqual([
      'netrx-reader-lab-machine-a-lab-1',
      'netrx-reader-lab-machine-a-loss',
      `netrx-reader-lab-${defaultReaderId()}-lab-1`,
      `netrx-reader-lab-${defaultReaderId()}-loss`,
    ]);
    expect(() => new StreamSessionSource({ port: spy, session: 'lab', readerId: 'a.b' })).toThrow(
      TypeError,
    );
  });
});
