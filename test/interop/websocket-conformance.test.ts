/**
 * What the Autobahn|Testsuite checks of a WebSocket server (groups 1-7, 9,
 * 10, 12, 13; research/websocket.md §3), asked of the netrx echo server over
 * real TCP by a client that speaks bytes (support/ws-raw.ts, written from
 * RFC 6455 alone, so the suite does not trust the code under test).
 *
 * The expectations are Autobahn's strict ones: a case Autobahn would call
 * NON-STRICT (for example failing invalid UTF-8 only at the end of a message,
 * 6.4.x) fails here. Close codes are read from the close frame on the wire.
 *
 * The peer is the netrx server itself (`netrx websocket echo`); nothing else
 * needs installing.
 */
import { isUtf8 } from 'node:buffer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_UTF8, VALID_UTF8, wellFormedUtf8 } from './support/utf8-vectors.js';
import {
  MessageDeflater,
  MessageInflater,
  formatOffer,
  judgeDeflateResponse,
  parseExtensionHeader,
  type DeflateAgreement,
  type DeflateOffer,
} from './support/ws-deflate.js';
import { startEchoServer, type EchoServer } from './support/ws-echo.js';
import {
  OP,
  RawWebSocket,
  WaitTimeout,
  buildFrame,
  chop,
  closePayload,
  expectedServerHeader,
  fragmentFrames,
  sha256,
  type RawConnectOptions,
  type ServerFrame,
} from './support/ws-raw.js';

/** How long a server may take to answer anything (a frame, a close). */
const ANSWER_MS = 5_000;
/** Fail-fast (6.4.x): how long after the offending bytes the close 1007 may take. */
const FAIL_FAST_MS = 2_000;
/** How long to listen to be sure the server stays silent (a valid prefix, an unsolicited pong). */
const QUIET_MS = 400;

let server: EchoServer;
const clients = new Set<RawWebSocket>();

async function open(options: RawConnectOptions & { port?: number } = {}): Promise<RawWebSocket> {
  const client = await RawWebSocket.connect(options.port ?? server.port, options);
  clients.add(client);
  return client;
}

afterEach(() => {
  for (const client of clients) client.destroy();
  clients.clear();
});

beforeAll(async () => {
  server = await startEchoServer();
  console.info(`websocket conformance against ${server.implementation} at ${server.url}`);
});

afterAll(async () => {
  await server?.stop();
});

const ascii = (n: number): Buffer => {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = 0x21 + ((i * 7) % 94);
  return out;
};
const binary = (n: number, seed = 1): Buffer => {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};
const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function describeFrame(frame: ServerFrame): string {
  const text =
    frame.payload.length <= 32 ? frame.payload.toString('hex') : `${frame.payload.length} bytes`;
  return `op=${frame.opcode} fin=${frame.fin} rsv=${frame.rsv} ${text}`;
}

/** Sends one data message in one frame and expects the same message back. */
async function expectEcho(
  client: RawWebSocket,
  opcode: number,
  payload: Buffer,
  timeoutMs = ANSWER_MS,
): Promise<void> {
  client.sendFrame({ opcode, payload });
  const echo = await client.nextMessage(timeoutMs);
  expect(echo.opcode).toBe(opcode);
  expect(echo.payload.length).toBe(payload.length);
  expect(sha256(echo.payload)).toBe(sha256(payload));
}

/** The next thing from the server is a close with exactly `code` (nothing before it). */
async function expectCloseCode(
  client: RawWebSocket,
  code: number,
  timeoutMs = ANSWER_MS,
): Promise<void> {
  const close = await client.nextClose(timeoutMs);
  expect(close.before.map(describeFrame)).toEqual([]);
  expect(close.code).toBe(code);
}

/** Writes `pieces` one by one, each handed to the kernel before the next. */
async function writeInChops(client: RawWebSocket, pieces: readonly Buffer[]): Promise<void> {
  for (const piece of pieces) await client.writeFlushed(piece);
}

// ---------------------------------------------------------------------------

describe('group 1: framing', () => {
  const sizes = [0, 125, 126, 127, 128, 65535, 65536];
  for (const [name, opcode, make] of [
    ['text', OP.text, ascii],
    ['binary', OP.binary, (n: number) => binary(n)],
  ] as const) {
    for (const size of sizes) {
      it(`echoes a ${size}-byte ${name} message as one unmasked FIN frame with the shortest length form`, async () => {
        const client = await open();
        const payload = make(size);
        client.sendFrame({ opcode, payload });
        const frame = await client.nextFrame(ANSWER_MS);
        expect(frame.header.toString('hex')).toBe(
          expectedServerHeader(opcode, size).toString('hex'),
        );
        expect(frame.payload.equals(payload)).toBe(true);
      });
    }
    it(`echoes a 65536-byte ${name} message sent in 997-byte chops as one exact frame`, async () => {
      const client = await open();
      const payload = make(65536);
      await writeInChops(client, chop(buildFrame({ opcode, payload }), 997));
      const frame = await client.nextFrame(ANSWER_MS);
      expect(frame.header.toString('hex')).toBe(
        expectedServerHeader(opcode, 65536).toString('hex'),
      );
      expect(sha256(frame.payload)).toBe(sha256(payload));
    });
  }
});

