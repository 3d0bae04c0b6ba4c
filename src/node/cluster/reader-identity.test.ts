import fc from 'fast-check';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkReaderId, defaultReaderId, readerIdFromHostName } from './reader-identity.js';
import { StreamSessionSource } from './reader.js';
import { FakeJetStream } from './fake-jetstream.js';

describe('reader identity (review16 R2)', () => {
  it('takes a host name first label, in the host-name alphabet, at most 16', () => {
    expect(readerIdFromHostName('build-7.lab.example')).toBe('build-7');
    expect(readerIdFromHostName('a very+long name of a box')).toBe('a-very-long-name');
    expect(readerIdFromHostName('')).toBe('reader');
    expect(readerIdFromHostName('.local')).toBe('reader');
    expect(defaultReaderId()).toBe(readerIdFromHostName(hostname()));
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
