import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { equalBytes } from '../bytes/index.js';
import {
  connectHandles,
  HandleDriver,
  VirtualClock,
  type DriverOptions,
} from '../testing/index.js';
import { encodeFrame, Opcode } from '../wire/websocket/index.js';
import {
  createClientHandle,
  createServerHandle,
  validateUpgradeRequest,
  HttpHeadParser,
  type HandleProperties,
} from './index.js';
import { createPortableCrypto } from './portable-crypto.js';

// The host's Web Crypto behind the portable Crypto rather than node:crypto, so
// this file also runs on Deno, Bun and in Chromium (test/portable).
const hostCrypto = createPortableCrypto((into) => globalThis.crypto.getRandomValues(into));

/** `expect.objectContaining`, typed for nesting inside object literals. */
function matching(shape: Record<string, unknown>): unknown {
  return expect.objectContaining(shape) as unknown;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

function pair(
  props: { client?: HandleProperties; server?: HandleProperties } = {},
  drivers: { client?: DriverOptions; server?: DriverOptions } = {},
) {
  const client = createClientHandle({ crypto: hostCrypto, ...props.client });
  const server = createServerHandle({ crypto: hostCrypto, ...props.server });
  client.open();
  server.open();
  return connectHandles(client, server, drivers);
}

/** A server handle fed by a scripted client (frames written by hand). */
function scriptedServer(props: HandleProperties = {}, options: DriverOptions = {}) {
  const server = createServerHandle({ crypto: hostCrypto, ...props });
  server.open();
  const driver = new HandleDriver(server, options);
  driver.postReceive();
  return { server, driver };
}

const MASK = 0x37fa213d;
function clientFrame(opcode: number, payload: Uint8Array | string, fin = true, rsv1 = false) {
  const p = typeof payload === 'string' ? text(payload) : payload;
  return encodeFrame({ opcode, fin, rsv1, payload: p, maskKey: MASK });
}

/** The close status in the last frame a driver wrote. */
function lastCloseWritten(d: HandleDriver): number | undefined {
  const bytes = d.written.at(-1);
  if (bytes === undefined || ((bytes[0] as number) & 0x0f) !== Opcode.Close) return undefined;
  const offset = 2 + (((bytes[1] as number) & 0x80) !== 0 ? 4 : 0);
  return ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
}

describe('WebSocketHandle: messages', () => {
  it.each([0, 1, 125, 126, 127, 65535, 65536, 1 << 20])(
    'carries a %i-byte binary message both ways, byte for byte',
    (size) => {
      const p = pair();
      const data = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
      p.client.handle.send('binary-message', data, 'c1');
      p.server.handle.send('binary-message', data, 's1');
      p.flush();
      // equalBytes, not toEqual: a deep compare of 1 MiB element by element
      // takes seconds on a busy machine.
      for (const got of [p.server.messages(), p.client.messages()]) {
        expect(got.map((m) => [m.type, m.data.length])).toEqual([['binary-message', size]]);
        expect(equalBytes(got[0]!.data, data)).toBe(true);
      }
      expect(p.client.sendsCompleted).toEqual([
        { context: 'c1', sent: true, bufferType: 'binary-message' },
      ]);
    },
  );

  it('masks client frames and leaves server frames unmasked', () => {
    const p = pair();
    p.client.handle.send('utf8-message', text('hi'));
    p.server.handle.send('utf8-message', text('yo'));
    p.flush();
    expect((p.client.written[0] as Uint8Array)[1]).toBe(0x80 | 2);
    expect([...(p.server.written[0] as Uint8Array)]).toEqual([0x81, 2, 0x79, 0x6f]);
  });

  it('delivers text across any chop, in every receive mode', () => {
    const message = 'héllo wörld €𝄞'.repeat(50);
    for (const chop of [1, 2, 3, 7, 1000]) {
      for (const receiveBuffer of [undefined, () => new Uint8Array(5)]) {
        for (const assembleMessages of [false, true]) {
          const p = pair(
            { server: { assembleMessages } },
            {
              server: {
                chop,
                ...(receiveBuffer === undefined ? {} : { receiveBuffer }),
              },
            },
          );
          p.client.handle.send('utf8-message', text(message));
          p.flush();
          const got = p.server.messages();
          expect(got).toHaveLength(1);
          expect(got[0]?.type).toBe('utf8-message');
          expect(decode(got[0]?.data ?? new Uint8Array())).toBe(message);
        }
      }
    }
  });

  it('fills the component buffer when the host reads into it (copy mode)', () => {
    const p = pair({ server: { receiveBufferSize: 256 } }, { server: { copyIntoBuffer: true } });
    const data = new Uint8Array(1000).fill(9);
    p.client.handle.send('binary-message', data);
    p.flush();
    expect(p.server.messages()).toEqual([{ type: 'binary-message', data }]);
  });

  it('hands out views of the chunk it was given when no buffer was posted (zero copy)', () => {
    const server = createServerHandle({ crypto: hostCrypto, assembleMessages: true });
    server.open();
    server.receive(null, 'ctx');
    const read = server.getAction();
    expect(read?.type).toBe('receive-from-network');
    const chunk = clientFrame(Opcode.Binary, new Uint8Array([1, 2, 3, 4]));
    server.completeAction(read?.actionContext ?? 0, chunk);
    const got = server.getAction();
    expect(got?.type).toBe('indicate-receive-complete');
    if (got?.type !== 'indicate-receive-complete') return;
    expect(got.context).toBe('ctx');
    expect(got.buffer.buffer).toBe(chunk.buffer);
    expect([...got.buffer]).toEqual([1, 2, 3, 4]);
  });

  it('indicates a message longer than the caller buffer as fragments then the message', () => {
    const p = pair({}, { server: { receiveBuffer: () => new Uint8Array(4) } });
    p.client.handle.send('binary-message', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    p.flush();
    expect(p.server.received.map((r) => [r.bufferType, [...r.data]])).toEqual([
      ['binary-fragment', [1, 2, 3, 4]],
      ['binary-fragment', [5, 6, 7, 8]],
      ['binary-message', [9, 10]],
    ]);
  });

  it('sends fragments as one message and rejects mixing kinds', () => {
    const p = pair({ server: { assembleMessages: true } });
    p.client.handle.send('utf8-fragment', text('ab'));
    expect(() => p.client.handle.send('binary-message', text('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION' }),
    );
    p.client.handle.send('utf8-fragment', text('cd'));
    p.client.handle.send('utf8-message', text('ef'));
    p.flush();
    expect(p.server.messages().map((m) => [m.type, decode(m.data)])).toEqual([
      ['utf8-message', 'abcdef'],
    ]);
  });

  it('splits a message into frames of sendBufferSize', () => {
    const p = pair({ client: { sendBufferSize: 256 } }, { server: { chop: 100000 } });
    p.client.handle.send('binary-message', new Uint8Array(1000).fill(1));
    p.flush();
    const first = p.client.written[0] as Uint8Array;
    expect(first[0]).toBe(Opcode.Binary); // FIN clear
    expect(p.server.messages()).toEqual([
      { type: 'binary-message', data: new Uint8Array(1000).fill(1) },
    ]);
  });
});

describe('WebSocketHandle: control frames', () => {
  it('answers a ping with an identical pong, out of the receive queue', () => {
    const { server, driver } = scriptedServer();
    driver.deliver(clientFrame(Opcode.Ping, 'are you there'));
    driver.run();
    expect([...(driver.written[0] as Uint8Array)]).toEqual([0x8a, 13, ...text('are you there')]);
    expect(driver.received).toEqual([]);
    expect(server.stats.pingsAnswered).toBe(1);
  });

  it('answers pings interleaved in a fragmented message and still assembles it', () => {
    const { driver } = scriptedServer({ assembleMessages: true }, { chop: 1 });
    driver.deliver(clientFrame(Opcode.Text, 'frag', false));
    driver.deliver(clientFrame(Opcode.Ping, 'p1'));
    driver.deliver(clientFrame(Opcode.Continuation, 'ment', true));
    driver.run();
    expect(driver.messages().map((m) => decode(m.data))).toEqual(['fragment']);
    expect(driver.written.map((w) => w[0])).toEqual([0x8a]);
  });

  it('indicates a pong after partial data, not in the middle of it', () => {
    const { driver } = scriptedServer({}, { receiveBuffer: () => new Uint8Array(64) });
    driver.deliver(
      new Uint8Array([
        ...clientFrame(Opcode.Binary, new Uint8Array([1, 2]), false),
        ...clientFrame(Opcode.Pong, 'x'),
        ...clientFrame(Opcode.Continuation, new Uint8Array([3]), true),
      ]),
    );
    driver.run();
    expect(driver.received.map((r) => [r.bufferType, [...r.data]])).toEqual([
      ['binary-fragment', [1, 2]],
      ['ping-pong', [0x78]],
      ['binary-message', [3]],
    ]);
  });

  it('keeps at most 16 pongs waiting under a ping flood', () => {
    const server = createServerHandle({ crypto: hostCrypto });
    server.open();
    server.receive(null);
    const flood = new Uint8Array(
      Array.from({ length: 1000 }, (_, i) => [...clientFrame(Opcode.Ping, String(i))]).flat(),
    );
    const read = server.getAction('receive');
    server.completeAction(read?.actionContext ?? 0, flood);
    // One step decodes the whole chunk, answering pings as it goes.
    expect(server.getAction('send')).toBeUndefined();
    const pongs: string[] = [];
    for (let a = server.getAction('receive'); a !== undefined; a = server.getAction('receive')) {
      if (a.type === 'send-to-network') {
        const frame = a.buffers[0] as Uint8Array;
        pongs.push(decode(frame.subarray(2)));
        server.completeAction(a.actionContext, a.byteLength);
      } else {
        expect(a.type).toBe('receive-from-network');
        break;
      }
    }
    expect(pongs).toHaveLength(16);
    expect(pongs.at(-1)).toBe('999');
    expect(server.stats.pongsCoalesced).toBe(984);
  });

  it('sends pings and unsolicited pongs of at most 125 bytes', () => {
    const p = pair();
    p.client.handle.send('ping-pong', text('hb'));
    p.client.handle.send('unsolicited-pong');
    expect(() => p.client.handle.send('ping-pong', new Uint8Array(126))).toThrow(RangeError);
    p.flush();
    expect(p.server.received.map((r) => r.bufferType)).toEqual(['ping-pong']);
    expect(p.client.received.map((r) => [r.bufferType, decode(r.data)])).toEqual([
      ['ping-pong', 'hb'],
    ]);
  });
});

describe('WebSocketHandle: closing', () => {
  it('runs the closing handshake: the peer echoes the code, both end closed', () => {
    const p = pair();
    p.client.handle.send('close', { code: 1000, reason: 'bye' }, 'closing');
    expect(p.client.handle.state).toBe('closing');
    expect(() => p.client.handle.send('binary-message', text('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION' }),
    );
    p.flush();
    expect(p.server.received).toEqual([
      expect.objectContaining({ bufferType: 'close', close: { code: 1000, reason: 'bye' } }),
    ]);
    expect(lastCloseWritten(p.server)).toBe(1000);
    expect(p.client.received).toEqual([
      expect.objectContaining({ bufferType: 'close', close: { code: 1000, reason: 'bye' } }),
    ]);
    expect(p.client.handle.state).toBe('closed');
    expect(p.server.handle.state).toBe('closed');
    expect(p.server.handle.transportDone).toBe(true);
    expect(() => p.server.handle.receive(null)).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION' }),
    );
  });

  it('echoes an empty close with an empty close', () => {
    const { driver } = scriptedServer();
    driver.deliver(clientFrame(Opcode.Close, new Uint8Array(0)));
    driver.run();
    expect([...(driver.written[0] as Uint8Array)]).toEqual([0x88, 0]);
    expect(driver.received[0]?.close).toEqual({ code: 1005, reason: '' });
  });

  it('ignores data after a close', () => {
    const { driver } = scriptedServer();
    driver.deliver(
      new Uint8Array([
        ...clientFrame(Opcode.Close, new Uint8Array([3, 232])),
        ...clientFrame(1, 'late'),
      ]),
    );
    driver.run();
    expect(driver.received.map((r) => r.bufferType)).toEqual(['close']);
  });

  it('reports end of stream without a close as 1006, ERR_WS_CONNECTION_LOST', () => {
    const { server, driver } = scriptedServer();
    driver.deliver(clientFrame(Opcode.Text, 'par', false));
    driver.deliverEndOfStream();
    driver.run();
    expect(driver.received).toEqual([
      expect.objectContaining({
        bufferType: 'utf8-fragment',
      }),
      expect.objectContaining({
        bufferType: 'close',
        close: { code: 1006, reason: '' },
        error: matching({ code: 'ERR_WS_CONNECTION_LOST' }),
      }),
    ]);
    expect(server.transportDone).toBe(true);
    expect(driver.written).toEqual([]);
  });

  it('aborts: queued sends complete unsent, the receive completes with 1006, no more I/O', () => {
    const p = pair();
    p.client.handle.send('binary-message', text('never'), 'x');
    p.client.handle.abort();
    p.flush();
    expect(p.client.sendsCompleted).toEqual([
      { context: 'x', sent: false, bufferType: 'binary-message' },
    ]);
    expect(p.client.received).toEqual([
      expect.objectContaining({
        bufferType: 'close',
        error: matching({ code: 'ERR_WS_ABORTED' }),
      }),
    ]);
    expect(p.client.written).toEqual([]);
    expect(() => p.client.handle.send('binary-message', text('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION' }),
    );
  });

  it('cancels a send the transport wrote short, and everything queued after it', () => {
    const p = pair({}, { client: { writeLimit: 3 } });
    p.client.handle.send('binary-message', new Uint8Array(10), 'a');
    p.client.handle.send('binary-message', new Uint8Array(1), 'b');
    p.flush();
    // In the order they were queued (issue 8, defect 5: 'b' used to come first).
    expect(p.client.sendsCompleted).toEqual([
      { context: 'a', sent: false, bufferType: 'binary-message' },
      { context: 'b', sent: false, bufferType: 'binary-message' },
    ]);
    expect(p.client.handle.transportDone).toBe(true);
  });
});

describe('WebSocketHandle: send order and closes under failure', () => {
  it('completes sends in queue order when a violation cancels sends queued behind one in flight', () => {
    const { server, driver } = scriptedServer();
    server.send('binary-message', text('first'), 'a');
    server.send('binary-message', text('second'), 'b');
    const write = server.getAction('send');
    expect(write?.type).toBe('send-to-network');
    // While 'a' is being written, the peer breaks the protocol: 'b' is cancelled.
    driver.deliver(encodeFrame({ opcode: Opcode.Text, payload: text('unmasked') }));
    driver.run();
    server.completeAction(
      write?.actionContext ?? 0,
      write?.type === 'send-to-network' ? write.byteLength : 0,
    );
    driver.run();
    expect(driver.sendsCompleted.map((c) => [c.context, c.sent])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  // Issue 8, defect 4: the violation cancelled the queued application close,
  // sent nothing, and left the handle closing with the transport never done.
  it('sends the failure close when a violation arrives while the app close is queued, unwritten', () => {
    const { server, driver } = scriptedServer();
    server.send('close', { code: 1000, reason: 'bye' }, 'close');
    // The peer's violation is decoded before the host asks for send work
    // (the driver posted a receive).
    const read = server.getAction('receive');
    expect(read?.type).toBe('receive-from-network');
    server.completeAction(
      read?.actionContext ?? 0,
      encodeFrame({ opcode: Opcode.Text, payload: text('unmasked') }),
    );
    const failed = server.getAction('receive');
    expect(failed).toEqual(matching({ type: 'indicate-receive-complete', bufferType: 'close' }));
    server.completeAction(failed?.actionContext ?? 0);
    driver.run();
    expect(lastCloseWritten(driver)).toBe(1002);
    expect(driver.written).toHaveLength(1);
    expect(driver.sendsCompleted).toEqual([{ context: 'close', sent: false, bufferType: 'close' }]);
    expect(server.transportDone).toBe(true);
    expect(server.state).toBe('closed');
  });

  // Issue 8, defect 7: counts larger than the buffer were clamped silently.
  it('refuses a completion count larger than the action (RangeError)', () => {
    const server = createServerHandle({ crypto: hostCrypto, receiveBufferSize: 256 });
    server.open();
    server.receive(null);
    const read = server.getAction('receive');
    expect(() => server.completeAction(read?.actionContext ?? 0, 257)).toThrow(RangeError);
    server.send('binary-message', text('x'));
    const write = server.getAction('send');
    if (write?.type !== 'send-to-network') throw new Error('expected a write');
    expect(() => server.completeAction(write.actionContext, write.byteLength + 1)).toThrow(
      RangeError,
    );
    expect(() => server.completeAction(write.actionContext, -1)).toThrow(RangeError);
    expect(() => server.completeAction(write.actionContext, 1.5)).toThrow(RangeError);
  });
});

describe('WebSocketHandle: peer violations', () => {
  function expectFailure(
    frames: Uint8Array[],
    closeCode: number,
    code: string,
    props: HandleProperties = {},
  ) {
    const { server, driver } = scriptedServer(props);
    for (const f of frames) driver.deliver(f);
    driver.run();
    expect(lastCloseWritten(driver)).toBe(closeCode);
    expect(driver.received.at(-1)).toEqual(
      expect.objectContaining({
        bufferType: 'close',
        close: { code: closeCode, reason: '' },
        error: matching({ code, closeCode, side: 'remote' }),
      }),
    );
    expect(server.transportDone).toBe(true);
    expect(server.error).toEqual(expect.objectContaining({ code }));
    return driver;
  }

  it('fails an unmasked client frame with 1002', () => {
    expectFailure(
      [encodeFrame({ opcode: Opcode.Text, payload: text('x') })],
      1002,
      'ERR_WS_FRAME_NOT_MASKED',
    );
  });

  it('fails invalid UTF-8 with 1007 in the chunk where it appears (fail fast)', () => {
    const { driver } = scriptedServer({}, {});
    // First fragment valid, second carries an invalid byte; the third never comes.
    driver.deliver(clientFrame(Opcode.Text, 'ok', false));
    driver.deliver(
      clientFrame(
        Opcode.Continuation,
        new Uint8Array([
          0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80,
        ]),
        false,
      ),
    );
    driver.run();
    expect(lastCloseWritten(driver)).toBe(1007);
  });

  it('fails a message over maxMessageSize with 1009 as soon as the header says so', () => {
    const header = new Uint8Array([0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0]);
    expectFailure([header], 1009, 'ERR_WS_FRAME_TOO_BIG', { maxMessageSize: 1024 });
  });

  it('fails a message over maxFragments with 1009', () => {
    const frames = [clientFrame(Opcode.Binary, 'a', false)];
    for (let i = 0; i < 10; i++) frames.push(clientFrame(Opcode.Continuation, 'a', false));
    expectFailure(frames, 1009, 'ERR_WS_TOO_MANY_FRAGMENTS', { maxFragments: 4 });
  });

  it('fails a bad close code with 1002', () => {
    expectFailure(
      [clientFrame(Opcode.Close, new Uint8Array([0x03, 0xed]))],
      1002,
      'ERR_WS_CLOSE_CODE_INVALID',
    );
  });

  // Issue 8, defect 9: disableUtf8Verification promised to skip close reasons too.
  it('accepts a close reason that is not UTF-8 when disableUtf8Verification is set', () => {
    const frame = clientFrame(Opcode.Close, new Uint8Array([0x03, 0xe8, 0xff, 0x41]));
    const strict = scriptedServer();
    strict.driver.deliver(frame);
    strict.driver.run();
    expect(lastCloseWritten(strict.driver)).toBe(1007);
    const lax = scriptedServer({ disableUtf8Verification: true });
    lax.driver.deliver(frame);
    lax.driver.run();
    expect(lastCloseWritten(lax.driver)).toBe(1000);
    expect(lax.driver.received.at(-1)).toEqual(
      expect.objectContaining({ bufferType: 'close', close: { code: 1000, reason: '\ufffdA' } }),
    );
    expect(lax.server.error).toBeUndefined();
  });

  it('fails RSV1 without permessage-deflate with 1002', () => {
    expectFailure([clientFrame(Opcode.Text, 'x', true, true)], 1002, 'ERR_WS_RESERVED_BITS');
  });
});

describe('WebSocketHandle: send queue bound', () => {
  // Issue 8, defect 11: the send queue had no limit.
  it('refuses sends past maxQueuedSends or maxQueuedSendBytes, counts them, and still takes a close', () => {
    const server = createServerHandle({ maxQueuedSends: 2, maxQueuedSendBytes: 10 });
    server.open();
    server.send('binary-message', new Uint8Array(4), 'a');
    server.send('binary-message', new Uint8Array(6), 'b');
    expect(() => server.send('binary-message', new Uint8Array(0), 'c')).toThrow(
      expect.objectContaining({ code: 'ERR_WS_SEND_QUEUE_FULL' }),
    );
    expect(server.stats.sendsRefused).toBe(1);
    // Writing one frees its place.
    const write = server.getAction('send');
    if (write?.type !== 'send-to-network') throw new Error('expected a write');
    server.completeAction(write.actionContext, write.byteLength);
    expect(() => server.send('binary-message', new Uint8Array(5), 'd')).toThrow(
      expect.objectContaining({ code: 'ERR_WS_SEND_QUEUE_FULL' }),
    );
    server.send('binary-message', new Uint8Array(4), 'e');
    expect(server.stats.sendsRefused).toBe(2);
    expect(server.queuedBytes).toBe(10);
    server.send('close', { code: 1000 }, 'close');
    expect(server.state).toBe('closing');
  });

  it('has documented default bounds', () => {
    const { properties } = createServerHandle();
    expect(properties.maxQueuedSends).toBe(65536);
    expect(properties.maxQueuedSendBytes).toBe(64 * 1024 * 1024);
    expect(() => createServerHandle({ maxQueuedSends: 0 })).toThrow(RangeError);
  });
});

describe('WebSocketHandle: public surface', () => {
  // Issue 8, defect 8: receivedPing & co. were public methods (in the .d.ts),
  // so any caller could forge protocol events.
  it('has no way to forge protocol events or reach its receive buffer', () => {
    const server = createServerHandle();
    server.open();
    for (const name of [
      'receivedPing',
      'receivedClose',
      'receivedViolation',
      'receivedMessage',
      'internalReceiveBuffer',
    ]) {
      expect(name in server, name).toBe(false);
    }
    // @ts-expect-error not part of the handle's type any more
    expect(server.receivedClose).toBeUndefined();
  });
});

describe('WebSocketHandle: misuse', () => {
  it('refuses operations before the handshake and a second receive', () => {
    const h = createServerHandle({ crypto: hostCrypto });
    expect(() => h.send('binary-message', text('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION', number: 0x83760001 }),
    );
    h.open();
    h.receive(null);
    expect(() => h.receive(null)).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION' }),
    );
    expect(() => h.completeAction(999, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION' }),
    );
    h.delete();
    expect(() => h.getAction()).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION' }),
    );
  });

  it('checks properties', () => {
    expect(() => createServerHandle({ receiveBufferSize: 10 })).toThrow(RangeError);
    expect(() => createClientHandle({})).toThrow(TypeError);
    expect(() => createServerHandle({ keepAliveInterval: 1000 })).toThrow(TypeError);
  });
});

describe('WebSocketHandle: keep-alive', () => {
  it('pings after an idle interval and fails when the peer stays silent', () => {
    const clock = new VirtualClock();
    let wakes = 0;
    const { server, driver } = scriptedServer({
      clock,
      keepAliveInterval: 15000,
      onActionAvailable: () => wakes++,
    });
    driver.run();
    clock.advance(14999);
    expect(wakes).toBe(0);
    clock.advance(1);
    expect(wakes).toBe(1);
    driver.run();
    expect([...(driver.written[0] as Uint8Array)]).toEqual([0x89, 0]);
    clock.advance(15000);
    expect(wakes).toBe(2);
    driver.run();
    expect(server.state).toBe('aborted');
    expect(server.transportDone).toBe(true);
    // The host closes the transport; its outstanding read completes empty.
    driver.deliverEndOfStream();
    driver.run();
    expect(driver.received.at(-1)).toEqual(
      expect.objectContaining({
        error: matching({ code: 'ERR_WS_KEEPALIVE_TIMEOUT' }),
      }),
    );
  });

  it('stays quiet while bytes arrive', () => {
    const clock = new VirtualClock();
    const { driver } = scriptedServer({ clock, keepAliveInterval: 15000 });
    for (let i = 0; i < 10; i++) {
      clock.advance(10000);
      driver.deliver(clientFrame(Opcode.Pong, ''));
      driver.run();
    }
    expect(driver.written).toEqual([]);
  });
});

describe('WebSocketHandle: handshake helpers', () => {
  it('runs begin/end client and server handshakes and opens both handles', () => {
    const client = createClientHandle({ crypto: hostCrypto });
    const server = createServerHandle({ crypto: hostCrypto });
    const request = client.beginClientHandshake({
      host: 'example.com',
      path: '/chat',
      protocols: ['chat'],
    });
    const requestParser = new HttpHeadParser('request');
    const head = requestParser.push(request.bytes);
    if (head.state !== 'complete') throw new Error('request did not parse');
    const validated = validateUpgradeRequest(head.head);
    if (!validated.ok) throw new Error(validated.failure.message);
    const response = server.beginServerHandshake(validated.value, { protocol: ['chat'] });
    server.endServerHandshake();
    const responseParser = new HttpHeadParser('response');
    const answer = responseParser.push(response.bytes);
    if (answer.state !== 'complete') throw new Error('response did not parse');
    const result = client.endClientHandshake(answer.head);
    expect(result.ok).toBe(true);
    expect(client.state).toBe('open');
    expect(server.state).toBe('open');
    expect(client.negotiated.protocol).toBe('chat');
    const p = connectHandles(client, server);
    p.client.handle.send('utf8-message', text('after handshake'));
    p.flush();
    expect(decode(p.server.messages()[0]?.data ?? new Uint8Array())).toBe('after handshake');
  });
});

describe('WebSocketHandle: property', () => {
  it('delivers any sequence of messages intact under any chop and receive mode', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            binary: fc.boolean(),
            data: fc.uint8Array({ maxLength: 3000, size: 'max' }),
            fragments: fc.integer({ min: 1, max: 4 }),
          }),
          { maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom<'view' | 'assemble' | 'buffer'>('view', 'assemble', 'buffer'),
        fc.boolean(),
        (messages, chop, mode, copyIntoBuffer) => {
          const p = pair(
            { server: { assembleMessages: mode === 'assemble', receiveBufferSize: 300 } },
            {
              server: {
                chop,
                copyIntoBuffer,
                ...(mode === 'buffer' ? { receiveBuffer: () => new Uint8Array(257) } : {}),
              },
            },
          );
          const expected: Uint8Array[] = [];
          for (const m of messages) {
            // Text must be valid UTF-8: send binary data as text only when it is ASCII.
            const data = m.binary ? m.data : m.data.map((b) => b & 0x7f);
            const kind = m.binary ? 'binary' : 'utf8';
            const step = Math.ceil(data.length / m.fragments) || 1;
            for (let at = 0; at < data.length - step; at += step) {
              p.client.handle.send(`${kind}-fragment`, data.subarray(at, at + step));
            }
            const lastStart = data.length === 0 ? 0 : Math.floor((data.length - 1) / step) * step;
            p.client.handle.send(`${kind}-message`, data.subarray(lastStart));
            expected.push(data);
          }
          p.flush();
          const got = p.server.messages();
          // Lengths, then bytes with equalBytes: a deep toEqual over spread arrays is slow under load.
          expect(got.map((m) => m.data.length)).toEqual(expected.map((d) => d.length));
          expect(got.map((m, i) => equalBytes(m.data, expected[i]!))).toEqual(
            expected.map(() => true),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('model: sends complete once each, in order, and a failure or close always finishes, in every interleaving', () => {
    type Step =
      | { readonly kind: 'send' }
      | { readonly kind: 'app-close' }
      | { readonly kind: 'valid' }
      | { readonly kind: 'violation' }
      | { readonly kind: 'peer-close' }
      | {
          readonly kind: 'run';
          readonly actions: number;
          readonly queue: 'send' | 'receive' | 'all';
        };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.constant<Step>({ kind: 'send' }),
      fc.constant<Step>({ kind: 'app-close' }),
      fc.constant<Step>({ kind: 'valid' }),
      fc.constant<Step>({ kind: 'violation' }),
      fc.constant<Step>({ kind: 'peer-close' }),
      fc.record({
        kind: fc.constant('run' as const),
        actions: fc.integer({ min: 1, max: 4 }),
        queue: fc.constantFrom('send' as const, 'receive' as const, 'all' as const),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 30, size: 'max' }),
        fc.integer({ min: 1, max: 16 }),
        (steps, chop) => {
          const { server, driver } = scriptedServer({}, { chop });
          let queued = 0;
          let endedByPeer = false;
          for (const step of steps) {
            switch (step.kind) {
              case 'send':
                if (server.state === 'open') server.send('binary-message', text('m'), queued++);
                break;
              case 'app-close':
                if (server.state === 'open') server.send('close', { code: 1000 }, queued++);
                break;
              case 'valid':
                driver.deliver(clientFrame(Opcode.Binary, 'data'));
                break;
              case 'violation':
                driver.deliver(encodeFrame({ opcode: Opcode.Text, payload: text('unmasked') }));
                endedByPeer = true;
                break;
              case 'peer-close':
                driver.deliver(clientFrame(Opcode.Close, new Uint8Array([0x03, 0xe8])));
                endedByPeer = true;
                break;
              case 'run':
                driver.run(step.actions, step.queue);
                break;
            }
          }
          driver.run();
          // A close or violation from the peer ends the connection with no help from it.
          if (endedByPeer) expect(server.transportDone).toBe(true);
          const closes = driver.written.filter((w) => ((w[0] as number) & 0x0f) === Opcode.Close);
          expect(closes.length).toBeLessThanOrEqual(1);
          if (server.error?.code === 'ERR_WS_FRAME_NOT_MASKED') expect(closes).toHaveLength(1);
          driver.deliverEndOfStream();
          driver.run();
          expect(server.transportDone).toBe(true);
          // Every send completed exactly once, in the order it was queued.
          expect(driver.sendsCompleted.map((c) => c.context)).toEqual(
            Array.from({ length: queued }, (_, i) => i),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary bytes from the peer and always ends with a close or more reads', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512, size: 'max' }),
        fc.integer({ min: 1, max: 64 }),
        (bytes, chop) => {
          const { driver } = scriptedServer({ maxMessageSize: 4096 }, { chop });
          driver.deliver(bytes);
          driver.run();
          for (const r of driver.received.slice(0, -1)) expect(r.bufferType).not.toBe('close');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('WebSocketHandle: memory', () => {
  // Issue 8, defect 3: a 14-byte header used to reserve the whole announced
  // length (up to maxMessageSize) before a byte of payload arrived.
  it('reserves nothing from an announced length: a header alone holds little memory', () => {
    let allocated = 0;
    const allocate = (size: number): Uint8Array => {
      allocated += size;
      return new Uint8Array(size);
    };
    const { driver } = scriptedServer({ assembleMessages: true, allocate });
    // A masked binary frame's 14-byte header announcing 60 MiB, then 100 bytes of it.
    const announced = 60 * 1024 * 1024;
    const long = new Uint8Array(14);
    long[0] = 0x82;
    long[1] = 0x80 | 127;
    new DataView(long.buffer).setUint32(6, announced);
    new DataView(long.buffer).setUint32(10, MASK);
    driver.deliver(long);
    driver.run();
    expect(allocated).toBe(0);
    driver.deliver(new Uint8Array(100));
    driver.run();
    expect(allocated).toBeLessThanOrEqual(64 * 1024);
    expect(driver.received).toEqual([]);
  });

  it('grows the assembly buffer with what arrived (at most 4x), ending exactly at the final size', () => {
    // Each allocation, with the bytes the server had received when it was made.
    const grown: { size: number; received: number }[] = [];
    let received = (): number => 0;
    const allocate = (size: number): Uint8Array => {
      grown.push({ size, received: received() });
      return new Uint8Array(size);
    };
    const p = pair({ server: { assembleMessages: true, allocate } }, { server: { chop: 4096 } });
    received = () => p.server.handle.stats.bytesReceived;
    const data = new Uint8Array(100_000).map((_, i) => i & 0xff);
    p.client.handle.send('binary-message', data);
    p.flush();
    const got = p.server.messages();
    expect(got.map((m) => m.data.length)).toEqual([100_000]);
    expect(equalBytes(got[0]!.data, data)).toBe(true);
    expect(grown.at(-1)?.size).toBe(100_000);
    expect(grown.length).toBeLessThanOrEqual(6);
    for (const g of grown) expect(g.size).toBeLessThanOrEqual(4 * g.received);
  });
});
