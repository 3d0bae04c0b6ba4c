import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { equalBytes } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { zlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { HandleDriver } from '../testing/index.js';
import { encodeFrame } from '../wire/websocket/index.js';
import type { PerMessageDeflateParams } from './extensions.js';
import { createClientHandle, createDeflateCodecPool, createServerHandle } from './index.js';

/**
 * Fuzzes a server handle: a valid prefix (real frames from a netrx client,
 * compressed or not) followed by random bytes and random frames. Whatever
 * follows, the handle never throws, every message of the prefix arrives
 * intact before anything else, nothing after a close is indicated, and the
 * memory it allocates stays within a bound set by the limits, not by what
 * headers announce.
 *
 * Each run executes a fixed batch of NETRX_WS_FUZZ_RUNS sequences (default
 * 3000, about a second) from a seed printed in the output: by default the
 * UTC date (20261206 on 6 December 2026), so CI covers new sequences every
 * day and a failure replays all day; NETRX_FUZZ_SEED=<seed> replays any.
 * `npm run fuzz -- websocket --runs 1000000` runs the million as such
 * batches, each from its own seed (scripts/fuzz.mjs).
 */
const RUNS = Number(process.env['NETRX_WS_FUZZ_RUNS'] ?? 3000);
const SEED = fuzzSeed(process.env['NETRX_FUZZ_SEED'], new Date());

/** NETRX_FUZZ_SEED when set (an integer), else the UTC date as yyyymmdd. */
export function fuzzSeed(fromEnvironment: string | undefined, today: Date): number {
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    const seed = Number(fromEnvironment);
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`NETRX_FUZZ_SEED must be an integer, got ${fromEnvironment}`);
    }
    return seed;
  }
  return Number(today.toISOString().slice(0, 10).replaceAll('-', ''));
}
const MAX_MESSAGE = 4096;
/** Pooled as the Node server pools them: a million runs must not pay for a million zlib objects. */
const codec = createDeflateCodecPool(zlibDeflateCodec);

const paramsArb: fc.Arbitrary<PerMessageDeflateParams | undefined> = fc.option(
  fc.record({
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
    clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
  }),
  { nil: undefined },
);

// `size: 'max'` throughout: fast-check's default size keeps arrays to a
// handful of elements whatever maxLength says, which would never reach
// 16-bit lengths or messages long enough to assemble in pieces.

