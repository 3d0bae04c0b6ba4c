import { describe, expect, it } from 'vitest';
import { Receiver, type ReceiverOptions } from './receiver.js';
import { VirtualClock } from '../testing/index.js';
import { NetrxError } from '../runtime/index.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (value: string) => new TextEncoder().encode(value);

function make(options: Omit<ReceiverOptions, 'clock'> = {}) {
  const clock = new VirtualClock();
  const receiver = new Receiver<string | undefined>({ clock, ...options });
  return { clock, receiver };
}

describe('Receiver: posting and completing', () => {
  it('returns at once and completes when data arrives', async () => {
    const { receiver } = make();
    const op = receiver.receive();
    expect(op.isPending).toBe(true);
    expect(op.result).toBeUndefined();
    receiver.push(bytes(1, 2, 3), 'meta');
    expect(op.result).toEqual({ status: 'data', data: bytes(1, 2, 3), meta: 'meta', more: false });
    await expect(op.done).resolves.toBe(op.result);
  });

  it('completes synchronously when data is already queued', () => {
    const { receiver } = make();
    receiver.push(bytes(9), undefined);
    const op = receiver.receive();
    expect(op.result?.status).toBe('data');
  });

  it('delivers without copying when no buffer is posted', () => {
    const { receiver } = make();
    const data = bytes(1, 2, 3, 4);
    receiver.push(data, undefined);
    const result = receiver.receive().result;
    expect(result?.status === 'data' && result.data).toBe(data);
  });

  it('copies into the caller buffer and trims the view to what was written', () => {
    const { receiver } = make();
    const buffer = new Uint8Array(8);
    const op = receiver.receive({ buffer });
    receiver.push(bytes(5, 6), undefined);
    const result = op.result;
    expect(result?.status).toBe('data');
    if (result?.status !== 'data') return;
    expect(result.data.buffer).toBe(buffer.buffer);
    expect(Array.from(result.data)).toEqual([5, 6]);
  });

  it('keeps queued messages in arrival order', () => {
    const { receiver } = make();
    receiver.push(text('a'), undefined);
    receiver.push(text('b'), undefined);
    const first = receiver.receive().result;
    const second = receiver.receive().result;
    expect(first?.status === 'data' && first.data).toEqual(text('a'));
    expect(second?.status === 'data' && second.data).toEqual(text('b'));
  });

  it('delivers an empty message in message framing', () => {
    const { receiver } = make();
    receiver.push(new Uint8Array(0), 'empty');
    expect(receiver.receive().result).toMatchObject({ status: 'data', meta: 'empty' });
  });

  it('validates its arguments', () => {
    const { receiver } = make();
    expect(() => receiver.receive({ buffer: new Uint8Array(0) })).toThrow(TypeError);
    expect(() => receiver.receive({ timeoutMs: -1 })).toThrow(RangeError);
    expect(() => receiver.receive({ timeoutMs: Number.NaN })).toThrow(RangeError);
    expect(() => receiver.receive({ timeoutMs: Infinity })).toThrow(RangeError);
    expect(() => make({ maxQueuedItems: 0 })).toThrow(RangeError);
    expect(() => make({ outstanding: 'queued', maxOutstanding: 1.5 })).toThrow(RangeError);
  });
});

describe('Receiver: timeouts', () => {
  it('completes with a timeout when the clock passes the deadline', async () => {
    const { clock, receiver } = make();
    const op = receiver.receive({ timeoutMs: 100 });
    clock.advance(99);
    expect(op.isPending).toBe(true);
    clock.advance(1);
    expect(op.result).toEqual({ status: 'timeout' });
    await expect(op.done).resolves.toEqual({ status: 'timeout' });
    expect(receiver.stats().timeouts).toBe(1);
  });

  it('polls with a zero timeout', () => {
    const { receiver } = make();
    expect(receiver.receive({ timeoutMs: 0 }).result).toEqual({ status: 'timeout' });
    receiver.push(bytes(1), undefined);
    expect(receiver.receive({ timeoutMs: 0 }).result?.status).toBe('data');
  });

  it('cancels the timer when data wins', () => {
    const { clock, receiver } = make();
    const op = receiver.receive({ timeoutMs: 50 });
    receiver.push(bytes(1), undefined);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100);
    expect(op.result?.status).toBe('data');
    expect(receiver.stats().timeouts).toBe(0);
  });

  it('race, timeout first in the same tick: the late data stays queued, not lost', () => {
    const { clock, receiver } = make();
    const op = receiver.receive({ timeoutMs: 10 });
    // Two timers due at t=10: the receive's timeout (set first) and a producer.
    clock.setTimer(10, () => receiver.push(bytes(8), 'late'));
    clock.advance(10);
    expect(op.result).toEqual({ status: 'timeout' });
    expect(receiver.stats().queuedItems).toBe(1);
    expect(receiver.receive().result).toMatchObject({ status: 'data', meta: 'late' });
  });

  it('race, producer before timeout in the same tick: data wins, exactly once', () => {
    const { clock, receiver } = make();
    clock.setTimer(10, () => receiver.push(bytes(8), 'first'));
    const op = receiver.receive({ timeoutMs: 10 });
    clock.advance(10);
    expect(op.result).toMatchObject({ status: 'data', meta: 'first' });
    expect(receiver.stats()).toMatchObject({ timeouts: 0, delivered: 1 });
  });
});

