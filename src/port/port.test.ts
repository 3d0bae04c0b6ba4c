import { describe, expect, it } from 'vitest';
import { BufferPool } from '../bytes/index.js';
import { NetrxError } from '../runtime/index.js';
import { VirtualClock, createPortPair } from '../testing/index.js';
import { TraceRegistry } from '../trace/index.js';
import {
  INFINITE,
  PORT_PROVIDER,
  PortEvent,
  RasError,
  parseChatArgs,
  rasError,
  runChat,
} from './index.js';

const text = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);

function make(options: { pool?: BufferPool; maxQueuedBytes?: number } = {}) {
  const clock = new VirtualClock();
  const { port, peer } = createPortPair({ clock, ...options });
  return { clock, port, peer };
}

function codeOf(run: () => unknown): number | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof NetrxError) return error.number;
    throw error;
  }
  return undefined;
}

describe('Port: RasGetBuffer / RasFreeBuffer', () => {
  it('hands out at most 1500 bytes and reports the size allocated', () => {
    const { port } = make();
    expect(port.getBuffer(4000).length).toBe(1500);
    expect(port.getBuffer(10).length).toBe(10);
  });

  it('fails with ERROR_OUT_OF_BUFFERS (614) when the pool is exhausted', () => {
    const { port } = make({ pool: new BufferPool({ capacity: 2 }) });
    port.getBuffer();
    port.getBuffer();
    expect(codeOf(() => port.getBuffer())).toBe(614);
  });

  it('refuses a foreign buffer with ERROR_BUFFER_INVALID (610) in every call', () => {
    const { port } = make();
    const foreign = new Uint8Array(100);
    const otherPool = new BufferPool().get(100);
    expect(codeOf(() => port.freeBuffer(foreign))).toBe(610);
    expect(codeOf(() => port.sendBuffer(foreign, 1))).toBe(610);
    expect(codeOf(() => port.receiveBuffer(otherPool, 10))).toBe(610);
    port.getBuffer();
    expect(codeOf(() => port.retrieveBuffer(foreign))).toBe(610);
  });

  it('refuses to free a buffer posted for a receive (616) until it is retrieved', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer();
    port.receiveBuffer(buffer, 100);
    expect(codeOf(() => port.freeBuffer(buffer))).toBe(616);
    peer.write('x');
    port.retrieveBuffer(buffer);
    expect(() => port.freeBuffer(buffer)).not.toThrow();
  });
});

describe('Port: RasSendBuffer', () => {
  it('sends the first size bytes, and the buffer is reusable at once', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer(16);
    buffer.set(new TextEncoder().encode('ppp\rXXXX'));
    port.sendBuffer(buffer, 4);
    buffer.fill(0);
    expect(peer.received).toBe('ppp\r');
  });

  it('refuses a size past the buffer (610) and a disconnected port (619)', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer(4);
    expect(codeOf(() => port.sendBuffer(buffer, 5))).toBe(610);
    peer.hangUp();
    expect(codeOf(() => port.sendBuffer(buffer, 1))).toBe(619);
  });

  it('send() of more than a pool buffer goes out whole, in order', () => {
    const { port, peer } = make();
    const big = 'x'.repeat(4000) + 'end';
    port.send(big);
    expect(peer.received).toBe(big);
  });
});