describe('group 2: ping and pong', () => {
  const pingPayloads: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['text', Buffer.from('Hello, world!')],
    ['binary', hex('00ff fefd fcfb 00ff')],
    ['125-byte', Buffer.alloc(125, 0xfe)],
  ];
  for (const [name, payload] of pingPayloads) {
    it(`answers a ${name} ping with a pong carrying the same payload`, async () => {
      const client = await open();
      client.sendFrame({ opcode: OP.ping, payload });
      const pong = await client.nextFrame(ANSWER_MS);
      expect(pong.opcode).toBe(OP.pong);
      expect(pong.payload.toString('hex')).toBe(payload.toString('hex'));
    });
  }

  it('answers every ping payload length 0..125 exactly', async () => {
    const client = await open();
    for (let n = 0; n <= 125; n++) {
      const payload = binary(n, n + 7);
      client.sendFrame({ opcode: OP.ping, payload });
      const pong = await client.nextFrame(ANSWER_MS);
      expect(pong.opcode).toBe(OP.pong);
      expect(pong.payload.equals(payload)).toBe(true);
    }
  });

  it('fails a 126-byte ping with close 1002 and no pong', async () => {
    const client = await open();
    client.sendFrame({ opcode: OP.ping, payload: Buffer.alloc(126, 0xfe) });
    await expectCloseCode(client, 1002);
  });

  it('answers a 125-byte ping sent in 1-byte chops', async () => {
    const client = await open();
    const payload = Buffer.alloc(125, 0xfe);
    await writeInChops(client, chop(buildFrame({ opcode: OP.ping, payload }), 1));
    const pong = await client.nextFrame(ANSWER_MS);
    expect(pong.opcode).toBe(OP.pong);
    expect(pong.payload.equals(payload)).toBe(true);
  });

  it('ignores unsolicited pongs (empty and with payload) and answers the ping after them', async () => {
    const client = await open();
    client.sendFrame({ opcode: OP.pong });
    client.sendFrame({ opcode: OP.pong, payload: 'unsolicited pong payload' });
    client.sendFrame({ opcode: OP.ping, payload: 'ping payload' });
    const answer = await client.nextFrame(ANSWER_MS);
    expect(answer.opcode).toBe(OP.pong);
    expect(answer.payload.toString()).toBe('ping payload');
    await client.expectSilence(QUIET_MS, 'nothing more after the only pong');
  });

  it('answers 10 pings sent at once with 10 pongs in order', async () => {
    const client = await open();
    client.write(
      Buffer.concat(
        Array.from({ length: 10 }, (_, i) =>
          buildFrame({ opcode: OP.ping, payload: `payload-${i}` }),
        ),
      ),
    );
    for (let i = 0; i < 10; i++) {
      const pong = await client.nextFrame(ANSWER_MS);
      expect(pong.opcode).toBe(OP.pong);
      expect(pong.payload.toString()).toBe(`payload-${i}`);
    }
  });

  it('answers 10 pings sent in 1-byte chops with 10 pongs in order', async () => {
    const client = await open();
    const all = Buffer.concat(
      Array.from({ length: 10 }, (_, i) => buildFrame({ opcode: OP.ping, payload: `chop-${i}` })),
    );
    await writeInChops(client, chop(all, 1));
    for (let i = 0; i < 10; i++) {
      const pong = await client.nextFrame(ANSWER_MS);
      expect(pong.opcode).toBe(OP.pong);
      expect(pong.payload.toString()).toBe(`chop-${i}`);
    }
  });
});

describe('group 3: reserved bits', () => {
  for (const [name, opcode] of [
    ['text', OP.text],
    ['binary', OP.binary],
    ['ping', OP.ping],
  ] as const) {
    for (let rsv = 1; rsv <= 7; rsv++) {
      it(`fails a ${name} frame with RSV ${rsv.toString(2).padStart(3, '0')} with 1002, after echoing the message sent before it, answering no ping after it`, async () => {
        const client = await open();
        // Autobahn 3.2/3.3: a good message, the bad frame and a ping in one chop.
        client.write(
          Buffer.concat([
            buildFrame({ opcode: OP.text, payload: 'before the bad frame' }),
            buildFrame({ opcode, rsv, payload: 'bad' }),
            buildFrame({ opcode: OP.ping, payload: 'after' }),
          ]),
        );
        const close = await client.nextClose(ANSWER_MS);
        expect(close.before.map(describeFrame)).toEqual([
          describeFrame({
            fin: true,
            rsv: 0,
            opcode: OP.text,
            header: expectedServerHeader(OP.text, 20),
            payload: Buffer.from('before the bad frame'),
          }),
        ]);
        expect(close.code).toBe(1002);
      });
    }
  }

  it('fails a text frame with RSV bits sent frame by frame (Autobahn 3.4), after the earlier echo', async () => {
    const client = await open();
    await expectEcho(client, OP.text, Buffer.from('Hello, world!'));
    client.sendFrame({ opcode: OP.text, rsv: 4, payload: 'Hello, world!' });
    await expectCloseCode(client, 1002);
  });

  it('fails a close frame with RSV bits with 1002', async () => {
    const client = await open();
    client.sendFrame({ opcode: OP.close, rsv: 6, payload: closePayload(1000) });
    await expectCloseCode(client, 1002);
  });
});

describe('group 4: reserved opcodes', () => {
  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    it(`fails reserved opcode ${opcode} with 1002, after the earlier echo, answering no ping after it`, async () => {
      const client = await open();
      client.write(
        Buffer.concat([
          buildFrame({ opcode: OP.text, payload: 'Hello, world!' }),
          buildFrame({ opcode, payload: opcode % 2 === 0 ? Buffer.alloc(0) : 'reserved' }),
          buildFrame({ opcode: OP.ping, payload: 'after' }),
        ]),
      );
      const close = await client.nextClose(ANSWER_MS);
      expect(close.before.map((f) => [f.opcode, f.payload.toString()])).toEqual([
        [OP.text, 'Hello, world!'],
      ]);
      expect(close.code).toBe(1002);
    });
  }
});

