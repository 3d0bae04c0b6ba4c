// The Data Completion Timer (MS-LREC 3.1.4.2: armed when the first event is
// queued, not by the call, and not restarted by later events), and where a
// loss a `SessionSource` reports is counted. Each test here was written
// against a mutant the rest of the suite let live (review 4: M1, M2, M5, M20).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { TraceRegistry } from '../trace/index.js';
import { eventRecordLength, parseEventBuffer, writeEventRecord } from '../wire/index.js';
import {
  SYNTHETIC_PROVIDER_GUID,
  SessionTable,
  startSyntheticProvider,
  type SessionSink,
} from './index.js';
import type { SessionLimits } from './limits.js';

const TIMER_MS = 500;

function syntheticSession(limits: Partial<SessionLimits> = {}) {
  const clock = new VirtualClock(1_700_000_000_000);
  const registry = new TraceRegistry({ clock });
  const table = new SessionTable({ registry, clock });
  table
    .createSession({
      name: 's',
      providers: [{ provider: 'netrx-synthetic' }],
      limits: { timerMs: TIMER_MS, ...limits },
    })
    .start();
  const synthetic = startSyntheticProvider({ registry, clock, eventsPerSecond: 0 });
  return { clock, table, synthetic, handle: table.openSession('s') };
}

/** A session fed by a `SessionSource` (as the NATS reader feeds one): the test holds the sink. */
function sourceSession(limits: Partial<SessionLimits> = {}) {
  const clock = new VirtualClock(1_700_000_000_000);
  const registry = new TraceRegistry({ clock });
  const table = new SessionTable({ registry, clock });
  const holder: { sink?: SessionSink } = {};
  table
    .createSession({
      name: 's',
      providers: [],
      source: { open: (sink) => ((holder.sink = sink), { close() {} }) },
      limits: { timerMs: TIMER_MS, ...limits },
    })
    .start();
  const handle = table.openSession('s');
  if (holder.sink === undefined) throw new Error('the source was not opened');
  return { clock, table, handle, sink: holder.sink };
}

/** An EventRecord whose one byte of user data is `seq`. */
function record(seq: number): Uint8Array {
  const bytes = new Uint8Array(eventRecordLength(1));
  const view = new DataView(bytes.buffer);
  writeEventRecord(
    bytes,
    view,
    0,
    { providerId: SYNTHETIC_PROVIDER_GUID, id: 1 },
    Uint8Array.of(seq),
  );
  return bytes;
}

/** A buffer's items in order: `e<seq>` for an event, `lost<n>` for a NET_EVENT_LOST. */
function walk(data: Uint8Array): string[] {
  const items = parseEventBuffer(data);
  if (!items.ok) throw new Error(`bad buffer: ${items.failure.code}`);
  return items.value.map((item) =>
    item.kind === 'event'
      ? `e${item.record.userData[0] ?? -1}`
      : item.kind === 'lost'
        ? `lost${item.lostEventCount}`
        : 'unknown',
  );
}

describe('Data Completion Timer', () => {
  it('a second event in the window does not restart the timer (M1)', () => {
    const { clock, table, synthetic, handle } = syntheticSession();
    const op = table.receiveData(handle);
    clock.advance(100);
    synthetic.emit(1); // t = 100 arms the timer: due at 600
    clock.advance(300);
    synthetic.emit(1); // t = 400: restarting would move it to 900
    clock.advance(199);
    expect(op.isPending).toBe(true);
    clock.advance(1); // t = 600
    expect(op.isPending).toBe(false);
    expect(op.result?.status === 'data' && op.result.meta).toEqual({
      events: 2,
      lost: 0,
      reason: 'timer',
    });
  });

  it('the receive call arms nothing, even with an event following it in the window (M2)', () => {
    const { clock, table, synthetic, handle } = syntheticSession();
    const op = table.receiveData(handle); // t = 0: arming here would fire at 500
    clock.advance(300);
    synthetic.emit(1); // t = 300 arms the timer: due at 800
    clock.advance(200);
    expect(op.isPending).toBe(true);
    clock.advance(299);
    expect(op.isPending).toBe(true);
    clock.advance(1); // t = 800
    expect(op.isPending).toBe(false);
  });

  it('a delivery that empties the queue cancels the timer: the next event arms its own (M20)', () => {
    const { clock, table, handle, sink } = sourceSession();
    sink.lost(5); // t = 0, nothing queued: the timer runs for the loss (due 500)
    clock.advance(500); // fires with no receive pending: the loss is due
    clock.advance(100);
    sink.lost(3); // t = 600: arms the timer again (due 1100)
    clock.advance(100);
    const first = table.receiveData(handle); // t = 700: the due loss, at once; the queue is empty
    expect(first.result?.status === 'data' && walk(first.result.data)).toEqual(['lost8']);
    clock.advance(100);
    sink.record(record(1)); // t = 800: the first event arms the timer: due 1300, not 1100
    const second = table.receiveData(handle);
    clock.advance(300); // t = 1100
    expect(second.isPending).toBe(true);
    clock.advance(200); // t = 1300
    expect(second.result?.status === 'data' && walk(second.result.data)).toEqual(['e1']);
  });
});

