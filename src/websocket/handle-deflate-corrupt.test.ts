/**
 * Issue 8 follow-up: a permessage-deflate message whose DEFLATE stream was
 * cut short (also inside a final BFINAL block), or followed by anything but
 * the tail after its final block, must fail the connection with 1007 and
 * ERR_WS_INFLATE_FAILED: never be delivered short, never leave the inflater
 * inside a block for the messages after it. A scripted peer (node:zlib
 * directly, so nothing of netrx's sender is trusted) sends a good message, a
 * drawn corruption (or a valid BFINAL variant, so a fix that refuses too
 * much fails too) and a good message, under drawn settings.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCrypto } from '../node/runtime/index.js';
import { createZlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { HandleDriver, type DriverOptions } from '../testing/index.js';
import { encodeFrame, Opcode } from '../wire/websocket/index.js';
import type { PerMessageDeflateParams } from './extensions.js';
import {
  createClientHandle,
  createDeflateCodecPool,
  createServerHandle,
  type HandleProperties,
} from './index.js';

type Kind =
  | 'truncate-final' // a Z_FINISH (BFINAL) stream cut at any byte
  | 'truncate-sync' // a sync-flushed stream (tail stripped) cut at any byte
  | 'final-early' // a BFINAL stream of a prefix, then a second stream with the rest
  | 'garbage-after-final' // a whole BFINAL stream, then junk
  | 'final-ok' // a whole BFINAL stream, nothing after (valid)
  | 'final-octet-ok'; // a whole BFINAL stream and the 00 octet of RFC 7692 §7.2.3.4 (valid)

interface Case {
  readonly role: 'client' | 'server';
  readonly params: PerMessageDeflateParams;
  readonly kind: Kind;
  readonly size: number;
  readonly seed: number;
  /** Where to cut, or to split the message, as a fraction of its compressed length. */
  readonly at: number;
  readonly garbage: Uint8Array;
  readonly level: number;
  readonly fragments: number;
  readonly mode: 'view' | 'assemble' | 'buffer';
  readonly chop: number;
  readonly copyIntoBuffer: boolean;
  readonly pooled: boolean;
  readonly outputChunkSize: number;
}

/** Text-like bytes that compress (Huffman blocks, as real messages do). */
function messageBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = 0x61 + ((x >>> 0) % 12);
  }
  return out;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** The message as a sender that follows §7.2.1 sends it: sync-flushed, tail stripped. */
function syncFlushed(data: Uint8Array, windowBits: number, level: number): Uint8Array {
  const out = bytes(
    zlib.deflateRawSync(data, {
      windowBits: Math.max(9, windowBits),
      level,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    }),
  );
  return out.subarray(0, out.length - 4);
}