describe('group 5: fragmentation', () => {
  for (const [name, opcode] of [
    ['ping', OP.ping],
    ['pong', OP.pong],
  ] as const) {
    it(`fails a fragmented ${name} with 1002`, async () => {
      const client = await open();
      client.write(
        Buffer.concat([
          buildFrame({ opcode, fin: false, payload: 'fragment1' }),
          buildFrame({ opcode: OP.continuation, fin: true, payload: 'fragment2' }),
        ]),
      );
      await expectCloseCode(client, 1002);
    });
  }

  const twoFragments = () => [
    buildFrame({ opcode: OP.text, fin: false, payload: 'fragment1' }),
    buildFrame({ opcode: OP.continuation, fin: true, payload: 'fragment2' }),
  ];
  it('reassembles a text message in 2 fragments sent in one chop', async () => {
    const client = await open();
    client.write(Buffer.concat(twoFragments()));
    const echo = await client.nextMessage(ANSWER_MS);
    expect([echo.opcode, echo.payload.toString()]).toEqual([OP.text, 'fragment1fragment2']);
  });

  it('reassembles a text message in 2 fragments sent frame by frame', async () => {
    const client = await open();
    await writeInChops(client, twoFragments());
    const echo = await client.nextMessage(ANSWER_MS);
    expect([echo.opcode, echo.payload.toString()]).toEqual([OP.text, 'fragment1fragment2']);
  });

  it('reassembles a text message in 2 fragments sent in 1-byte chops', async () => {
    const client = await open();
    await writeInChops(client, chop(Buffer.concat(twoFragments()), 1));
    const echo = await client.nextMessage(ANSWER_MS);
    expect([echo.opcode, echo.payload.toString()]).toEqual([OP.text, 'fragment1fragment2']);
  });

  const withPing = () => [
    buildFrame({ opcode: OP.text, fin: false, payload: 'fragment1' }),
    buildFrame({ opcode: OP.ping, payload: 'pongme!' }),
    buildFrame({ opcode: OP.continuation, fin: true, payload: 'fragment2' }),
  ];
  for (const [how, send] of [
    ['in one chop', (c: RawWebSocket) => Promise.resolve(c.write(Buffer.concat(withPing())))],
    ['frame by frame', (c: RawWebSocket) => writeInChops(c, withPing())],
    ['in 1-byte chops', (c: RawWebSocket) => writeInChops(c, chop(Buffer.concat(withPing()), 1))],
  ] as const) {
    it(`answers a ping inside a fragmented text message sent ${how}, pong first`, async () => {
      const client = await open();
      await send(client);
      const pong = await client.nextFrame(ANSWER_MS);
      expect([pong.opcode, pong.payload.toString()]).toEqual([OP.pong, 'pongme!']);
      const echo = await client.nextMessage(ANSWER_MS);
      expect([echo.opcode, echo.payload.toString()]).toEqual([OP.text, 'fragment1fragment2']);
    });
  }

  it('answers two pings inside a text message in 5 fragments sent with pauses (Autobahn 5.19)', async () => {
    const client = await open();
    client.write(
      Buffer.concat([
        buildFrame({ opcode: OP.text, fin: false, payload: 'fragment1' }),
        buildFrame({ opcode: OP.continuation, fin: false, payload: 'fragment2' }),
        buildFrame({ opcode: OP.ping, payload: 'pongme 1!' }),
      ]),
    );
    const pong1 = await client.nextFrame(ANSWER_MS);
    expect([pong1.opcode, pong1.payload.toString()]).toEqual([OP.pong, 'pongme 1!']);
    client.write(
      Buffer.concat([
        buildFrame({ opcode: OP.continuation, fin: false, payload: 'fragment3' }),
        buildFrame({ opcode: OP.continuation, fin: false, payload: 'fragment4' }),
        buildFrame({ opcode: OP.ping, payload: 'pongme 2!' }),
      ]),
    );
    const pong2 = await client.nextFrame(ANSWER_MS);
    expect([pong2.opcode, pong2.payload.toString()]).toEqual([OP.pong, 'pongme 2!']);
    client.sendFrame({ opcode: OP.continuation, fin: true, payload: 'fragment5' });
    const echo = await client.nextMessage(ANSWER_MS);
    expect(echo.payload.toString()).toBe('fragment1fragment2fragment3fragment4fragment5');
  });

  for (const fin of [true, false]) {
    it(`fails a continuation (FIN ${fin}) with no message to continue with 1002, echoing nothing after it`, async () => {
      const client = await open();
      client.write(
        Buffer.concat([
          buildFrame({ opcode: OP.continuation, fin, payload: 'non-continuation payload' }),
          buildFrame({ opcode: OP.text, payload: 'Hello, world!' }),
        ]),
      );
      await expectCloseCode(client, 1002);
    });
  }

  it('fails a continuation after a complete fragmented message with 1002, after its echo (Autobahn 5.15)', async () => {
    const client = await open();
    client.write(
      Buffer.concat([
        ...twoFragments(),
        buildFrame({ opcode: OP.continuation, fin: false, payload: 'fragment3' }),
        buildFrame({ opcode: OP.continuation, fin: true, payload: 'fragment4' }),
      ]),
    );
    const close = await client.nextClose(ANSWER_MS);
    expect(close.before.map((f) => f.payload.toString())).toEqual(['fragment1fragment2']);
    expect(close.code).toBe(1002);
  });

  for (const [name, opcode] of [
    ['text', OP.text],
    ['binary', OP.binary],
  ] as const) {
    it(`fails a new ${name} frame in the middle of a fragmented text message with 1002`, async () => {
      const client = await open();
      client.write(
        Buffer.concat([
          buildFrame({ opcode: OP.text, fin: false, payload: 'fragment1' }),
          buildFrame({ opcode, fin: true, payload: 'fragment2' }),
        ]),
      );
      await expectCloseCode(client, 1002);
    });
  }
});

