import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { defineEvent, TraceRegistry } from '../trace/index.js';
import {
  NET_EVENT_LAST_ITEM_FLAG,
  parseEventBuffer,
  unixMsFromFiletime,
  type NetEventItem,
} from '../wire/index.js';
import { NetrxError } from '../runtime/index.js';
import { EventQueue } from './event-queue.js';
import { resolveLimits, type SessionLimits } from './limits.js';
import {
  SYNTHETIC_PROVIDER_GUID,
  SessionTable,
  startSyntheticProvider,
  type SessionHandle,
  type SessionProvider,
} from './index.js';

// One event item with 16 bytes of synthetic user data: 8 + 96 + 16 = 120 bytes.
const ITEM = 120;

function setup(
  limits: Partial<SessionLimits> = {},
  options: { providers?: SessionProvider[]; lastItemFlag?: number; start?: number } = {},
) {
  const clock = new VirtualClock(options.start ?? 1_700_000_000_000);
  const registry = new TraceRegistry({ clock });
  const table = new SessionTable({
    registry,
    clock,
    ...(options.lastItemFlag === undefined ? {} : { lastItemFlag: options.lastItemFlag }),
  });
  const session = table.createSession({
    name: 'Example Session',
    providers: options.providers ?? [{ provider: 'netrx-synthetic' }],
    limits: { timerMs: 500, ...limits },
  });
  session.start();
  const synthetic = startSyntheticProvider({
    registry,
    clock,
    eventsPerSecond: 0,
    payloadBytes: 16,
  });
  return { clock, registry, table, session, synthetic };
}

function items(data: Uint8Array): NetEventItem[] {
  const result = parseEventBuffer(data);
  if (!result.ok) throw new Error(`bad buffer: ${result.failure.code}`);
  return result.value;
}

/** Sequence numbers of the events in a buffer, and its lost count (undefined: no lost item). */
function contents(data: Uint8Array): { seqs: number[]; lost: number | undefined } {
  const seqs: number[] = [];
  let lost: number | undefined;
  for (const item of items(data)) {
    if (item.kind === 'event') {
      const user = item.record.userData;
      seqs.push(new DataView(user.buffer, user.byteOffset, 8).getUint32(0, true));
    } else if (item.kind === 'lost') lost = item.lostEventCount;
  }
  return { seqs, lost };
}

function completed(op: { result: unknown }) {
  const result = op.result as
    | { status: 'data'; data: Uint8Array; meta: { events: number; lost: number; reason: string } }
    | undefined;
  if (result === undefined) throw new Error('receive still pending');
  return { ...contents(result.data), meta: result.meta, data: result.data };
}

function errorOf(run: () => unknown): { code: string; number: number | undefined } {
  try {
    run();
  } catch (error) {
    if (error instanceof NetrxError) return { code: error.code, number: error.number };
    throw error;
  }
  throw new Error('did not throw');
}