describe('Receiver: disconnect', () => {
  it('completes a pending receive with the cause', async () => {
    const { receiver } = make();
    const op = receiver.receive({ timeoutMs: 1000 });
    const cause = new NetrxError('ERROR_REMOTE_DISCONNECTION', 'peer hung up', { number: 629 });
    receiver.disconnect(cause);
    expect(op.result).toEqual({ status: 'disconnected', error: cause });
    await expect(op.done).resolves.toMatchObject({ status: 'disconnected' });
  });

  it('defaults to ERROR_PORT_DISCONNECTED (619)', () => {
    const { receiver } = make();
    const op = receiver.receive();
    receiver.disconnect();
    const result = op.result;
    expect(result?.status === 'disconnected' && result.error.number).toBe(619);
  });

  it('still delivers data queued before the disconnect, then reports it', () => {
    const { receiver } = make();
    receiver.push(bytes(1), undefined);
    receiver.disconnect();
    expect(receiver.receive().result?.status).toBe('data');
    expect(receiver.receive().result?.status).toBe('disconnected');
    expect(receiver.isDisconnected).toBe(true);
  });

  it('refuses and counts pushes after a disconnect; is idempotent', () => {
    const { receiver } = make();
    receiver.disconnect();
    receiver.disconnect(new NetrxError('OTHER', 'ignored'));
    expect(receiver.push(bytes(1, 2), undefined)).toBe(false);
    expect(receiver.stats()).toMatchObject({ dropped: 1, droppedBytes: 2 });
    const result = receiver.receive().result;
    expect(result?.status === 'disconnected' && result.error.code).toBe('ERROR_PORT_DISCONNECTED');
  });

  it('completes every queued receive in queued mode', () => {
    const { receiver } = make({ outstanding: 'queued' });
    const ops = [receiver.receive(), receiver.receive(), receiver.receive()];
    receiver.disconnect();
    expect(ops.map((op) => op.result?.status)).toEqual([
      'disconnected',
      'disconnected',
      'disconnected',
    ]);
    expect(receiver.stats()).toMatchObject({ outstanding: 0, disconnects: 3 });
  });
});

describe('Receiver: abort', () => {
  it('completes with the signal reason', async () => {
    const { receiver } = make();
    const controller = new AbortController();
    const op = receiver.receive({ signal: controller.signal });
    controller.abort('changed my mind');
    expect(op.result).toEqual({ status: 'aborted', reason: 'changed my mind' });
    await expect(op.done).resolves.toMatchObject({ status: 'aborted' });
    expect(receiver.stats()).toMatchObject({ aborts: 1, outstanding: 0 });
  });

  it('completes at once with an already-aborted signal, even with data queued', () => {
    const { receiver } = make();
    receiver.push(bytes(1), undefined);
    const op = receiver.receive({ signal: AbortSignal.abort('early') });
    expect(op.result).toEqual({ status: 'aborted', reason: 'early' });
    expect(receiver.stats().queuedItems).toBe(1);
  });

  it('ignores an abort after completion and cancels the timer on abort', () => {
    const { clock, receiver } = make();
    const controller = new AbortController();
    const op = receiver.receive({ signal: controller.signal, timeoutMs: 10 });
    receiver.push(bytes(3), undefined);
    controller.abort();
    expect(op.result?.status).toBe('data');
    expect(receiver.stats().aborts).toBe(0);

    const second = new AbortController();
    const op2 = receiver.receive({ signal: second.signal, timeoutMs: 10 });
    second.abort();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(20);
    expect(op2.result?.status).toBe('aborted');
  });

  it('aborting one of several queued receives leaves the others in order', () => {
    const { receiver } = make({ outstanding: 'queued' });
    const controller = new AbortController();
    const a = receiver.receive();
    const b = receiver.receive({ signal: controller.signal });
    const c = receiver.receive();
    controller.abort();
    receiver.push(text('1'), '1');
    receiver.push(text('2'), '2');
    expect(a.result).toMatchObject({ meta: '1' });
    expect(b.result?.status).toBe('aborted');
    expect(c.result).toMatchObject({ meta: '2' });
  });
});