describe('group 6: UTF-8', () => {
  it('echoes an empty text message, in one frame and in 3 empty fragments', async () => {
    const client = await open();
    await expectEcho(client, OP.text, Buffer.alloc(0));
    client.write(Buffer.concat(fragmentFrames(OP.text, '', 1)));
    client.write(
      Buffer.concat([
        buildFrame({ opcode: OP.text, fin: false }),
        buildFrame({ opcode: OP.continuation, fin: false }),
        buildFrame({ opcode: OP.continuation, fin: true }),
      ]),
    );
    const first = await client.nextMessage(ANSWER_MS);
    const second = await client.nextMessage(ANSWER_MS);
    expect([first.opcode, first.payload.length, second.opcode, second.payload.length]).toEqual([
      OP.text,
      0,
      OP.text,
      0,
    ]);
  });

  it('echoes empty, non-empty, empty text fragments as one message', async () => {
    const client = await open();
    client.write(
      Buffer.concat([
        buildFrame({ opcode: OP.text, fin: false }),
        buildFrame({ opcode: OP.continuation, fin: false, payload: 'middle frame payload' }),
        buildFrame({ opcode: OP.continuation, fin: true }),
      ]),
    );
    const echo = await client.nextMessage(ANSWER_MS);
    expect(echo.payload.toString()).toBe('middle frame payload');
  });

  const hello = hex('48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121');
  const kosme = hex('cebae1bdb9cf83cebcceb5');
  for (const [name, payload] of [
    ['Hello-µ@ßöäüàá-UTF-8!!', hello],
    ['κόσμε', kosme],
  ] as const) {
    it(`echoes "${name}" in one frame, in two frames split at a code point, and one frame per byte (inside code points)`, async () => {
      const client = await open();
      await expectEcho(client, OP.text, payload);
      client.write(Buffer.concat(fragmentFrames(OP.text, payload, 7)));
      expect((await client.nextMessage(ANSWER_MS)).payload.equals(payload)).toBe(true);
      client.write(Buffer.concat(fragmentFrames(OP.text, payload, 1)));
      expect((await client.nextMessage(ANSWER_MS)).payload.equals(payload)).toBe(true);
    });
  }

  const invalid = hex('cebae1bdb9cf83cebcceb5 eda080 656469746564');
  it('fails invalid UTF-8 in one frame with 1007', async () => {
    const client = await open();
    client.sendFrame({ opcode: OP.text, payload: invalid });
    await expectCloseCode(client, 1007);
  });

  it('fails invalid UTF-8 sent one byte per frame with 1007', async () => {
    const client = await open();
    client.write(Buffer.concat(fragmentFrames(OP.text, invalid, 1)));
    await expectCloseCode(client, 1007);
  });

  // Autobahn 6.4.x: the close must come as soon as the bytes are invalid, not
  // at the end of the message. Each case sends the valid prefix, checks the
  // server is still quiet, sends the offending part, then waits for the close
  // BEFORE sending the rest (which is never sent).
  const PART1 = hex('cebae1bdb9cf83cebcceb5');
  const PART2 = hex('f4908080'); // > U+10FFFF: invalid at its second byte
  const PART3 = hex('656469746564');
  const WHOLE = Buffer.concat([PART1, PART2, PART3]);

  async function expectFailFast(client: RawWebSocket, offending: Buffer): Promise<void> {
    await client.expectSilence(QUIET_MS, 'no answer to a valid UTF-8 prefix');
    client.write(offending);
    let frame: ServerFrame;
    try {
      frame = await client.nextFrame(FAIL_FAST_MS, 'the close 1007 after the invalid bytes');
    } catch (error) {
      if (error instanceof WaitTimeout) {
        throw new Error(
          `NON-STRICT: no close within ${FAIL_FAST_MS} ms of the bytes that made the text invalid; ` +
            'the server waits for more of the message instead of failing fast',
          { cause: error },
        );
      }
      throw error;
    }
    expect(describeFrame(frame)).toMatch(/^op=8 /);
    expect(frame.payload.readUInt16BE(0)).toBe(1007);
  }

  it('6.4.1 fails fast: frame 2 of 3 holds a code point above U+10FFFF', async () => {
    const client = await open();
    client.sendFrame({ opcode: OP.text, fin: false, payload: PART1 });
    await expectFailFast(
      client,
      buildFrame({ opcode: OP.continuation, fin: false, payload: PART2 }),
    );
  });

  it('6.4.2 fails fast: frame 2 of 3 is the single byte that makes the text invalid', async () => {
    const client = await open();
    client.sendFrame({ opcode: OP.text, fin: false, payload: WHOLE.subarray(0, 12) });
    await expectFailFast(
      client,
      buildFrame({ opcode: OP.continuation, fin: false, payload: WHOLE.subarray(12, 13) }),
    );
  });

  it('6.4.3 fails fast: one frame in TCP chops, chop 2 holds the invalid code point', async () => {
    const client = await open();
    const frame = buildFrame({ opcode: OP.text, payload: WHOLE });
    const headerLength = frame.length - WHOLE.length;
    const cut1 = headerLength + PART1.length;
    const cut2 = cut1 + PART2.length;
    await client.writeFlushed(frame.subarray(0, cut1));
    await expectFailFast(client, frame.subarray(cut1, cut2));
  });

  it('6.4.4 fails fast: one frame in TCP chops, chop 2 is the single invalid byte', async () => {
    const client = await open();
    const frame = buildFrame({ opcode: OP.text, payload: WHOLE });
    const headerLength = frame.length - WHOLE.length;
    await client.writeFlushed(frame.subarray(0, headerLength + 12));
    await expectFailFast(client, frame.subarray(headerLength + 12, headerLength + 13));
  });

  // The full Autobahn 6.5-6.23 vector set (support/utf8-vectors.ts).
  it('the vector tables agree with the UTF-8 rules and with buffer.isUtf8', () => {
    for (const vector of VALID_UTF8) {
      expect([vector.name, wellFormedUtf8(vector.bytes), isUtf8(vector.bytes)]).toEqual([
        vector.name,
        true,
        true,
      ]);
    }
    for (const vector of INVALID_UTF8) {
      expect([vector.name, wellFormedUtf8(vector.bytes), isUtf8(vector.bytes)]).toEqual([
        vector.name,
        false,
        false,
      ]);
    }
    expect(VALID_UTF8.length + INVALID_UTF8.length).toBeGreaterThan(120);
  });

  for (const { name, bytes: payload } of VALID_UTF8) {
    it(`${name}: echoed, whole and one byte per frame`, async () => {
      const client = await open();
      await expectEcho(client, OP.text, payload);
      client.write(Buffer.concat(fragmentFrames(OP.text, payload, 1)));
      expect((await client.nextMessage(ANSWER_MS)).payload.equals(payload)).toBe(true);
    });
  }
  for (const { name, bytes: payload } of INVALID_UTF8) {
    it(`${name}: one frame fails with 1007`, async () => {
      const client = await open();
      client.sendFrame({ opcode: OP.text, payload });
      await expectCloseCode(client, 1007);
    });
    it(`${name}: one byte per frame fails with 1007`, async () => {
      const client = await open();
      client.write(Buffer.concat(fragmentFrames(OP.text, payload, 1)));
      await expectCloseCode(client, 1007);
    });
    it(`${name}: one frame in 1-byte TCP chops fails with 1007`, async () => {
      const client = await open();
      const frame = buildFrame({ opcode: OP.text, payload });
      for (const piece of chop(frame, 1)) {
        // The server may close as soon as the bytes turn invalid.
        if (client.serverEnded) break;
        await client.writeFlushed(piece).catch(() => undefined);
      }
      await expectCloseCode(client, 1007);
    });
  }
});