describe('SessionTable: open, receive, close (MS-LREC 3.1.4.2)', () => {
  it('fails a receive or close on an unknown handle, and counts it', () => {
    const { table } = setup();
    expect(errorOf(() => table.receiveData(99 as SessionHandle))).toEqual({
      code: 'ERROR_INVALID_HANDLE',
      number: 6,
    });
    expect(errorOf(() => table.closeSession(99 as SessionHandle)).code).toBe(
      'ERROR_INVALID_HANDLE',
    );
    const handle = table.openSession('Example Session');
    table.closeSession(handle);
    expect(errorOf(() => table.receiveData(handle)).code).toBe('ERROR_INVALID_HANDLE');
    expect(table.stats().unknownHandles).toBe(3);
  });

  it('opens by name only a running session, one handle at a time', () => {
    const { table, session } = setup();
    expect(errorOf(() => table.openSession('nope'))).toEqual({
      code: 'ERROR_NOT_FOUND',
      number: 1168,
    });
    const handle = table.openSession('Example Session');
    expect(errorOf(() => table.openSession('Example Session')).code).toBe('ERROR_BUSY');
    session.stop();
    expect(errorOf(() => table.openSession('Example Session')).code).toBe('ERROR_INVALID_STATE');
    expect(errorOf(() => table.receiveData(handle)).code).toBe('ERROR_INVALID_HANDLE');
    session.start();
    const again = table.openSession('Example Session');
    expect(again).not.toBe(handle);
    expect(errorOf(() => table.receiveData(handle)).code).toBe('ERROR_INVALID_HANDLE');
    expect(table.stats().unknownNames).toBe(1);
  });

  it('starts queuing matching events at open, before any receive', () => {
    const { table, synthetic, clock } = setup({ eventsPerBuffer: 3 });
    synthetic.emit(2); // nobody listens yet: no sequence numbers spent
    expect(synthetic.generated).toBe(0);
    const handle = table.openSession('Example Session');
    synthetic.emit(3);
    clock.advance(1);
    const op = table.receiveData(handle);
    expect(completed(op)).toMatchObject({
      seqs: [0, 1, 2],
      lost: undefined,
      meta: { reason: 'enough' },
    });
  });

  it('fails a second receive while one is outstanding (616), and counts it', () => {
    const { table, session } = setup();
    const handle = table.openSession('Example Session');
    const first = table.receiveData(handle);
    expect(first.isPending).toBe(true);
    expect(errorOf(() => table.receiveData(handle))).toEqual({
      code: 'ERROR_ASYNC_REQUEST_PENDING',
      number: 616,
    });
    expect(first.isPending).toBe(true);
    expect(session.stats().refusedReceives).toBe(1);
  });

  it('waits for enough events, then completes in the producing call', () => {
    const { table, synthetic } = setup({ eventsPerBuffer: 4 });
    const handle = table.openSession('Example Session');
    const op = table.receiveData(handle);
    synthetic.emit(3);
    expect(op.isPending).toBe(true);
    synthetic.emit(1);
    expect(completed(op)).toMatchObject({
      seqs: [0, 1, 2, 3],
      meta: { events: 4, reason: 'enough' },
    });
  });

  it('completes when a buffer fills (bytes, not a count)', () => {
    const { table, synthetic, clock } = setup({ bufferBytes: 12 + 3 * ITEM });
    const handle = table.openSession('Example Session');
    const op = table.receiveData(handle);
    synthetic.emit(3);
    expect(op.isPending).toBe(true); // full, but sealed only when the next event does not fit
    synthetic.emit(1);
    expect(completed(op).seqs).toEqual([0, 1, 2]);
    expect(completed(op).data.length).toBe(3 * ITEM);
    // The fourth event went into the next buffer, which the timer closes.
    const next = table.receiveData(handle);
    expect(next.isPending).toBe(true);
    clock.advance(500);
    expect(completed(next)).toMatchObject({ seqs: [3], meta: { reason: 'timer' } });
  });

  it('arms the Data Completion Timer with the first queued event, not with the call', () => {
    const { table, synthetic, clock } = setup({ timerMs: 500 });
    const handle = table.openSession('Example Session');
    // A call with nothing queued arms nothing: it waits however long it takes.
    const idle = table.receiveData(handle);
    clock.advance(5_000);
    expect(idle.isPending).toBe(true);
    synthetic.emit(1); // t = 5000: the first queued event arms the timer
    clock.advance(499);
    expect(idle.isPending).toBe(true);
    clock.advance(1);
    expect(completed(idle)).toMatchObject({ seqs: [0], meta: { reason: 'timer' } });

    // An event queued before the call: the timer runs from the event.
    synthetic.emit(1); // t = 5500
    clock.advance(300);
    const late = table.receiveData(handle); // t = 5800
    expect(late.isPending).toBe(true);
    clock.advance(200); // t = 6000 = event + 500, not call + 500
    expect(completed(late)).toMatchObject({ seqs: [1], meta: { reason: 'timer' } });
  });

  it('keeps the events the timer closed for the next receive when none was pending', () => {
    const { table, synthetic, clock, session } = setup({ timerMs: 100 });
    const handle = table.openSession('Example Session');
    synthetic.emit(2);
    clock.advance(100);
    expect(session.stats().timerFires).toBe(1);
    const op = table.receiveData(handle);
    expect(completed(op)).toMatchObject({ seqs: [0, 1], meta: { reason: 'enough' } });
  });

  it('drops the NEW event when the queue is full, reporting one NET_EVENT_LOST, last, where it happened', () => {
    const { table, synthetic } = setup({ bufferBytes: 12 + 2 * ITEM, maxBuffers: 2 });
    const handle = table.openSession('Example Session');
    synthetic.emit(4 + 3); // two buffers of two events each, then three lost
    const firstOp = table.receiveData(handle);
    expect(firstOp.result?.status === 'data' && firstOp.result.more).toBe(true); // another is ready
    // The oldest buffer holds events from before the loss: no lost item, its last event flagged.
    const first = completed(firstOp);
    expect(first).toMatchObject({ seqs: [0, 1], lost: undefined });
    expect(items(first.data).at(-1)?.flags).toBe(NET_EVENT_LAST_ITEM_FLAG);
    // The loss followed event 3, the last accepted: it ends the buffer holding event 3.
    const secondOp = table.receiveData(handle);
    expect(secondOp.result?.status === 'data' && secondOp.result.more).toBe(false);
    const second = completed(secondOp);
    expect(second).toMatchObject({ seqs: [2, 3], lost: 3 });
    const list = items(second.data);
    expect(list.filter((item) => item.kind === 'lost')).toHaveLength(1);
    expect(list.at(-1)).toEqual({
      kind: 'lost',
      flags: NET_EVENT_LAST_ITEM_FLAG,
      lostEventCount: 3,
    });
    expect(list.slice(0, -1).every((item) => item.flags === 0)).toBe(true);
  });

  it('reports each loss after the events before it, across several losses and refills', () => {
    // Buffers of two events, two at most: seq gaps must line up with the lost items in stream order.
    const { table, synthetic } = setup({ bufferBytes: 12 + 2 * ITEM, maxBuffers: 2 });
    const handle = table.openSession('Example Session');
    const stream: ({ seq: number } | { lost: number })[] = [];
    const drain = () => {
      for (let op = table.receiveData(handle); op.result !== undefined;) {
        const { seqs, lost } = completed(op);
        for (const seq of seqs) stream.push({ seq });
        if (lost !== undefined) stream.push({ lost });
        if (!(op.result.status === 'data' && op.result.more)) break;
        op = table.receiveData(handle);
      }
    };
    synthetic.emit(6); // 0-3 queued, 4-5 lost
    const op = table.receiveData(handle); // frees one buffer
    for (const seq of completed(op).seqs) stream.push({ seq });
    synthetic.emit(3); // 6-7 queued, 8 lost
    drain();
    expect(stream).toEqual([
      { seq: 0 },
      { seq: 1 },
      { seq: 2 },
      { seq: 3 },
      { lost: 2 },
      { seq: 6 },
      { seq: 7 },
      { lost: 1 },
    ]);
  });

  it('an oversize event seals the filling buffer: its loss lies between the events around it', () => {
    const queue = new EventQueue(resolveLimits({ bufferBytes: 4096 }), {
      lastItemFlag: 0x0100,
      sessionId: 1,
    });
    const event = (seq: number, bytes: number) => {
      const userData = new Uint8Array(bytes);
      new DataView(userData.buffer).setBigUint64(0, BigInt(seq), true);
      return {
        providerId: new Uint8Array(16),
        id: 1,
        version: 0,
        level: 4,
        opcode: 0,
        task: 0,
        keywords: 0n,
        timestamp: 0,
        userData,
      };
    };
    expect(queue.add(event(0, 16))).toBe('queued');
    expect(queue.add(event(1, 8192))).toBe('sealed'); // too big for any buffer: lost, after event 0
    expect(queue.add(event(2, 16))).toBe('queued');
    expect(queue.lostEventCount).toBe(1);
    const first = queue.take(true);
    expect(contents(first?.bytes ?? new Uint8Array(0))).toEqual({ seqs: [0], lost: 1 });
    expect(contents(queue.take(true)?.bytes ?? new Uint8Array(0))).toEqual({
      seqs: [2],
      lost: undefined,
    });
    expect(queue.oversize).toBe(1);
    expect(queue.lostEventCount).toBe(0);
  });

  it('saturates the Lost Event Count at 0xFFFFFFFF and resets it once reported', () => {
    const queue = new EventQueue(resolveLimits(), { lastItemFlag: 0x0100, sessionId: 1 });
    queue.countLost(2 ** 33);
    queue.countLost(5);
    expect(queue.lostEventCount).toBe(2 ** 33 + 5); // exact until reported
    expect(queue.lostTotal).toBe(2 ** 33 + 5);
    const taken = queue.take(true);
    expect(taken?.lost).toBe(0xffff_ffff);
    expect(contents(taken?.bytes ?? new Uint8Array(0)).lost).toBe(0xffff_ffff);
    expect(queue.lostEventCount).toBe(0);
    expect(queue.take(true)).toBeUndefined();
  });

  it('writes the configured last-item flag', () => {
    const { table, synthetic } = setup({ eventsPerBuffer: 2 }, { lastItemFlag: 0x0080 });
    const handle = table.openSession('Example Session');
    synthetic.emit(2);
    const list = items(completed(table.receiveData(handle)).data);
    expect(list.map((item) => item.flags)).toEqual([0, 0x0080]);
  });

  it('encodes each event as an EventRecord of its provider, stamped by the clock', () => {
    const { table, synthetic, clock, session } = setup({ eventsPerBuffer: 1 });
    const handle = table.openSession('Example Session');
    clock.advance(12.5);
    synthetic.emit(1);
    const [item] = items(completed(table.receiveData(handle)).data);
    expect(item?.kind).toBe('event');
    if (item?.kind !== 'event') return;
    expect(item.record.header).toMatchObject({
      providerId: SYNTHETIC_PROVIDER_GUID,
      id: 1,
      level: 4,
      keyword: 1n,
      sessionId: session.sessionNumber,
      flags: 0x40,
      size: 96 + 16,
      reserved: 0x08,
    });
    expect(unixMsFromFiletime(item.record.header.timeStamp)).toBe(1_700_000_000_012.5);
    expect(item.record.userData.length).toBe(16);
  });

  it('counts an event too large for any buffer as lost, and the timer reports it', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock });
    const provider = registry.register({
      guid: '11111111-2222-3333-4444-555555555555',
      name: 'big',
    });
    const event = defineEvent({ id: 7, name: 'Big', level: 4 });
    const session = table.createSession({
      name: 's',
      providers: [{ provider: 'big' }],
      limits: { bufferBytes: 1024, timerMs: 100 },
    });
    session.start();
    const handle = table.openSession('s');
    const op = table.receiveData(handle);
    provider.write(event, new Uint8Array(2000));
    expect(op.isPending).toBe(true);
    clock.advance(100);
    expect(completed(op)).toMatchObject({ seqs: [], lost: 1, meta: { events: 0, lost: 1 } });
    expect(session.stats()).toMatchObject({ oversize: 1, lostTotal: 1, reportedLost: 1 });
  });

  it('delivers only events that pass the provider filters (ETW rules)', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock });
    const provider = registry.register({ guid: '11111111-2222-3333-4444-555555555555', name: 'p' });
    const at = (level: number, keywords: bigint) =>
      defineEvent({ id: level, name: 'e', level, keywords });
    const session = table.createSession({
      name: 's',
      providers: [{ provider: 'p', level: 3, matchAnyKeyword: 0b0110n, matchAllKeyword: 0b0100n }],
      limits: { eventsPerBuffer: 3 },
    });
    session.start();
    const handle = table.openSession('s');
    provider.write(at(4, 0b0100n)); // too verbose
    provider.write(at(3, 0b0010n)); // lacks a match-all bit
    provider.write(at(3, 0b1000n)); // no match-any bit
    provider.write(at(2, 0b0100n)); // passes
    provider.write(at(1, 0n)); // no keywords: passes
    provider.write(at(0, 0b1000n)); // LogAlways level, but keywords still filter: dropped
    provider.write(at(3, 0b0110n)); // passes
    const list = items(completed(table.receiveData(handle)).data);
    expect(list.map((item) => (item.kind === 'event' ? item.record.header.level : -1))).toEqual([
      2, 1, 3,
    ]);
    expect(session.stats().matched).toBe(3);
  });

  it('close stops accumulating and completes a pending receive, counting the discarded events', () => {
    const { table, synthetic, session } = setup();
    const handle = table.openSession('Example Session');
    synthetic.emit(2);
    const op = table.receiveData(handle);
    table.closeSession(handle);
    expect(completed(op)).toMatchObject({ seqs: [], lost: 2, meta: { reason: 'closed' } });
    synthetic.emit(5);
    expect(synthetic.generated).toBe(2); // no listener any more
    expect(session.state).toBe('Running');
    expect(session.stats()).toMatchObject({ open: false, discarded: 2, reportedLost: 2 });
  });

  it('stop completes a pending receive successfully and discards the queue', () => {
    const { table, synthetic, session, clock } = setup();
    const handle = table.openSession('Example Session');
    synthetic.emit(3);
    const op = table.receiveData(handle);
    session.stop();
    const result = completed(op);
    expect(op.result?.status).toBe('data');
    expect(result).toMatchObject({ seqs: [], lost: 3, meta: { reason: 'stopped', events: 0 } });
    expect(session.stats()).toMatchObject({ state: 'Stopped', queuedEvents: 0, discarded: 3 });
    expect(clock.pendingTimers).toBe(0);
    // With nothing to report, stop completes with an empty buffer.
    session.start();
    const again = table.openSession('Example Session');
    const idle = table.receiveData(again);
    session.stop();
    expect(completed(idle)).toMatchObject({
      data: new Uint8Array(0),
      meta: { events: 0, lost: 0 },
    });
  });

  it('a dropped connection stops the session (rundown)', () => {
    const { table, session, synthetic } = setup();
    const handle = table.openSession('Example Session');
    synthetic.emit(1);
    expect(table.rundown(handle)).toBe(true);
    expect(session.state).toBe('Stopped');
    expect(table.rundown(handle)).toBe(false); // already gone: not an error for the runtime
    expect(session.stats().unreportedLost).toBe(1);
    expect(errorOf(() => table.receiveData(handle)).code).toBe('ERROR_INVALID_HANDLE');
  });

  it('never holds more than maxBuffers × bufferBytes under a flood', () => {
    const { table, synthetic, session } = setup({ bufferBytes: 4096, maxBuffers: 3 });
    const handle = table.openSession('Example Session');
    let peak = 0;
    for (let round = 0; round < 50; round++) {
      synthetic.emit(200);
      peak = Math.max(peak, session.stats().allocatedBytes);
      if (round % 5 === 0) table.receiveData(handle);
    }
    expect(peak).toBe(3 * 4096);
    const stats = session.stats();
    expect(stats.lostTotal).toBeGreaterThan(0);
    expect(
      stats.deliveredEvents + stats.reportedLost + stats.queuedEvents + stats.unreportedLost,
    ).toBe(stats.matched);
  });
});

