/**
 * Loss accounting of capture fan-in (src/node/cluster) over a fake
 * JetStream, for drawn limits (stream size, local buffer, publishes in
 * flight, the reader session's buffers) and any sequence of emits,
 * deliveries, disconnects (seen by the publisher, or only by its
 * publishes), lost acknowledgements, redeliveries and clock steps: once
 * everything settles, per run
 *   delivered + Σ NET_EVENT_LOST == events offered by all hosts,
 * no (host, sequence) is delivered twice, NET_EVENT_LOST is always last,
 * the reported loss is the publishers' plus the reader queue's, and no
 * publisher ever holds more than maxBuffered events (batches drawn from
 * 1 KiB to 4 KiB, so a message carries several events).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { makeHost, makeReader, readBuffer, settle } from '../../src/node/cluster/test-kit.js';
import type { EventBufferMeta } from '../../src/capture/index.js';
import type { PendingReceive } from '../../src/receive/index.js';
import { VirtualClock } from '../../src/testing/index.js';

type Op =
  | { kind: 'emit'; host: number; count: number; alone: boolean }
  | { kind: 'deliver'; max: number }
  | { kind: 'status'; host: number; up: boolean }
  | { kind: 'server'; up: boolean }
  | { kind: 'loseAcks'; on: boolean }
  | { kind: 'redeliver'; count: number }
  | { kind: 'advance'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('emit' as const),
    host: fc.nat(2),
    count: fc.integer({ min: 1, max: 30 }),
    alone: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('deliver' as const), max: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('status' as const), host: fc.nat(2), up: fc.boolean() }),
  fc.record({ kind: fc.constant('server' as const), up: fc.boolean() }),
  fc.record({ kind: fc.constant('loseAcks' as const), on: fc.boolean() }),
  fc.record({ kind: fc.constant('redeliver' as const), count: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 600 }) }),
);

const settings = fc.record({
  hosts: fc.integer({ min: 1, max: 3 }),
  maxMsgs: fc.integer({ min: 1, max: 60 }),
  maxBuffered: fc.integer({ min: 1, max: 40 }),
  maxInFlight: fc.integer({ min: 1, max: 8 }),
  maxBatchBytes: fc.integer({ min: 1024, max: 4096 }),
  bufferBytes: fc.integer({ min: 128, max: 2048 }),
  maxBuffers: fc.integer({ min: 1, max: 4 }),
  eventsPerBuffer: fc.integer({ min: 0, max: 5 }),
});

describe('capture fan-in loss accounting (property)', () => {
  it('delivered + lost == offered, exactly once, NET_EVENT_LOST last', async () => {
    await fc.assert(
      fc.asyncProperty(settings, fc.array(op, { maxLength: 60 }), async (s, ops) => {
        const clock = new VirtualClock(1_700_000_000_000);
        const stream = new FakeJetStream({ maxMsgs: s.maxMsgs });
        const names = ['lab-1', 'lab-2', 'lab-3'].slice(0, s.hosts);
        const hosts = names.map((name) =>
          makeHost(clock, stream, name, {
            maxBuffered: s.maxBuffered,
            maxInFlight: s.maxInFlight,
            maxBatchBytes: s.maxBatchBytes,
          }),
        );
        const reader = makeReader(clock, stream, 'lab-*', {
          bufferBytes: s.bufferBytes,
          maxBuffers: s.maxBuffers,
          eventsPerBuffer: s.eventsPerBuffer,
        });
        const handle = reader.table.openSession('lab');
        const seqs = names.map(() => 0);
        const seen = new Set<string>();
        let delivered = 0;
        let lost = 0;
        let pending: PendingReceive<EventBufferMeta> | undefined;
        const collect = () => {
          const done = pending?.result;
          if (done === undefined) return;
          pending = undefined;
          if (done.status !== 'data') throw new Error('receive failed');
          const got = readBuffer(done.data); // throws unless NET_EVENT_LOST is last
          for (const e of got.events) {
            const key = `${e.host}/${e.seq}`;
            expect(seen.has(key), `${key} delivered twice`).toBe(false);
            seen.add(key);
          }
          delivered += got.events.length;
          lost += got.lost;
        };
        const poll = () => {
          collect();
          pending ??= reader.table.receiveData(handle);
          collect();
        };
        for (const o of ops) {
          switch (o.kind) {
            case 'emit': {
              const i = o.host % s.hosts;
              const host = hosts[i]!;
              for (let k = 0; k < o.count; k++) {
                if (o.alone) await host.emitAlone(seqs[i]!++);
                else host.emit(seqs[i]!++);
              }
              break;
            }
            case 'deliver':
              stream.deliver(o.max);
              break;
            case 'status':
              hosts[o.host % s.hosts]!.publisher.setStatus(o.up ? 'connected' : 'disconnected');
              break;
            case 'server':
              stream.down = !o.up;
              break;
            case 'loseAcks':
              stream.loseAcks = o.on;
              break;
            case 'redeliver':
              stream.redeliverAcked(o.count);
              break;
            case 'advance':
              clock.advance(o.ms);
              break;
          }
          await settle();
          for (const h of hosts) {
            expect(h.publisher.stats().pending).toBeLessThanOrEqual(s.maxBuffered);
          }
          poll();
        }
        // Everything comes back; let it settle.
        stream.down = false;
        stream.loseAcks = false;
        for (const h of hosts) h.publisher.setStatus('connected');
        for (let round = 0; round < 2000; round++) {
          await settle();
          stream.deliver();
          poll();
          const st = reader.session.stats();
          const quiet =
            hosts.every((h) => h.publisher.settled) &&
            stream.length === 0 &&
            st.queuedEvents === 0 &&
            st.unreportedLost === 0;
          if (quiet) break;
          clock.advance(250);
          poll();
        }
        reader.table.closeSession(handle);
        collect();
        const offered = seqs.reduce((a, b) => a + b, 0);
        const publisherLost = hosts.reduce((n, h) => n + h.publisher.lost, 0);
        expect(hosts.every((h) => h.publisher.settled)).toBe(true);
        expect(delivered + lost).toBe(offered);
        expect(lost).toBe(publisherLost + reader.source.stats().queueLost);
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