describe('group 7: closing', () => {
  it('echoes a message, then echoes a close 1000 and closes the TCP connection', async () => {
    const client = await open();
    await expectEcho(client, OP.text, Buffer.from('Hello World!'));
    client.sendClose(1000);
    const close = await client.nextClose(ANSWER_MS);
    expect(close.before).toEqual([]);
    expect(close.code).toBe(1000);
    await client.waitForServerEnd(ANSWER_MS);
  });

  it('answers a second close with nothing: one close frame, then the TCP close', async () => {
    const client = await open();
    client.write(
      Buffer.concat([
        buildFrame({ opcode: OP.close, payload: closePayload(1000) }),
        buildFrame({ opcode: OP.close, payload: closePayload(1000) }),
      ]),
    );
    const close = await client.nextClose(ANSWER_MS);
    expect(close.code).toBe(1000);
    await client.waitForServerEnd(ANSWER_MS);
    await expect(client.nextFrame(100)).rejects.toThrow(/closed/);
  });

  for (const [what, after] of [
    ['a ping', buildFrame({ opcode: OP.ping, payload: 'Hello, world!' })],
    ['a text message', buildFrame({ opcode: OP.text, payload: 'Hello, world!' })],
    ['the end of a fragmented message', buildFrame({ opcode: OP.continuation, payload: 'end' })],
  ] as const) {
    it(`ignores ${what} sent after the close`, async () => {
      const client = await open();
      const prefix =
        what === 'the end of a fragmented message'
          ? [buildFrame({ opcode: OP.text, fin: false, payload: 'start' })]
          : [];
      client.write(
        Buffer.concat([
          ...prefix,
          buildFrame({ opcode: OP.close, payload: closePayload(1000) }),
          after,
        ]),
      );
      const close = await client.nextClose(ANSWER_MS);
      expect(close.before.map(describeFrame)).toEqual([]);
      expect(close.code).toBe(1000);
      await client.waitForServerEnd(ANSWER_MS);
    });
  }

  it('answers an empty close with an empty close or 1000', async () => {
    const client = await open();
    client.sendClose();
    const close = await client.nextClose(ANSWER_MS);
    expect(close.code === undefined || close.code === 1000).toBe(true);
    if (close.code === undefined) expect(close.reason.length).toBe(0);
  });

  it('fails a close with a 1-byte body with 1002', async () => {
    const client = await open();
    client.sendFrame({ opcode: OP.close, payload: Buffer.from([0x03]) });
    await expectCloseCode(client, 1002);
  });

  it('echoes close 1000 with a reason, and with a 123-byte reason', async () => {
    for (const reason of ['Hello World!', '*'.repeat(123)]) {
      const client = await open();
      client.sendClose(1000, reason);
      const close = await client.nextClose(ANSWER_MS);
      expect(close.code).toBe(1000);
    }
  });

  it('fails a close with a 124-byte reason (a 126-byte control frame) with 1002', async () => {
    const client = await open();
    client.sendClose(1000, '*'.repeat(124));
    await expectCloseCode(client, 1002);
  });

  it('fails a close whose reason is not UTF-8 with 1007', async () => {
    const client = await open();
    client.sendClose(1000, hex('cebae1bdb9cf83cebcceb5eda080656469746564'));
    await expectCloseCode(client, 1007);
  });

  for (const code of [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
  ]) {
    it(`echoes the valid close code ${code}`, async () => {
      const client = await open();
      client.sendClose(code);
      const close = await client.nextClose(ANSWER_MS);
      expect(close.code).toBe(code);
      await client.waitForServerEnd(ANSWER_MS);
    });
  }

  for (const code of [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]) {
    it(`fails the invalid close code ${code} with 1002`, async () => {
      const client = await open();
      client.sendClose(code);
      await expectCloseCode(client, 1002);
    });
  }
});