/** A frame with random fields and a payload that may or may not match its length. */
const frameArb = fc
  .record({
    fin: fc.boolean(),
    rsv1: fc.boolean(),
    opcode: fc.integer({ min: 0, max: 15 }),
    masked: fc.boolean(),
    payload: fc.uint8Array({ maxLength: 200, size: 'max' }),
  })
  .map(({ fin, rsv1, opcode, masked, payload }) => {
    // encodeFrame refuses what the RFC forbids; let those through as raw bytes.
    try {
      return encodeFrame({
        opcode,
        fin,
        rsv1,
        payload,
        ...(masked ? { maskKey: 0x11223344 } : {}),
      });
    } catch {
      return Uint8Array.of(
        (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode,
        payload.length & 0x7f,
        ...payload,
      );
    }
  });

const tailArb = fc.array(fc.oneof(fc.uint8Array({ maxLength: 64, size: 'max' }), frameArb), {
  maxLength: 6,
});

/** What broke the invariants, or undefined. */
function problem(
  driver: HandleDriver,
  expected: readonly { type: string; data: Uint8Array }[],
  allocated: number,
  tailItems: number,
): string | undefined {
  const got = driver.messages();
  // The prefix arrives whole and first.
  for (let i = 0; i < expected.length; i++) {
    const g = got[i];
    const e = expected[i]!;
    if (g === undefined) return `prefix message ${i} missing`;
    if (g.type !== e.type || !equalBytes(g.data, e.data)) return `prefix message ${i} differs`;
  }
  // Nothing is indicated after a close, and the handle has finished.
  const closeAt = driver.received.findIndex((r) => r.bufferType === 'close');
  if (closeAt !== driver.received.length - 1)
    return `close at ${closeAt} of ${driver.received.length}`;
  if (!driver.handle.transportDone) return 'transport not done';
  // Memory: what the handle allocated is bounded by the message limit, not by headers.
  const bound = 2 * MAX_MESSAGE * (expected.length + tailItems + 1);
  if (allocated > bound) return `allocated ${allocated} > ${bound}`;
  return undefined;
}

describe('fuzzSeed', () => {
  it('takes NETRX_FUZZ_SEED, else the UTC date, and refuses a seed that is not an integer', () => {
    const day = new Date('2026-12-06T23:59:00Z');
    expect(fuzzSeed(undefined, day)).toBe(20261206);
    expect(fuzzSeed('', day)).toBe(20261206);
    expect(fuzzSeed('42', day)).toBe(42);
    expect(() => fuzzSeed('4.5', day)).toThrow(RangeError);
    expect(() => fuzzSeed('soon', day)).toThrow(RangeError);
  });
});

describe('WebSocketHandle: fuzz', () => {
  it(
    `survives ${RUNS} random byte sequences after valid messages (seed ${SEED})`,
    () => {
      // Printed, so a batch that failed in CI can be replayed exactly.
      console.log(`websocket handle fuzz: ${RUNS} runs, NETRX_FUZZ_SEED=${SEED}`);
      fc.assert(
        fc.property(
          paramsArb,
          fc.constantFrom('view', 'assemble', 'buffer'),
          fc.integer({ min: 1, max: 300 }),
          fc.array(
            fc.record({
              binary: fc.boolean(),
              data: fc.uint8Array({ maxLength: 600, size: 'max' }),
            }),
            {
              maxLength: 3,
            },
          ),
          tailArb,
          (params, mode, chop, prefix, tail) => {
            let allocated = 0;
            const allocate = (size: number): Uint8Array => {
              allocated += size;
              return new Uint8Array(size);
            };
            const common = {
              crypto: nodeCrypto,
              deflateCodec: codec,
              deflateThreshold: 0,
              maxMessageSize: MAX_MESSAGE,
            };
            // The valid prefix, as a netrx client writes it.
            const client = createClientHandle(common);
            client.open(params === undefined ? {} : { perMessageDeflate: params });
            const expected = prefix.map((m) => ({
              type: m.binary ? 'binary-message' : 'utf8-message',
              data: m.binary ? m.data : m.data.map((b) => b & 0x7f),
            }));
            for (const m of expected) {
              client.send(m.type as 'binary-message' | 'utf8-message', m.data);
            }
            const wire: Uint8Array[] = [];
            for (let a = client.getAction('send'); a !== undefined; a = client.getAction('send')) {
              if (a.type === 'send-to-network') {
                for (const b of a.buffers) wire.push(b.slice());
                client.completeAction(a.actionContext, a.byteLength);
              } else {
                client.completeAction(a.actionContext);
              }
            }
            client.delete();

            const server = createServerHandle({
              ...common,
              allocate,
              assembleMessages: mode === 'assemble',
            });
            server.open(params === undefined ? {} : { perMessageDeflate: params });
            const driver = new HandleDriver(server, {
              chop,
              ...(mode === 'buffer' ? { receiveBuffer: () => new Uint8Array(97) } : {}),
            });
            driver.postReceive();
            for (const bytes of [...wire, ...tail]) driver.deliver(bytes);
            driver.deliverEndOfStream();
            driver.run();
            // One expect per run, on a description of what went wrong (a
            // million toEqual calls would cost more than the handle does).
            expect(problem(driver, expected, allocated, tail.length)).toBeUndefined();
            server.delete();
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
    },
    Math.max(60_000, RUNS * 10),
  );
});
