// The WebSocket server core on a virtual clock, with a sink that records frames
// and plays a socket's congestion: every rule without a real socket.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { parseEventBuffer } from '../../wire/index.js';
import { SessionTable, startSyntheticProvider, type SessionLimits } from '../index.js';
import { parseReply, type LrecWsReply } from './protocol.js';
import { DEFAULT_MAX_PENDING_REPLIES, LrecWsServer, type LrecWsSendResult } from './server.js';

let counter = 0;
const crypto = {
  randomBytes(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    out[0] = ++counter & 0xff;
    out[1] = counter >> 8;
    return out;
  },
};

/** A sink that answers 'congested' once more than `threshold` bytes wait undrained. */
class Sink {
  readonly frames: ({ text: LrecWsReply } | { binary: Uint8Array })[] = [];
  waiting = 0;
  maxWaiting = 0;
  /** Text bytes written while already past the threshold (since the last reset). */
  textWhileCongested = 0;
  closedWith: number | undefined;
  constructor(public threshold = Infinity) {}
  private account(n: number): LrecWsSendResult {
    this.waiting += n;
    this.maxWaiting = Math.max(this.maxWaiting, this.waiting);
    return this.waiting > this.threshold ? 'congested' : 'sent';
  }
  sendText(text: string): LrecWsSendResult {
    const parsed = parseReply(text);
    if (!parsed.ok) throw new Error(parsed.message);
    this.frames.push({ text: parsed.value });
    if (this.waiting > this.threshold) this.textWhileCongested += text.length;
    return this.account(text.length);
  }
  sendBinary(bytes: Uint8Array): LrecWsSendResult {
    this.frames.push({ binary: bytes });
    return this.account(bytes.length);
  }
  close(code: number): void {
    this.closedWith = code;
  }
  /** The replies (text frames) in order. */
  get replies(): LrecWsReply[] {
    return this.frames.flatMap((f) => ('text' in f ? [f.text] : []));
  }
  get buffers(): Uint8Array[] {
    return this.frames.flatMap((f) => ('binary' in f ? [f.binary] : []));
  }
}

function setup(limits: Partial<SessionLimits> = {}, threshold = Infinity) {
  const clock = new VirtualClock(1_700_000_000_000);
  const registry = new TraceRegistry({ clock });
  const table = new SessionTable({ registry, clock });
  const session = table.createSession({
    name: 'S',
    providers: [{ provider: 'netrx-synthetic' }],
    limits: { timerMs: 500, ...limits },
  });
  session.start();
  const synthetic = startSyntheticProvider({
    registry,
    clock,
    eventsPerSecond: 0,
    payloadBytes: 16,
  });
  const server = new LrecWsServer({ table, crypto });
  const sink = new Sink(threshold);
  const connection = server.connect(sink);
  let id = 0;
  const send = (request: object) =>
    connection.message(JSON.stringify({ id: ++id, ...request }), false);
  const open = (): string => {
    send({ call: 'open', session: 'S' });
    const reply = sink.replies.at(-1);
    if (reply === undefined || !('handle' in reply)) throw new Error('open failed');
    return reply.handle;
  };
  return { clock, table, session, synthetic, server, sink, connection, send, open };
}