describe('Port: RasReceiveBuffer / RasRetrieveBuffer', () => {
  it('returns at once; the event is set when data arrives; retrieve gives the size', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer();
    const event = new PortEvent();
    expect(port.receiveBuffer(buffer, 5000, event)).toBe(event);
    expect(event.isSet).toBe(false);
    expect(port.retrieveBuffer(buffer).error).toBe(RasError.PENDING);
    peer.write('login: ');
    expect(event.isSet).toBe(true);
    const result = port.retrieveBuffer(buffer);
    expect(result).toMatchObject({ error: 0, size: 7 });
    expect(text(buffer.subarray(0, result.size))).toBe('login: ');
    expect(result.data.buffer).toBe(buffer.buffer);
  });

  it('sets the event on a plain timeout; retrieve reports ERROR_REQUEST_TIMEOUT (638) and size 0', async () => {
    const { clock, port } = make();
    const buffer = port.getBuffer();
    const event = port.receiveBuffer(buffer, 250);
    clock.advance(249);
    expect(event.isSet).toBe(false);
    clock.advance(1);
    expect(event.isSet).toBe(true);
    await event.wait();
    expect(port.retrieveBuffer(buffer)).toMatchObject({ error: 638, size: 0 });
    expect(port.stats().timeouts).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancels the timer when data wins', () => {
    const { clock, port, peer } = make();
    const buffer = port.getBuffer();
    port.receiveBuffer(buffer, 250);
    peer.write('a');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1000);
    expect(port.retrieveBuffer(buffer).error).toBe(0);
  });

  it('a zero timeout polls; INFINITE never times out', () => {
    const { clock, port, peer } = make();
    const buffer = port.getBuffer();
    expect(port.receiveBuffer(buffer, 0).isSet).toBe(true);
    expect(port.retrieveBuffer(buffer).error).toBe(638);
    const event = port.receiveBuffer(buffer, INFINITE);
    clock.advance(10 * 24 * 3600 * 1000);
    expect(event.isSet).toBe(false);
    peer.write('z');
    expect(event.isSet).toBe(true);
  });

  it('sets the event when the port disconnects while a receive is pending; retrieve gives 619', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer();
    const event = port.receiveBuffer(buffer, 5000);
    peer.hangUp();
    expect(event.isSet).toBe(true);
    const result = port.retrieveBuffer(buffer);
    expect(result).toMatchObject({ error: 619, size: 0 });
    expect(result.cause?.code).toBe('ERROR_PORT_DISCONNECTED');
  });

  it('reports the cause the transport gave for a disconnect', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer();
    port.receiveBuffer(buffer, 5000);
    peer.hangUp(rasError('ERROR_REMOTE_DISCONNECTION', 'peer reset'));
    expect(port.retrieveBuffer(buffer).error).toBe(629);
  });

  it('delivers bytes received before a disconnect first, then the disconnect', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer();
    peer.write('bye\r\n');
    peer.hangUp();
    port.receiveBuffer(buffer, 100);
    expect(port.retrieveBuffer(buffer)).toMatchObject({ error: 0, size: 5 });
    expect(port.receiveBuffer(buffer, 100).isSet).toBe(true);
    expect(port.retrieveBuffer(buffer).error).toBe(619);
  });

  it('fails a second receive with ERROR_ASYNC_REQUEST_PENDING (616) until the first is retrieved', () => {
    const { port, peer } = make();
    const a = port.getBuffer();
    const b = port.getBuffer();
    port.receiveBuffer(a, 100);
    expect(codeOf(() => port.receiveBuffer(b, 100))).toBe(616);
    peer.write('x');
    // Completed but not retrieved: still one receive.
    expect(codeOf(() => port.receiveBuffer(b, 100))).toBe(616);
    port.retrieveBuffer(a);
    expect(() => port.receiveBuffer(b, 100)).not.toThrow();
    expect(port.stats().refusedReceives).toBe(2);
  });

  it('refuses a RAS receive while an idiomatic receive is outstanding, and the reverse', async () => {
    const { port, peer } = make();
    const buffer = port.getBuffer();
    const pending = port.receive();
    expect(codeOf(() => port.receiveBuffer(buffer, 100))).toBe(616);
    peer.write('1');
    await pending;
    port.receiveBuffer(buffer, 100);
    await expect(port.receive()).rejects.toMatchObject({ number: 616 });
  });

  it('retrieves into another pool buffer by copy, or reports ERROR_BUFFER_TOO_SMALL (603) and keeps the data', () => {
    const { port, peer } = make();
    const posted = port.getBuffer(64);
    const small = port.getBuffer(2);
    const other = port.getBuffer(64);
    port.receiveBuffer(posted, 100);
    peer.write('hello');
    expect(port.retrieveBuffer(small)).toMatchObject({ error: 603, size: 0 });
    const result = port.retrieveBuffer(other);
    expect(result).toMatchObject({ error: 0, size: 5 });
    expect(text(other.subarray(0, 5))).toBe('hello');
  });

  it('fills the posted buffer from several chunks and keeps what does not fit', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer(4);
    peer.write('ab');
    peer.write('cdef');
    port.receiveBuffer(buffer, 100);
    expect(text(port.retrieveBuffer(buffer).data)).toBe('abcd');
    port.receiveBuffer(buffer, 100);
    expect(text(port.retrieveBuffer(buffer).data)).toBe('ef');
  });

  it('retrieve with nothing posted is a coded misuse (87)', () => {
    const { port } = make();
    expect(codeOf(() => port.retrieveBuffer(port.getBuffer()))).toBe(87);
  });

  it('ERROR_INVALID_PORT_HANDLE (601) after close; a pending receive is woken; free still works', () => {
    const { port, peer } = make();
    const buffer = port.getBuffer();
    const event = port.receiveBuffer(buffer, 5000);
    port.close();
    expect(event.isSet).toBe(true);
    expect(peer.closed).toBe(true);
    expect(codeOf(() => port.retrieveBuffer(buffer))).toBe(601);
    expect(codeOf(() => port.getBuffer())).toBe(601);
    expect(codeOf(() => port.sendBuffer(buffer, 1))).toBe(601);
    expect(codeOf(() => port.receiveBuffer(buffer, 1))).toBe(601);
    expect(() => port.freeBuffer(buffer)).not.toThrow();
  });

  it('validates the timeout', () => {
    const { port } = make();
    expect(() => port.receiveBuffer(port.getBuffer(), -1)).toThrow(RangeError);
    expect(() => port.receiveBuffer(port.getBuffer(), Number.NaN)).toThrow(RangeError);
  });
});