describe('group 9: limits and performance', { timeout: 120_000 }, () => {
  const MiB = 1024 * 1024;
  for (const size of [64 * 1024, 256 * 1024, MiB, 4 * MiB, 16 * MiB]) {
    for (const [name, opcode] of [
      ['text', OP.text],
      ['binary', OP.binary],
    ] as const) {
      it(`echoes a ${size / 1024} KiB ${name} message`, async () => {
        const client = await open();
        const payload = opcode === OP.text ? ascii(size) : binary(size, size);
        await expectEcho(client, opcode, payload, 60_000);
      });
    }
  }

  for (const fragment of [64, 256, 1024, 4096, 16384, 65536, 262144, MiB, 4 * MiB]) {
    it(`echoes a 4 MiB text message sent in ${fragment}-byte fragments`, async () => {
      const client = await open();
      const payload = ascii(4 * MiB);
      client.write(Buffer.concat(fragmentFrames(OP.text, payload, fragment)));
      const echo = await client.nextMessage(60_000);
      expect(echo.opcode).toBe(OP.text);
      expect(sha256(echo.payload)).toBe(sha256(payload));
    });
  }

  for (const chopSize of [64, 128, 256, 512, 1024, 2048]) {
    it(`echoes a 1 MiB binary frame written in ${chopSize}-byte chops`, async () => {
      const client = await open();
      const payload = binary(MiB, chopSize);
      const pieces = chop(buildFrame({ opcode: OP.binary, payload }), chopSize);
      for (let i = 0; i < pieces.length; i++) {
        // Let each batch reach the kernel so the server sees many small reads.
        if (i % 64 === 63) await client.writeFlushed(pieces[i]!);
        else client.write(pieces[i]!);
      }
      const echo = await client.nextMessage(60_000);
      expect(sha256(echo.payload)).toBe(sha256(payload));
    });
  }

  for (const size of [0, 16, 64, 256, 1024, 4096]) {
    for (const [name, opcode] of [
      ['text', OP.text],
      ['binary', OP.binary],
    ] as const) {
      it(`does 1000 sequential ${size}-byte ${name} round trips`, async () => {
        const client = await open();
        const payload = opcode === OP.text ? ascii(size) : binary(size, size + 3);
        const started = performance.now();
        for (let i = 0; i < 1000; i++) {
          client.sendFrame({ opcode, payload });
          const echo = await client.nextMessage(ANSWER_MS);
          if (echo.opcode !== opcode || !echo.payload.equals(payload)) {
            throw new Error(`round trip ${i}: the echo differs`);
          }
        }
        console.info(
          `1000 x ${size} B ${name} round trips: ${(performance.now() - started).toFixed(0)} ms`,
        );
      });
    }
  }

  describe('with --max-message 1024', () => {
    let limited: EchoServer;
    beforeAll(async () => {
      limited = await startEchoServer({ maxMessage: 1024 });
    });
    afterAll(async () => {
      await limited?.stop();
    });

    it('echoes a 1024-byte message and fails a 1025-byte one with 1009', async () => {
      const client = await open({ port: limited.port });
      await expectEcho(client, OP.binary, binary(1024));
      client.sendBinary(binary(1025));
      await expectCloseCode(client, 1009);
    });

    it('fails a message of 1025 bytes in two fragments with 1009 (the limit is per message)', async () => {
      const client = await open({ port: limited.port });
      client.write(Buffer.concat(fragmentFrames(OP.text, ascii(1025), 600)));
      await expectCloseCode(client, 1009);
    });
  });
});

describe('group 10: auto-fragmentation', () => {
  it('echoes 64 KiB of text sent in 1300-byte frames as the same message', async () => {
    const client = await open();
    const payload = ascii(65536);
    client.write(Buffer.concat(fragmentFrames(OP.text, payload, 1300)));
    const echo = await client.nextMessage(ANSWER_MS);
    expect(echo.opcode).toBe(OP.text);
    expect(sha256(echo.payload)).toBe(sha256(payload));
  });
});

// ---------------------------------------------------------------------------
// Groups 12 and 13: permessage-deflate

/** Compressible text, roughly like Autobahn's JSON corpus. */
function jsonCorpus(size: number): Buffer {
  const words = ['netrx', 'frame', 'deflate', 'window', 'context', 'takeover', 'ü', 'κόσμε', '✓'];
  let x = 12345;
  const parts: string[] = [];
  let length = 0;
  for (let id = 0; length < size; id++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const part = `{"id":${id},"name":"${words[x % words.length]}-${x % 1000}","tags":["${words[(x >> 4) % words.length]}","${words[(x >> 8) % words.length]}"],"value":${(x % 100000) / 100}},\n`;
    parts.push(part);
    length += Buffer.byteLength(part);
  }
  return Buffer.from(parts.join(''));
}

/** Binary with structure (a gradient "image" with noise), roughly like Autobahn's bitmap. */
function binaryCorpus(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  const noise = binary(size, 99);
  for (let i = 0; i < size; i++) out[i] = (((i % 512) >> 1) + (noise[i]! & 7)) & 0xff;
  return out;
}

/** Whole code points only: cuts `corpus` into `length`-byte text, moving back to a boundary. */
function takeText(corpus: Buffer, from: number, length: number): Buffer {
  let end = Math.min(corpus.length, from + length);
  while (end < corpus.length && (corpus[end]! & 0xc0) === 0x80) end--;
  return corpus.subarray(from, end);
}