function count(buffer: Uint8Array): { events: number; lost: number } {
  const items = parseEventBuffer(buffer);
  if (!items.ok) throw new Error(items.failure.message);
  let events = 0;
  let lost = 0;
  for (const item of items.value) {
    if (item.kind === 'event') events++;
    else if (item.kind === 'lost') lost += item.lostEventCount;
  }
  return { events, lost };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LrecWsServer', () => {
  it('open, receive (a text reply, then the EVENT_BUFFER as one binary frame), close', async () => {
    const { synthetic, sink, send, open, session } = setup({ eventsPerBuffer: 10 });
    const handle = open();
    expect(handle).toMatch(/^[0-9a-f]{32}$/);
    send({ call: 'receive', handle });
    expect(sink.frames).toHaveLength(1); // waits: not enough events
    synthetic.emit(10);
    await flush();
    expect(sink.replies[1]).toMatchObject({
      id: 2,
      ok: true,
      events: 10,
      lost: 0,
      reason: 'enough',
    });
    const buffer = sink.frames[2];
    expect(buffer !== undefined && 'binary' in buffer).toBe(true);
    if (buffer !== undefined && 'binary' in buffer) {
      expect(buffer.binary.length).toBe((sink.replies[1] as { bytes: number }).bytes);
      expect(count(buffer.binary)).toEqual({ events: 10, lost: 0 });
    }
    send({ call: 'close', handle });
    expect(sink.replies.at(-1)).toEqual({ id: 3, ok: true });
    expect(session.state).toBe('Running');
  });

  it('a second outstanding receive fails with ERROR_ASYNC_REQUEST_PENDING (616), as over RPC', () => {
    const { sink, send, open, session } = setup();
    const handle = open();
    send({ call: 'receive', handle });
    send({ call: 'receive', handle });
    expect(sink.replies.at(-1)).toMatchObject({
      id: 3,
      ok: false,
      status: 616,
      code: 'ERROR_ASYNC_REQUEST_PENDING',
    });
    expect(session.stats().refusedReceives).toBe(1);
  });

  it('the Data Completion Timer, armed by the first event, completes the receive', async () => {
    const { clock, synthetic, sink, send, open } = setup({ timerMs: 200 });
    const handle = open();
    send({ call: 'receive', handle });
    clock.advance(1000);
    await flush();
    expect(sink.frames).toHaveLength(1); // no event: no timer
    synthetic.emit(3);
    clock.advance(199);
    await flush();
    expect(sink.frames).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(sink.replies[1]).toMatchObject({ ok: true, events: 3, reason: 'timer' });
  });

  it('answers unknown calls and handles, closes on binary frames and frames without an id', () => {
    const { sink, send, connection, server } = setup();
    send({ call: 'stop' });
    send({ call: 'receive', handle: '0'.repeat(32) });
    send({ call: 'open', session: 'nope' });
    expect(sink.replies).toMatchObject([
      { id: 1, ok: false, code: 'ERR_CAPTURE_WS_UNKNOWN_CALL', status: 0x1c010002 },
      { id: 2, ok: false, code: 'ERR_CAPTURE_WS_UNKNOWN_HANDLE', status: 0x1c00001a },
      { id: 3, ok: false, code: 'ERROR_NOT_FOUND', status: 1168 },
    ]);
    connection.message('not json', false);
    expect(sink.closedWith).toBe(1008);
    const other = setup();
    other.connection.message(new Uint8Array([1, 2, 3]), true);
    expect(other.sink.closedWith).toBe(1003);
    expect(server.stats()).toMatchObject({ dropped: { 'bad-json': 1 }, calls: 2 });
  });

  it('a dropped connection runs its handles down: the session stops and a pending receive is not answered', async () => {
    const { sink, send, open, session, connection, server } = setup();
    const handle = open();
    send({ call: 'receive', handle });
    connection.closed();
    await flush();
    expect(session.state).toBe('Stopped');
    expect(server.stats()).toMatchObject({ connections: 0, rundowns: 1 });
    expect(sink.frames).toHaveLength(1);
  });

  it('close answers the pending receive first (with the discarded events as lost), then the close', () => {
    const { synthetic, sink, send, open } = setup({ eventsPerBuffer: 100 });
    const handle = open();
    send({ call: 'receive', handle });
    synthetic.emit(5);
    send({ call: 'close', handle });
    expect(sink.replies.slice(1)).toMatchObject([
      { id: 2, ok: true, events: 0, lost: 5, reason: 'closed' },
      { id: 3, ok: true },
    ]);
  });

  it('a congested socket holds the next receive (not posted): the session counts the loss', async () => {
    const limits = { bufferBytes: 4096, maxBuffers: 2, eventsPerBuffer: 10 };
    const { synthetic, sink, send, open, connection, server } = setup(limits, 0);
    const handle = open(); // the open reply itself makes the sink congested (threshold 0)
    send({ call: 'receive', handle });
    expect(server.stats().deferredReceives).toBe(1);
    send({ call: 'receive', handle });
    // The refusal is held with the socket congested (it would add to what waits), sent on drain.
    expect(sink.replies).toHaveLength(1);
    synthetic.emit(1000);
    expect(sink.buffers).toHaveLength(0);
    sink.waiting = 0;
    sink.threshold = Infinity;
    connection.drained();
    expect(sink.replies[1]).toMatchObject({ ok: false, status: 616 });
    let delivered = 0;
    let lost = 0;
    for (const b of sink.buffers) {
      const c = count(b);
      delivered += c.events;
      lost += c.lost;
    }
    expect(delivered).toBe(10);
    // 2 buffers of 10 queued; the loss followed the second one's last event, so it carries it.
    expect(lost).toBe(0);
    send({ call: 'receive', handle });
    const second = count(sink.buffers.at(-1) as Uint8Array);
    expect(second).toMatchObject({ events: 10, lost: 990 - 10 });
    await flush();
  });

  it('a client that sends requests but never reads: replies are held (bounded), then it is cut off as a slow reader', () => {
    // Regression: text replies (refusals, open/close results) bypassed the
    // congestion check, so a client that never read grew the socket's buffer
    // by one reply per request, without bound.
    const { sink, send, open, server } = setup({}, 0);
    open(); // congested from here on: the client reads nothing
    for (let i = 0; i < 10_000; i++) send({ call: 'receive', handle: 'ff'.repeat(16) });
    expect(sink.replies).toHaveLength(1);
    expect(sink.maxWaiting).toBeLessThan(1024);
    expect(sink.closedWith).toBe(1008);
    expect(server.stats().dropped).toEqual({ 'slow-reader': 1 });
    // The backlog overflowed at its limit, not later.
    expect(server.stats().refused['ERR_CAPTURE_WS_UNKNOWN_HANDLE']).toBe(
      DEFAULT_MAX_PENDING_REPLIES + 1,
    );
  });

  it('held replies go out in order on drain, before held receives', () => {
    const { sink, send, open, connection, server } = setup({}, 0);
    const handle = open();
    send({ call: 'receive', handle: 'ab'.repeat(16) });
    send({ call: 'open', session: 'nope' });
    expect(sink.replies).toHaveLength(1);
    sink.waiting = 0;
    sink.threshold = Infinity;
    connection.drained();
    expect(sink.replies.slice(1).map((r) => r.id)).toEqual([2, 3]);
    expect(sink.replies[1]).toMatchObject({ ok: false, code: 'ERR_CAPTURE_WS_UNKNOWN_HANDLE' });
    expect(sink.closedWith).toBeUndefined();
    expect(server.stats().dropped).toEqual({});
    send({ call: 'close', handle });
    expect(sink.replies.at(-1)).toMatchObject({ id: 4, ok: true });
  });

  it('a connection holds at most maxHandlesPerConnection handles: one more open is ERROR_BUSY (170)', () => {
    const clock = new VirtualClock(0);
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    for (const name of ['A', 'B', 'C']) {
      table.createSession({ name, providers: [{ provider: 'netrx-synthetic' }] }).start();
    }
    const server = new LrecWsServer({ table, crypto, maxHandlesPerConnection: 2 });
    const sink = new Sink();
    const connection = server.connect(sink);
    let id = 0;
    for (const session of ['A', 'B', 'C']) {
      connection.message(JSON.stringify({ id: ++id, call: 'open', session }), false);
    }
    expect(sink.replies.map((r) => r.ok)).toEqual([true, true, false]);
    expect(sink.replies[2]).toMatchObject({ status: 170, code: 'ERROR_BUSY' });
    expect(server.stats().handles).toBe(2);
    // The session refused stays openable by someone else.
    expect(() => table.openSession('C')).not.toThrow();
  });

  it('maxPendingReplies must be a positive integer', () => {
    const clock = new VirtualClock(0);
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new LrecWsServer({ table, crypto, maxPendingReplies: bad })).toThrow(RangeError);
    }
  });

  it('property: delivered + lost = generated, and what waits in the socket stays bounded', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('emit' as const), n: fc.integer({ min: 1, max: 400 }) }),
      fc.record({ kind: fc.constant('receive' as const) }),
      // Requests whose answers are text only (a refusal), which a slow client may pile up.
      { arbitrary: fc.record({ kind: fc.constant('junk' as const) }), weight: 6 },
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 800 }) }),
      fc.record({ kind: fc.constant('drain' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 100 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.constantFrom(0, 5, 20),
        async (ops, threshold, eventsPerBuffer) => {
          const bufferBytes = 4096;
          const t = setup({ bufferBytes, maxBuffers: 3, eventsPerBuffer, timerMs: 100 }, threshold);
          const handle = t.open();
          let answered = 0;
          for (const o of ops) {
            if (o.kind === 'emit') t.synthetic.emit(o.n);
            else if (o.kind === 'advance') t.clock.advance(o.ms);
            else if (o.kind === 'junk') t.send({ call: 'receive', handle: 'ee'.repeat(16) });
            else if (o.kind === 'drain') {
              t.sink.waiting = 0;
              t.sink.textWhileCongested = 0;
              t.connection.drained();
            } else {
              // A client posts its next receive only after the previous answer, as the tail does.
              if (t.sink.buffers.length === answered) {
                const before = t.sink.replies.length;
                t.send({ call: 'receive', handle });
                if (t.sink.replies.length > before && !t.sink.replies.at(-1)!.ok) continue;
              }
            }
            await flush();
            answered = Math.max(answered, t.sink.buffers.length);
            // What waits unsent: the threshold, then the write that crossed it (one
            // reply, or one EVENT_BUFFER with its header); held replies wait in the core.
            expect(t.sink.maxWaiting).toBeLessThanOrEqual(threshold + bufferBytes + 400);
            // Past the threshold only a completing receive's header is written (one handle).
            expect(t.sink.textWhileCongested).toBeLessThanOrEqual(200);
          }
          // Cut off as a slow reader (65 refusals held): the bound held; nothing more to count.
          if (t.sink.closedWith !== undefined) return;
          t.send({ call: 'close', handle });
          t.sink.waiting = 0;
          t.connection.drained();
          await flush();
          let delivered = 0;
          let lost = 0;
          for (const b of t.sink.buffers) {
            const c = count(b);
            delivered += c.events;
            lost += c.lost;
          }
          expect(delivered + lost + t.session.stats().unreportedLost).toBe(t.synthetic.generated);
        },
      ),
      { numRuns: 200 },
    );
  });
});