describe('a loss a SessionSource reports', () => {
  it('lies after the events queued before it, in the filling buffer, with a buffer already sealed (M5)', () => {
    const { table, handle, sink } = sourceSession({ eventsPerBuffer: 2 });
    sink.record(record(0));
    sink.record(record(1)); // sealed: 2 events
    sink.record(record(2)); // filling: 1 event
    sink.lost(5); // lost after event 2, not after event 1
    sink.record(record(3)); // the filling buffer sealed: 2 events
    const order: string[] = [];
    for (let i = 0; i < 2; i++) {
      const op = table.receiveData(handle);
      if (op.result?.status !== 'data') throw new Error('expected a buffer at once');
      order.push(...walk(op.result.data), '|');
    }
    expect(order).toEqual(['e0', 'e1', '|', 'e2', 'e3', 'lost5', '|']);
  });
});

describe('a SessionSource told what was delivered', () => {
  function holdingSession(givenBack: number) {
    const clock = new VirtualClock(1_700_000_000_000);
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock });
    const holder: { sink?: SessionSink } = {};
    const delivered: [number, number][] = [];
    table
      .createSession({
        name: 's',
        providers: [],
        source: {
          open: (sink) => {
            holder.sink = sink;
            return {
              close: () => givenBack,
              delivered: (events, lostWaiting) => delivered.push([events, lostWaiting]),
            };
          },
        },
        limits: { timerMs: TIMER_MS, eventsPerBuffer: 2 },
      })
      .start();
    const handle = table.openSession('s');
    if (holder.sink === undefined) throw new Error('the source was not opened');
    return { table, handle, sink: holder.sink, delivered };
  }

  it('hears each delivered buffer: its events and the loss still waiting after it', () => {
    const { table, handle, sink, delivered } = holdingSession(0);
    sink.record(record(0));
    sink.record(record(1)); // sealed
    sink.lost(3); // after event 1: in the first buffer's NET_EVENT_LOST
    sink.record(record(2));
    sink.record(record(3)); // sealed
    table.receiveData(handle);
    expect(delivered).toEqual([[2, 0]]);
    table.receiveData(handle);
    expect(delivered).toEqual([
      [2, 0],
      [2, 0],
    ]);
  });

  it('events its close takes back are not counted lost in the last report', () => {
    const { table, handle, sink } = holdingSession(2);
    sink.record(record(0));
    sink.record(record(1)); // sealed
    sink.record(record(2)); // filling
    const last = table.receiveData(handle); // takes the sealed buffer at once
    expect(last.result?.status).toBe('data');
    sink.record(record(3)); // sealed: events 2 and 3 queued
    sink.record(record(4)); // filling: event 4 queued
    const final = table.receiveData(handle);
    expect(final.result?.status).toBe('data'); // events 2, 3
    const closing = table.receiveData(handle);
    table.closeSession(handle);
    if (closing.result?.status !== 'data') throw new Error('expected the final buffer');
    // Event 4 was discarded and taken back by the source (2 given back, at most what was queued).
    expect(walk(closing.result.data)).toEqual([]);
  });
});

describe('a SessionSource that takes nothing back', () => {
  it('has the events discarded at close counted lost in the last report', () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock });
    const holder: { sink?: SessionSink } = {};
    table
      .createSession({
        name: 's',
        providers: [],
        source: { open: (sink) => ((holder.sink = sink), { close: () => 0 }) },
        limits: { timerMs: TIMER_MS },
      })
      .start();
    const handle = table.openSession('s');
    holder.sink?.record(record(0));
    const closing = table.receiveData(handle);
    table.closeSession(handle);
    if (closing.result?.status !== 'data') throw new Error('expected the final buffer');
    expect(walk(closing.result.data)).toEqual(['lost1']);
  });
});
