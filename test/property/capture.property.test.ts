/**
 * Properties of event sessions (src/capture), for any limits and any sequence
 * of produce / receive / timer / close / stop / rundown operations:
 * 1. exact accounting: delivered + reported lost + still queued + not yet
 *    reported = produced and matched (the synthetic provider's sequence
 *    numbers), and after a final receive and stop, delivered + reported lost
 *    + lost to stops nobody waited for = produced;
 * 2. memory never exceeds maxBuffers × bufferBytes;
 * 3. every delivered buffer decodes, has at most one NET_EVENT_LOST and only
 *    last, and sequence numbers arrive in increasing order, never twice;
 * 4. at most one receive is ever outstanding;
 * 5. every loss is reported where it happened: the NET_EVENT_LOST counts met
 *    between two delivered events equal the gap in their sequence numbers
 *    (within one open of the session: a close, stop or rundown between them
 *    may lose events nobody is told of).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SessionTable,
  startSyntheticProvider,
  type EventBufferMeta,
  type SessionHandle,
} from '../../src/capture/index.js';
import type { PendingReceive } from '../../src/receive/index.js';
import { NetrxError } from '../../src/runtime/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';

type Op =
  | { kind: 'produce'; count: number }
  | { kind: 'receive' }
  | { kind: 'advance'; ms: number }
  | { kind: 'close' }
  | { kind: 'stop' }
  | { kind: 'rundown' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('produce' as const),
      count: fc.integer({ min: 1, max: 60 }),
    }),
  },
  { weight: 4, arbitrary: fc.constant({ kind: 'receive' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 1200 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rundown' as const }) },
);

const limits = fc.record({
  bufferBytes: fc.integer({ min: 128, max: 4096 }),
  maxBuffers: fc.integer({ min: 1, max: 6 }),
  eventsPerBuffer: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
  timerMs: fc.integer({ min: 100, max: 1000 }),
});

describe('capture session properties', () => {
  it('accounts for every event exactly and stays within its memory limit', () => {
    fc.assert(
      fc.property(
        limits,
        fc.integer({ min: 8, max: 300 }),
        fc.constantFrom(0x0100, 0x0001, 0x0080, 0),
        fc.array(op, { maxLength: 60 }),
        (drawn, payloadBytes, lastItemFlag, ops) => {
          const clock = new VirtualClock();
          const registry = new TraceRegistry({ clock });
          const table = new SessionTable({ registry, clock, lastItemFlag });
          const session = table.createSession({
            name: 's',
            providers: [{ provider: 'netrx-synthetic' }],
            limits: drawn,
          });
          const synthetic = startSyntheticProvider({
            registry,
            clock,
            eventsPerSecond: 0,
            payloadBytes,
          });
          const bound = drawn.maxBuffers * drawn.bufferBytes;
          let handle: SessionHandle | undefined;
          let pending: PendingReceive<EventBufferMeta> | undefined;
          let delivered = 0;
          let reported = 0;
          let lastSeq = -1;
          let lostSinceSeq = 0;
          let boundary = false;
          let peak = 0;
          const problems: string[] = [];

          const collect = () => {
            const result = pending?.result;
            if (result === undefined) return;
            pending = undefined;
            if (result.status !== 'data') {
              problems.push(`completed ${result.status}`);
              return;
            }
            const parsed = parseEventBuffer(result.data);
            if (!parsed.ok) {
              problems.push(`bad buffer: ${parsed.failure.code}`);
              return;
            }
            let lostHere = 0;
            parsed.value.forEach((item, index) => {
              const last = index === parsed.value.length - 1;
              if (item.flags !== (last ? lastItemFlag : 0))
                problems.push('last-item flag misplaced');
              if (item.kind === 'lost') {
                if (index !== parsed.value.length - 1) problems.push('lost not last');
                lostHere += item.lostEventCount;
                lostSinceSeq += item.lostEventCount;
              } else if (item.kind === 'event') {
                const user = item.record.userData;
                const seq = new DataView(user.buffer, user.byteOffset, 8).getUint32(0, true);
                if (seq <= lastSeq) problems.push(`sequence ${seq} after ${lastSeq}`);
                if (!boundary && seq - lastSeq - 1 !== lostSinceSeq) {
                  problems.push(`gap ${seq - lastSeq - 1} before ${seq}, reported ${lostSinceSeq}`);
                }
                boundary = false;
                lostSinceSeq = 0;
                lastSeq = seq;
                delivered++;
              }
            });
            reported += lostHere;
            if (result.meta.lost !== lostHere) problems.push('meta.lost differs from the buffer');
          };

          const ensureOpen = () => {
            if (session.state === 'Stopped') session.start();
            handle ??= table.openSession('s');
            return handle;
          };

          const check = () => {
            collect();
            const stats = session.stats();
            peak = Math.max(peak, stats.allocatedBytes);
            if (stats.allocatedBytes > bound)
              problems.push(`memory ${stats.allocatedBytes} > ${bound}`);
            if (stats.matched !== synthetic.generated) problems.push('matched != generated');
            const accounted = delivered + reported + stats.queuedEvents + stats.unreportedLost;
            if (accounted !== stats.matched) {
              problems.push(`accounted ${accounted} != matched ${stats.matched}`);
            }
            if (stats.deliveredEvents !== delivered || stats.reportedLost !== reported) {
              problems.push('stats disagree with what the client saw');
            }
          };

          ensureOpen();
          for (const step of ops) {
            switch (step.kind) {
              case 'produce':
                synthetic.emit(step.count);
                break;
              case 'receive': {
                const h = ensureOpen();
                try {
                  const posted = table.receiveData(h);
                  if (pending !== undefined) problems.push('second receive accepted');
                  pending = posted;
                } catch (error) {
                  if (
                    !(error instanceof NetrxError) ||
                    error.code !== 'ERROR_ASYNC_REQUEST_PENDING'
                  ) {
                    throw error;
                  }
                  if (pending === undefined) problems.push('receive refused with none outstanding');
                }
                break;
              }
              case 'advance':
                clock.advance(step.ms);
                break;
              case 'close':
                boundary = true;
                if (handle !== undefined) table.closeSession(handle);
                handle = undefined;
                break;
              case 'stop':
                boundary = true;
                if (session.state === 'Running') session.stop();
                handle = undefined;
                break;
              case 'rundown':
                boundary = true;
                if (handle !== undefined) table.rundown(handle);
                handle = undefined;
                break;
            }
            check();
          }

          // Final: drain with receives until one waits, then stop so it reports the rest.
          const h = ensureOpen();
          for (let i = 0; i < 1000; i++) {
            if (pending === undefined) pending = table.receiveData(h);
            collect();
            if (pending !== undefined) break;
          }
          session.stop();
          check();
          const stats = session.stats();
          expect(problems).toEqual([]);
          expect(pending).toBeUndefined();
          expect(stats.queuedEvents).toBe(0);
          expect(delivered + reported + stats.unreportedLost).toBe(synthetic.generated);
          expect(peak).toBeLessThanOrEqual(bound);
        },
      ),
      { numRuns: 300 },
    );
  });
});