describe('Port: the receive queue is bounded and asks the transport to pause', () => {
  it('pauses at half the bound, holds what does not fit, resumes below a quarter', () => {
    const { port, peer } = make({ maxQueuedBytes: 100 });
    peer.write('x'.repeat(49));
    expect(peer.paused).toBe(false);
    peer.write('x');
    expect(peer.paused).toBe(true);
    // A transport that ignores pause: 50 bytes fit, 10 are held (not lost) ...
    peer.write('y'.repeat(60));
    expect(port.stats()).toMatchObject({ dropped: 0, queuedBytes: 110, pauses: 1 });
    // ... and nothing may pass held bytes: the next chunk is refused and counted.
    peer.write('zzzzz');
    expect(port.stats()).toMatchObject({ dropped: 1, droppedBytes: 5 });
    const buffer = port.getBuffer(100);
    let got = '';
    while (port.stats().queuedBytes > 0) {
      port.receiveBuffer(buffer, 10);
      got += text(port.retrieveBuffer(buffer).data);
    }
    expect(got).toBe('x'.repeat(50) + 'y'.repeat(60));
    expect(peer.paused).toBe(false);
  });

  it('a flood of one-byte chunks is held at the chunk bound too, not dropped', () => {
    const { port, peer } = make();
    for (let i = 0; i < 4097; i++) peer.write('x');
    expect(peer.paused).toBe(true);
    expect(port.stats()).toMatchObject({ dropped: 0, queuedBytes: 4097 });
    let got = 0;
    const buffer = port.getBuffer(1500);
    while (port.stats().queuedBytes > 0) {
      port.receiveBuffer(buffer, 10);
      got += port.retrieveBuffer(buffer).size;
    }
    expect(got).toBe(4097);
  });

  it('a chunk larger than the whole bound is split, never dropped, and the disconnect waits for it', () => {
    const { port, peer } = make({ maxQueuedBytes: 16 });
    peer.write('a'.repeat(40));
    peer.hangUp();
    const buffer = port.getBuffer(64);
    let got = '';
    for (;;) {
      port.receiveBuffer(buffer, 10);
      const result = port.retrieveBuffer(buffer);
      if (result.error !== 0) {
        expect(result.error).toBe(619);
        break;
      }
      got += text(result.data);
    }
    expect(got).toBe('a'.repeat(40));
    expect(port.stats().dropped).toBe(0);
  });
});