/** Autobahn 12.x/13.x message sizes and auto-fragment sizes (0: one frame). */
const DEFLATE_SIZES: [size: number, fragment: number][] = [
  [16, 0],
  [64, 0],
  [256, 0],
  [1024, 0],
  [4096, 0],
  [8192, 0],
  [16384, 0],
  [32768, 0],
  [65536, 0],
  [131072, 0],
  [8192, 256],
  [16384, 256],
  [32768, 256],
  [65536, 256],
  [131072, 256],
  [131072, 1024],
  [131072, 4096],
  [131072, 32768],
];
const MESSAGES_PER_SIZE = 100;

/**
 * Offers, in Autobahn 13.x order: each client offer accepts
 * client_no_context_takeover and (valueless) client_max_window_bits, and
 * requests server_no_context_takeover and/or server_max_window_bits.
 */
const AUTOBAHN_OFFER: DeflateOffer = { clientNoContextTakeover: true, clientMaxWindowBits: true };
const COMBINATIONS: { name: string; offers: DeflateOffer[]; mayDecline: boolean }[] = [
  { name: '13.1 (default offer)', offers: [AUTOBAHN_OFFER], mayDecline: false },
  {
    name: '13.2 server_no_context_takeover',
    offers: [{ ...AUTOBAHN_OFFER, serverNoContextTakeover: true }],
    mayDecline: false,
  },
  {
    name: '13.3 server_max_window_bits=8',
    offers: [{ ...AUTOBAHN_OFFER, serverMaxWindowBits: 8 }],
    mayDecline: true,
  },
  {
    name: '13.4 server_max_window_bits=15',
    offers: [{ ...AUTOBAHN_OFFER, serverMaxWindowBits: 15 }],
    mayDecline: false,
  },
  {
    name: '13.5 server_no_context_takeover, server_max_window_bits=8',
    offers: [{ ...AUTOBAHN_OFFER, serverNoContextTakeover: true, serverMaxWindowBits: 8 }],
    mayDecline: true,
  },
  {
    name: '13.6 server_no_context_takeover, server_max_window_bits=15',
    offers: [{ ...AUTOBAHN_OFFER, serverNoContextTakeover: true, serverMaxWindowBits: 15 }],
    mayDecline: false,
  },
  {
    name: '13.7 three offers: (no takeover, 8), (no takeover), default',
    offers: [
      { ...AUTOBAHN_OFFER, serverNoContextTakeover: true, serverMaxWindowBits: 8 },
      { ...AUTOBAHN_OFFER, serverNoContextTakeover: true },
      AUTOBAHN_OFFER,
    ],
    mayDecline: false,
  },
  // Beyond Autobahn: the client limits its own window with a value.
  {
    name: 'client_max_window_bits=8 (the client compresses in a 256-byte window)',
    offers: [{ clientMaxWindowBits: 8 }],
    mayDecline: true,
  },
  {
    name: 'client_max_window_bits=15',
    offers: [{ clientMaxWindowBits: 15 }],
    mayDecline: false,
  },
];

interface Negotiated {
  readonly client: RawWebSocket;
  readonly agreement: DeflateAgreement | undefined;
}

/** Connects offering `offers` and checks the answer is legal for one of them (RFC 7692 §7.1). */
async function negotiate(port: number, offers: readonly DeflateOffer[]): Promise<Negotiated> {
  const client = await open({ port, extensions: offers.map(formatOffer).join(', ') });
  const header = client.response.headers.get('sec-websocket-extensions');
  if (header === undefined) return { client, agreement: undefined };
  const elements = parseExtensionHeader(header.join(', '));
  expect(elements.map((e) => e.name)).toEqual(['permessage-deflate']);
  const verdicts = offers.map((offer) => judgeDeflateResponse(offer, elements[0]!));
  const legal = verdicts.find((v) => v.ok);
  if (legal === undefined) {
    throw new Error(
      `"${header.join(', ')}" is not a legal answer to "${offers.map(formatOffer).join(', ')}": ${verdicts
        .map((v) => (v.ok ? 'ok' : v.why))
        .join('; ')}`,
    );
  }
  return { client, agreement: legal.agreement };
}

/**
 * One compressing connection: the client's compressor and its inflater for
 * the server's messages live as long as the connection, since both sides keep
 * their LZ77 window across messages unless they agreed otherwise.
 */
class CompressedSession {
  private readonly deflater: MessageDeflater;
  private readonly inflater: MessageInflater;
  compressedEchoes = 0;

  constructor(
    private readonly client: RawWebSocket,
    agreement: DeflateAgreement,
  ) {
    this.deflater = new MessageDeflater(
      agreement.clientMaxWindowBits,
      agreement.clientNoContextTakeover,
    );
    this.inflater = new MessageInflater(
      agreement.serverMaxWindowBits,
      agreement.serverNoContextTakeover,
    );
  }

  /** Sends `message` compressed (auto-fragmented to `fragment`; 0: one frame). */
  async send(opcode: number, message: Buffer, fragment: number): Promise<void> {
    const compressed = await this.deflater.compress(message);
    const pieces = fragment === 0 ? [compressed] : chop(compressed, fragment);
    this.client.write(
      Buffer.concat(
        pieces.map((piece, i) =>
          buildFrame({
            opcode: i === 0 ? opcode : OP.continuation,
            rsv: i === 0 ? 4 : 0,
            fin: i === pieces.length - 1,
            payload: piece,
          }),
        ),
      ),
    );
  }

  /** Reads the next echo and checks it is `message` (inflating it if it came compressed). */
  async expectEcho(opcode: number, message: Buffer, what: string): Promise<void> {
    const echo = await this.client.nextMessage(ANSWER_MS);
    let payload = echo.payload;
    if (echo.frames[0]!.rsv === 4) {
      this.compressedEchoes++;
      payload = await this.inflater.inflate(echo.payload);
    }
    if (echo.opcode !== opcode || !payload.equals(message)) {
      throw new Error(
        `${what}: the echo is opcode ${echo.opcode}, ${payload.length} bytes; sent opcode ${opcode}, ${message.length} bytes`,
      );
    }
  }