function finished(data: Uint8Array, windowBits: number, level: number): Uint8Array {
  return bytes(zlib.deflateRawSync(data, { windowBits: Math.max(9, windowBits), level }));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The compressed payload for `c`, and whether it is valid. */
function payloadFor(
  c: Case,
  data: Uint8Array,
  windowBits: number,
): { payload: Uint8Array; valid: boolean } {
  const whole = finished(data, windowBits, c.level);
  switch (c.kind) {
    case 'truncate-final': {
      const cut = Math.min(whole.length - 1, Math.max(1, Math.floor(c.at * whole.length)));
      return { payload: whole.subarray(0, cut), valid: false };
    }
    case 'truncate-sync': {
      const sync = syncFlushed(data, windowBits, c.level);
      const cut = Math.min(sync.length - 1, Math.max(1, Math.floor(c.at * sync.length)));
      return { payload: sync.subarray(0, cut), valid: false };
    }
    case 'final-early': {
      // A non-empty rest: an empty second stream would be the valid §7.2.3.4 octet.
      const split = Math.min(data.length - 1, Math.max(1, Math.floor(c.at * data.length)));
      const first = finished(data.subarray(0, split), windowBits, c.level);
      const rest = syncFlushed(data.subarray(split), windowBits, c.level);
      return { payload: concat([first, rest]), valid: false };
    }
    case 'garbage-after-final': {
      // The single 00 octet is the valid §7.2.3.4 form, tested as final-octet-ok.
      const junk = c.garbage.length === 1 && c.garbage[0] === 0 ? Uint8Array.of(0x01) : c.garbage;
      return { payload: concat([whole, junk]), valid: false };
    }
    case 'final-ok':
      return { payload: whole, valid: true };
    case 'final-octet-ok':
      return { payload: concat([whole, Uint8Array.of(0x00)]), valid: true };
  }
}

/** Frames carrying `payload` as one compressed message in `fragments` frames. */
function frames(payload: Uint8Array, fragments: number, masked: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  const step = Math.max(1, Math.ceil(payload.length / fragments));
  for (let at = 0, first = true; first || at < payload.length; first = false) {
    const end = Math.min(payload.length, at + step);
    out.push(
      encodeFrame({
        fin: end === payload.length,
        opcode: first ? Opcode.Binary : Opcode.Continuation,
        rsv1: first,
        payload: payload.subarray(at, end),
        ...(masked ? { maskKey: 0x5a17c0de } : {}),
      }),
    );
    at = end;
  }
  return out;
}

function receiver(c: Case): HandleDriver {
  const inner = createZlibDeflateCodec({ outputChunkSize: c.outputChunkSize });
  const props: HandleProperties = {
    crypto: nodeCrypto,
    deflateCodec: c.pooled ? createDeflateCodecPool(inner) : inner,
    assembleMessages: c.mode === 'assemble',
  };
  const handle = c.role === 'server' ? createServerHandle(props) : createClientHandle(props);
  handle.open({ perMessageDeflate: c.params });
  const options: DriverOptions = {
    chop: c.chop,
    copyIntoBuffer: c.copyIntoBuffer,
    ...(c.mode === 'buffer' ? { receiveBuffer: () => new Uint8Array(4096) } : {}),
  };
  const driver = new HandleDriver(handle, options);
  driver.postReceive();
  return driver;
}

/** Runs `c`: good message, the drawn one, good message. Returns what the receiver saw. */
function run(c: Case) {
  const driver = receiver(c);
  // The sender's window: what the receiver negotiated to inflate with.
  const windowBits =
    c.role === 'server' ? c.params.clientMaxWindowBits : c.params.serverMaxWindowBits;
  const masked = c.role === 'server';
  const before = messageBytes(300, c.seed ^ 0x1234);
  const drawn = messageBytes(c.size, c.seed);
  const after = messageBytes(200, c.seed ^ 0x4321);
  const { payload, valid } = payloadFor(c, drawn, windowBits);
  for (const f of frames(syncFlushed(before, windowBits, c.level), 1, masked)) driver.deliver(f);
  for (const f of frames(payload, c.fragments, masked)) driver.deliver(f);
  for (const f of frames(syncFlushed(after, windowBits, c.level), 1, masked)) driver.deliver(f);
  driver.run();
  return { driver, before, drawn, after, valid };
}

/** The code of the close frame `frame` (unmasked when a client sent it), if it is one. */
function closeCodeWritten(frame: Uint8Array | undefined): number | undefined {
  if (frame === undefined || frame[0] !== 0x88) return undefined;
  const masked = (frame[1]! & 0x80) !== 0;
  const at = masked ? 6 : 2;
  const key = masked ? frame.subarray(2, 6) : Uint8Array.of(0, 0, 0, 0);
  return ((frame[at]! ^ key[0]!) << 8) | (frame[at + 1]! ^ key[1]!);
}

function isPrefix(prefix: Uint8Array, of: Uint8Array): boolean {
  return prefix.length <= of.length && Buffer.compare(prefix, of.subarray(0, prefix.length)) === 0;
}

const paramsArb: fc.Arbitrary<PerMessageDeflateParams> = fc.record({
  serverNoContextTakeover: fc.boolean(),
  clientNoContextTakeover: fc.boolean(),
  serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
  clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
});

const caseArb: fc.Arbitrary<Case> = fc.record({
  role: fc.constantFrom('client' as const, 'server' as const),
  params: paramsArb,
  kind: fc.constantFrom<Kind>(
    'truncate-final',
    'truncate-sync',
    'final-early',
    'garbage-after-final',
    'final-ok',
    'final-octet-ok',
  ),
  size: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 20, max: 2000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 2000, max: 40_000 }) },
  ),
  seed: fc.integer(),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  garbage: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  level: fc.integer({ min: 1, max: 9 }),
  fragments: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 4 })),
  mode: fc.constantFrom('view' as const, 'assemble' as const, 'buffer' as const),
  chop: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 70_000 })),
  copyIntoBuffer: fc.boolean(),
  pooled: fc.boolean(),
  outputChunkSize: fc.constantFrom(256, 1024, 16 * 1024),
});