describe('Port: the idiomatic layer', () => {
  it('receive() resolves with the next chunk; rejects 638 on timeout and 619 on disconnect', async () => {
    const { clock, port, peer } = make();
    const first = port.receive();
    peer.write('abc');
    expect(text(await first)).toBe('abc');
    const timed = port.receive({ timeoutMs: 50 });
    clock.advance(50);
    await expect(timed).rejects.toMatchObject({ code: 'ERROR_REQUEST_TIMEOUT', number: 638 });
    const gone = port.receive();
    peer.hangUp();
    await expect(gone).rejects.toMatchObject({ number: 619 });
  });

  it('receive() after close rejects with 601', async () => {
    const { port } = make();
    const pending = port.receive();
    port.close();
    await expect(pending).rejects.toMatchObject({ number: 601 });
    await expect(port.receive()).rejects.toMatchObject({ number: 601 });
  });

  it('async iteration yields chunks and ends at the disconnect', async () => {
    const { port, peer } = make();
    peer.write('one');
    peer.write('two');
    peer.hangUp();
    const chunks: string[] = [];
    for await (const chunk of port) chunks.push(text(chunk));
    expect(chunks).toEqual(['one', 'two']);
  });

  it('expect() finds a literal split across chunks and keeps the rest for the next read', async () => {
    const { port, peer } = make();
    const waiting = port.expect(['ssword:', 'ogin:']);
    peer.write('Welcome\r\nlo');
    peer.write('gin: rest');
    const match = await waiting;
    expect(match).toMatchObject({ index: 1, match: 'ogin:', before: 'Welcome\r\nl' });
    expect(text(await port.receive())).toBe(' rest');
  });

  it('expect(): first in the stream wins over first in the list; ties go to the list order', async () => {
    const { port, peer } = make();
    peer.write('xx BUSY yy CONNECT');
    expect((await port.expect(['CONNECT', 'BUSY'])).index).toBe(1);
    expect((await port.expect(['CONNECT'])).before).toBe(' yy ');
    peer.write('ABC');
    expect((await port.expect(['BC', 'C'])).index).toBe(0);
  });

  it('expect(): a regular expression wins when its match ends first', async () => {
    const { port, peer } = make();
    peer.write('id=42;\r\n$ ');
    const match = await port.expect(['$ ', /id=(\d+);/]);
    expect(match).toMatchObject({ index: 1, match: 'id=42;', groups: ['42'] });
    expect((await port.expect(['$ '])).before).toBe('\r\n');
  });

  it('expect() times out with 638 on the virtual clock and forgets old bytes within its window', async () => {
    const { clock, port, peer } = make();
    const waiting = port.expect(['never'], { timeoutMs: 1000, maxWindow: 16 });
    peer.write('x'.repeat(100));
    clock.advance(1000);
    await expect(waiting).rejects.toMatchObject({ number: 638 });
    const later = port.expect([/end/], { maxWindow: 8 });
    peer.write('y'.repeat(50));
    peer.write('the end');
    expect(await later).toMatchObject({ index: 0, forgotten: 42 });
  });

  it('expect() with a zero timeout polls: bytes already queued are matched', async () => {
    const { port, peer } = make();
    peer.write('OK\r\n');
    await expect(port.expect(['OK'], { timeoutMs: 0 })).resolves.toMatchObject({ index: 0 });
    await expect(port.expect(['OK'], { timeoutMs: 0 })).rejects.toMatchObject({ number: 638 });
  });

  it('receiveBuffer serves bytes an expect left behind, first', () => {
    const { port } = make();
    port.unread(new TextEncoder().encode('left'));
    const buffer = port.getBuffer(2);
    expect(port.receiveBuffer(buffer, 10).isSet).toBe(true);
    expect(text(port.retrieveBuffer(buffer).data)).toBe('le');
    port.receiveBuffer(buffer, 10);
    expect(text(port.retrieveBuffer(buffer).data)).toBe('ft');
  });
});

describe('Port: setCommSettings', () => {
  it('validates, records and passes line settings to the transport', () => {
    const { port, peer } = make();
    port.setCommSettings({ parity: 2, stopBits: 0, byteSize: 7 });
    expect(port.commSettings).toEqual({ parity: 2, stopBits: 0, byteSize: 7 });
    expect(peer.commSettings).toHaveLength(1);
    expect(() => port.setCommSettings({ parity: 9, stopBits: 0, byteSize: 8 } as never)).toThrow(
      RangeError,
    );
    expect(() => port.setCommSettings({ parity: 0, stopBits: 0, byteSize: 9 } as never)).toThrow(
      RangeError,
    );
  });
});

describe('Port: tracing', () => {
  it('writes opened, refused receive, refused bytes, disconnected, closed and a script result to netrx-port', async () => {
    const clock = new VirtualClock();
    const trace = new TraceRegistry({ clock });
    const seen: string[] = [];
    trace.enable(PORT_PROVIDER.name, (event) => seen.push(event.descriptor.name));
    const { port, peer } = createPortPair({ clock, trace, name: 'tty0', maxQueuedBytes: 8 });
    const buffer = port.getBuffer();
    port.receiveBuffer(buffer, 10);
    expect(() => port.receiveBuffer(buffer, 10)).toThrow();
    port.retrieveBuffer(buffer);
    clock.advance(10);
    port.retrieveBuffer(buffer);
    peer.write('0123456789'); // 8 fit, 2 are held, the transport is paused
    peer.write('x'); // refused: bytes are held
    const running = runChat(port, parseChatArgs(['never', '']), {
      clock,
      timeoutSeconds: 1,
      output: { log: () => {}, stderr: () => {}, report: () => {} },
    });
    await new Promise((resolve) => setImmediate(resolve));
    peer.hangUp();
    expect((await running).exitCode).toBe(2);
    port.close();
    expect(seen).toEqual(
      expect.arrayContaining([
        'PortOpened',
        'ReceiveRefused',
        'TransportPaused',
        'BytesRefused',
        'PortDisconnected',
        'ScriptFinished',
        'PortClosed',
      ]),
    );
    expect(seen[0]).toBe('PortOpened');
    expect(seen.at(-1)).toBe('PortClosed');
  });
});