  close(): void {
    this.deflater.close();
    this.inflater.close();
  }
}

/** Runs every Autobahn size over one connection; returns how many echoes came compressed. */
async function roundTripAllSizes(
  negotiated: Negotiated,
  opcode: number,
  messagesOf: (size: number) => Buffer[],
): Promise<number> {
  if (negotiated.agreement === undefined) throw new Error('permessage-deflate was not negotiated');
  const session = new CompressedSession(negotiated.client, negotiated.agreement);
  try {
    for (const [size, fragment] of DEFLATE_SIZES) {
      // All messages of a size in flight at once (as Autobahn sends them), then every echo checked in order.
      const messages = messagesOf(size);
      for (const message of messages) await session.send(opcode, message, fragment);
      for (let i = 0; i < messages.length; i++) {
        await session.expectEcho(opcode, messages[i]!, `${size} B (fragments ${fragment}) #${i}`);
      }
    }
    return session.compressedEchoes;
  } finally {
    session.close();
  }
}

describe('groups 12 and 13: permessage-deflate', { timeout: 120_000 }, () => {
  let deflating: EchoServer;
  const text = jsonCorpus(512 * 1024);
  const bytes = binaryCorpus(512 * 1024);

  beforeAll(async () => {
    deflating = await startEchoServer({ deflate: true });
  });
  afterAll(async () => {
    await deflating?.stop();
  });

  /** MESSAGES_PER_SIZE consecutive slices of `corpus` per size, like Autobahn's rolling pointer. */
  function slices(corpus: Buffer, size: number, isText: boolean): Buffer[] {
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < MESSAGES_PER_SIZE; i++) {
      const piece = isText ? takeText(corpus, from, size) : corpus.subarray(from, from + size);
      out.push(piece);
      from = (from + piece.length) % (corpus.length - size);
      // Wrapping around may land inside a code point: text starts on the next whole one.
      while (isText && (corpus[from]! & 0xc0) === 0x80) from++;
    }
    return out;
  }

  for (const [corpusName, corpus, opcode] of [
    ['JSON text', text, OP.text],
    ['structured binary', bytes, OP.binary],
  ] as const) {
    it(`12.x: ${corpusName} of 16 B..128 KiB round-trips compressed with the default offer`, async () => {
      const negotiated = await negotiate(deflating.port, [AUTOBAHN_OFFER]);
      expect(negotiated.agreement).toBeDefined();
      const compressedEchoes = await roundTripAllSizes(negotiated, opcode, (size) =>
        slices(corpus, size, opcode === OP.text),
      );
      expect(compressedEchoes).toBeGreaterThan(0);
    });
  }

  for (const combination of COMBINATIONS) {
    it(`13.x: ${combination.name}: a legal answer, then 16 B..128 KiB round-trips`, async () => {
      const negotiated = await negotiate(deflating.port, combination.offers);
      if (negotiated.agreement === undefined) {
        // Declining the whole offer is the legal way to refuse a window it cannot use.
        expect(combination.mayDecline).toBe(true);
        console.info(`${combination.name}: the server declined the offer`);
        await expectEcho(negotiated.client, OP.text, jsonCorpus(4096));
        return;
      }
      console.info(
        `${combination.name}: agreed ${JSON.stringify(negotiated.agreement)} ("${negotiated.client.response.headers.get('sec-websocket-extensions')?.join(', ')}")`,
      );
      const compressedEchoes = await roundTripAllSizes(negotiated, OP.text, (size) =>
        slices(text, size, true),
      );
      expect(compressedEchoes).toBeGreaterThan(0);
    });
  }

  it('fails RSV1 on a continuation frame with 1002', async () => {
    const { client, agreement } = await negotiate(deflating.port, [AUTOBAHN_OFFER]);
    expect(agreement).toBeDefined();
    const deflater = new MessageDeflater(15, true);
    const compressed = await deflater.compress(jsonCorpus(2048));
    deflater.close();
    const [first, second] = [compressed.subarray(0, 16), compressed.subarray(16)];
    client.write(
      Buffer.concat([
        buildFrame({ opcode: OP.text, rsv: 4, fin: false, payload: first }),
        buildFrame({ opcode: OP.continuation, rsv: 4, fin: true, payload: second }),
      ]),
    );
    await expectCloseCode(client, 1002);
  });

  it('fails RSV1 on a ping with 1002 even with deflate negotiated', async () => {
    const { client, agreement } = await negotiate(deflating.port, [AUTOBAHN_OFFER]);
    expect(agreement).toBeDefined();
    client.sendFrame({ opcode: OP.ping, rsv: 4, payload: 'compressed?' });
    await expectCloseCode(client, 1002);
  });

  it('fails RSV1 with 1002 when the client did not offer deflate', async () => {
    const client = await open({ port: deflating.port });
    expect(client.response.headers.get('sec-websocket-extensions')).toBeUndefined();
    const deflater = new MessageDeflater(15, true);
    const compressed = await deflater.compress(Buffer.from('Hello, world!'));
    deflater.close();
    client.sendFrame({ opcode: OP.text, rsv: 4, payload: compressed });
    await expectCloseCode(client, 1002);
  });

  it('fails a compressed text message that inflates to invalid UTF-8 with 1007', async () => {
    const { client, agreement } = await negotiate(deflating.port, [AUTOBAHN_OFFER]);
    expect(agreement).toBeDefined();
    const deflater = new MessageDeflater(15, true);
    const compressed = await deflater.compress(hex('cebae1bdb9cf83cebcceb5eda080656469746564'));
    deflater.close();
    client.sendFrame({ opcode: OP.text, rsv: 4, payload: compressed });
    await expectCloseCode(client, 1007);
  });
});