describe('Receiver: outstanding policy', () => {
  it('single: a second outstanding receive fails with ERROR_ASYNC_REQUEST_PENDING (616)', () => {
    const { receiver } = make();
    receiver.receive();
    let error: NetrxError | undefined;
    try {
      receiver.receive();
    } catch (caught) {
      error = caught as NetrxError;
    }
    expect(error).toBeInstanceOf(NetrxError);
    expect(error?.code).toBe('ERROR_ASYNC_REQUEST_PENDING');
    expect(error?.number).toBe(616);
    expect(receiver.stats().refusedReceives).toBe(1);
  });

  it('single: a new receive is allowed once the first completed', () => {
    const { receiver } = make();
    receiver.receive();
    receiver.push(bytes(1), undefined);
    expect(() => receiver.receive()).not.toThrow();
  });

  it('queued: receives complete in posting order, up to the bound', () => {
    const { receiver } = make({ outstanding: 'queued', maxOutstanding: 2 });
    const first = receiver.receive();
    const second = receiver.receive();
    expect(() => receiver.receive()).toThrow(/2 are already outstanding/);
    receiver.push(text('x'), 'x');
    expect(first.result).toMatchObject({ meta: 'x' });
    expect(second.isPending).toBe(true);
  });
});

describe('Receiver: caller buffers smaller than the data', () => {
  it('split: delivers in parts with more=true, the rest stays at the head', () => {
    const { receiver } = make();
    receiver.push(bytes(1, 2, 3, 4, 5), 'm');
    receiver.push(bytes(9), 'n');
    const buffer = new Uint8Array(2);
    const parts: number[][] = [];
    const flags: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const result = receiver.receive({ buffer }).result;
      if (result?.status !== 'data') throw new Error('expected data');
      parts.push(Array.from(result.data));
      flags.push(result.more);
    }
    expect(parts).toEqual([[1, 2], [3, 4], [5]]);
    expect(flags).toEqual([true, true, false]);
    expect(receiver.receive().result).toMatchObject({ meta: 'n' });
    expect(receiver.stats().queuedBytes).toBe(0);
  });

  it('refuse: completes too-small with the size needed and keeps the message', () => {
    const { receiver } = make({ oversize: 'refuse' });
    receiver.push(bytes(1, 2, 3), undefined);
    expect(receiver.receive({ buffer: new Uint8Array(2) }).result).toEqual({
      status: 'too-small',
      needed: 3,
    });
    expect(receiver.stats()).toMatchObject({ tooSmall: 1, queuedItems: 1, queuedBytes: 3 });
    const result = receiver.receive({ buffer: new Uint8Array(3) }).result;
    expect(result?.status === 'data' && Array.from(result.data)).toEqual([1, 2, 3]);
  });

  it('refuse: a pending receive whose buffer is too small completes too-small on arrival', () => {
    const { receiver } = make({ oversize: 'refuse' });
    const op = receiver.receive({ buffer: new Uint8Array(1) });
    receiver.push(bytes(1, 2), undefined);
    expect(op.result).toEqual({ status: 'too-small', needed: 2 });
    expect(receiver.stats().queuedItems).toBe(1);
  });
});

describe('Receiver: truncate (datagram semantics)', () => {
  it('delivers what fits with truncated: true and discards the rest', () => {
    const { receiver } = make({ oversize: 'truncate' });
    receiver.push(bytes(1, 2, 3), 'a');
    receiver.push(bytes(4), 'b');
    expect(receiver.receive({ buffer: new Uint8Array(2) }).result).toEqual({
      status: 'data',
      data: bytes(1, 2),
      meta: 'a',
      more: false,
      truncated: true,
    });
    expect(receiver.receive({ buffer: new Uint8Array(2) }).result).toEqual({
      status: 'data',
      data: bytes(4),
      meta: 'b',
      more: false,
    });
    expect(receiver.stats()).toMatchObject({
      truncated: 1,
      truncatedBytes: 1,
      delivered: 2,
      deliveredBytes: 3,
      queuedItems: 0,
      queuedBytes: 0,
    });
  });

  it('wouldAccept answers without counting; refuse counts the drop', () => {
    const { receiver } = make({ maxQueuedItems: 1, maxQueuedBytes: 4 });
    expect(receiver.wouldAccept(5)).toBe(false);
    expect(receiver.wouldAccept(4)).toBe(true);
    receiver.push(bytes(1), undefined);
    expect(receiver.wouldAccept(1)).toBe(false);
    expect(receiver.stats().dropped).toBe(0);
    receiver.refuse(7);
    expect(receiver.stats()).toMatchObject({ dropped: 1, droppedBytes: 7 });
    receiver.receive();
    receiver.receive(); // now one waits: anything is accepted
    expect(receiver.wouldAccept(1000)).toBe(true);
    receiver.disconnect();
    expect(receiver.wouldAccept(1)).toBe(false);
  });
});