/** What went wrong in a run, or undefined: the checks shared by the property and the examples. */
function problem(c: Case): string | undefined {
  const { driver, before, drawn, after, valid } = run(c);
  const got = driver.messages();
  const first = got[0];
  if (first?.type !== 'binary-message' || Buffer.compare(first.data, before) !== 0) {
    return 'the good message before was not delivered intact';
  }
  if (valid) {
    if (got.length !== 3) return `valid: ${got.length} indications`;
    if (Buffer.compare(got[1]!.data, drawn) !== 0) return 'valid: the drawn message differs';
    if (Buffer.compare(got[2]!.data, after) !== 0) return 'valid: the message after differs';
    return driver.handle.error === undefined ? undefined : 'valid: the handle failed';
  }
  // Corrupt: no second message at all; the fragments handed out before the
  // failure are a prefix of what was sent; then the 1007 close.
  if (got.length !== 2)
    return `corrupt: ${got.length} indications (${got.map((m) => m.type).join()})`;
  const end = got[1]!;
  if (end.type !== 'close' || end.close?.code !== 1007) return `corrupt: ended with ${end.type}`;
  if (end.error?.code !== 'ERR_WS_INFLATE_FAILED') return `corrupt: error ${end.error?.code}`;
  const firstEnd = driver.received.findIndex((r) => r.bufferType.endsWith('message'));
  const fragments = concat(
    driver.received
      .slice(firstEnd + 1)
      .filter((r) => r.bufferType.endsWith('fragment'))
      .map((r) => r.data),
  );
  if (!isPrefix(fragments, drawn)) return 'corrupt: fragments are not a prefix of the message';
  if (closeCodeWritten(driver.written.at(-1)) !== 1007)
    return 'corrupt: no 1007 close frame written';
  return undefined;
}

const BASE: Case = {
  role: 'server',
  params: {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  },
  kind: 'truncate-final',
  size: 20_000,
  seed: 7,
  at: 0.5,
  garbage: Uint8Array.of(0xde, 0xad),
  level: 6,
  fragments: 1,
  mode: 'view',
  chop: 70_000,
  copyIntoBuffer: false,
  pooled: false,
  outputChunkSize: 16 * 1024,
};

describe('WebSocketHandle + permessage-deflate: corrupt and truncated streams', () => {
  // The report: a BFINAL stream cut short arrived short with no error, and
  // the inflater stayed inside the final block for every later message.
  it.each([
    ['cut by one byte', { at: 0.9999 }],
    ['cut in half', { at: 0.5 }],
    ['cut after one byte', { at: 0 }],
    [
      'cut, assembled, context takeover off',
      { mode: 'assemble', params: { ...BASE.params, clientNoContextTakeover: true } },
    ],
    ['cut, in three frames, client role', { role: 'client', fragments: 3 }],
  ] as const)('fails a truncated final block with 1007 (%s)', (_name, overrides) => {
    expect(problem({ ...BASE, ...overrides })).toBeUndefined();
  });

  it('fails a truncated sync-flushed stream, a second stream and trailing garbage after BFINAL', () => {
    for (const kind of ['truncate-sync', 'final-early', 'garbage-after-final'] as const) {
      expect(problem({ ...BASE, kind }), kind).toBeUndefined();
    }
  });

  it('reads a final block followed by nothing or by the §7.2.3.4 octet, and the messages after it', () => {
    for (const kind of ['final-ok', 'final-octet-ok'] as const) {
      for (const fragments of [1, 3]) {
        expect(problem({ ...BASE, kind, fragments }), `${kind} ${fragments}`).toBeUndefined();
      }
    }
  });

  it('one large case: a 1 MiB final block cut near its end', () => {
    expect(problem({ ...BASE, size: 1 << 20, at: 0.9995, fragments: 2 })).toBeUndefined();
  });

  it('property: any truncation, early BFINAL or trailing garbage fails with 1007; valid variants pass', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expect(problem(c)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