describe('SessionTable: the table and its sessions', () => {
  it('is bounded, and counts what it refuses', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock, maxSessions: 2 });
    const providers = [{ provider: 'x' }];
    table.createSession({ name: 'a', providers });
    expect(errorOf(() => table.createSession({ name: 'a', providers })).code).toBe(
      'ERR_CAPTURE_SESSION_EXISTS',
    );
    table.createSession({ name: 'b', providers });
    expect(errorOf(() => table.createSession({ name: 'c', providers })).code).toBe(
      'ERR_CAPTURE_SESSION_TABLE_FULL',
    );
    expect(table.stats()).toMatchObject({ sessions: 2, refusedFull: 1, refusedDuplicate: 1 });
    expect(table.deleteSession('a')).toBe(true);
    table.createSession({ name: 'c', providers });
  });

  it('creates sessions Stopped; start needs providers; stop needs Running; delete needs Stopped', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock });
    const empty = table.createSession({ name: 'empty', providers: [] });
    expect(empty.state).toBe('Stopped');
    expect(errorOf(() => empty.start()).code).toBe('ERR_CAPTURE_NO_PROVIDERS');
    expect(errorOf(() => empty.stop()).code).toBe('ERR_CAPTURE_SESSION_STOPPED');
    const session = table.createSession({
      name: 'with',
      guid: '{2ED6006E-4729-4609-B423-3EE7BCD678EF}',
      providers: [{ provider: 'x' }],
    });
    expect(session.guid).toBe('2ed6006e-4729-4609-b423-3ee7bcd678ef');
    session.start();
    expect(errorOf(() => session.start()).code).toBe('ERR_CAPTURE_SESSION_RUNNING');
    expect(errorOf(() => table.deleteSession('with')).code).toBe('ERR_CAPTURE_SESSION_RUNNING');
  });

  it('refuses bad configuration as misuse', () => {
    const clock = new VirtualClock();
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    const providers = [{ provider: 'x' }];
    expect(() => table.createSession({ name: '', providers })).toThrow(TypeError);
    expect(() => table.createSession({ name: 'g', guid: 'nope', providers })).toThrow(TypeError);
    expect(() => table.createSession({ name: 't', providers, limits: { timerMs: 99 } })).toThrow(
      RangeError,
    );
    expect(() => table.createSession({ name: 't', providers, limits: { timerMs: 1001 } })).toThrow(
      RangeError,
    );
    expect(() =>
      table.createSession({ name: 'b', providers, limits: { bufferBytes: 127 } }),
    ).toThrow(RangeError);
    expect(() =>
      table.createSession({ name: 'm', providers, limits: { maxBuffers: 256 } }),
    ).toThrow(RangeError);
    expect(() =>
      table.createSession({ name: 'l', providers: [{ provider: 'x', level: 256 }] }),
    ).toThrow(RangeError);
    expect(table.stats().sessions).toBe(0);
  });
});