describe('Receiver: stream framing', () => {
  it('fills a caller buffer from several runs and keeps the rest', () => {
    const { receiver } = make({ framing: 'stream' });
    receiver.push(text('ogi'), undefined);
    receiver.push(text('n: pass'), undefined);
    const buffer = new Uint8Array(6);
    const first = receiver.receive({ buffer }).result;
    expect(first?.status === 'data' && new TextDecoder().decode(first.data)).toBe('ogin: ');
    expect(first?.status === 'data' && first.more).toBe(true);
    const second = receiver.receive({ buffer: new Uint8Array(64) }).result;
    expect(second?.status === 'data' && new TextDecoder().decode(second.data)).toBe('pass');
    expect(second?.status === 'data' && second.more).toBe(false);
  });

  it('hands out one run as a view when no buffer is posted', () => {
    const { receiver } = make({ framing: 'stream' });
    const run = text('abc');
    receiver.push(run, undefined);
    receiver.push(text('def'), undefined);
    const result = receiver.receive().result;
    expect(result?.status === 'data' && result.data).toBe(run);
    expect(result?.status === 'data' && result.more).toBe(true);
  });

  it('ignores empty runs', () => {
    const { receiver } = make({ framing: 'stream' });
    expect(receiver.push(new Uint8Array(0), undefined)).toBe(true);
    expect(receiver.stats().queuedItems).toBe(0);
  });
});

describe('Receiver: the bounded queue and its drop counter', () => {
  it('refuses pushes past the item bound and counts them, keeping what it accepted', () => {
    const { receiver } = make({ maxQueuedItems: 2 });
    expect(receiver.push(bytes(1), '1')).toBe(true);
    expect(receiver.push(bytes(2), '2')).toBe(true);
    expect(receiver.push(bytes(3, 3), '3')).toBe(false);
    expect(receiver.stats()).toMatchObject({ dropped: 1, droppedBytes: 2, queuedItems: 2 });
    expect(receiver.receive().result).toMatchObject({ meta: '1' });
    expect(receiver.receive().result).toMatchObject({ meta: '2' });
  });

  it('refuses pushes past the byte bound', () => {
    const { receiver } = make({ maxQueuedBytes: 4 });
    expect(receiver.push(bytes(1, 2, 3), undefined)).toBe(true);
    expect(receiver.push(bytes(4, 5), undefined)).toBe(false);
    expect(receiver.push(bytes(4), undefined)).toBe(true);
    expect(receiver.stats()).toMatchObject({ queuedBytes: 4, dropped: 1, droppedBytes: 2 });
  });

  it('hands data larger than the bound straight to a waiting receive', () => {
    const { receiver } = make({ maxQueuedBytes: 4 });
    const op = receiver.receive();
    expect(receiver.push(new Uint8Array(100), undefined)).toBe(true);
    expect(op.result?.status).toBe('data');
  });

  it('never grows past its bound under a flood', () => {
    const { receiver } = make({ maxQueuedItems: 16, maxQueuedBytes: 1024 });
    for (let i = 0; i < 100_000; i++) receiver.push(new Uint8Array(64), undefined);
    const stats = receiver.stats();
    expect(stats.queuedItems).toBe(16);
    expect(stats.queuedBytes).toBe(1024);
    expect(stats.dropped).toBe(100_000 - 16);
  });

  it('discard() empties the queue and counts it', () => {
    const { receiver } = make();
    receiver.push(bytes(1), undefined);
    receiver.push(bytes(2), undefined);
    expect(receiver.discard()).toBe(2);
    expect(receiver.stats()).toMatchObject({ discarded: 2, queuedItems: 0, queuedBytes: 0 });
  });
});
