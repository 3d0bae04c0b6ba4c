/**
 * Prepared messages (frame-once broadcast) on in-memory handle pairs: one
 * server handle per receiver, each with its own drawn permessage-deflate
 * settings (none, context takeover or not, window bits 8-15, threshold),
 * chopped reads, and broadcasts interleaved with that receiver's own sends.
 * Every receiver must get every message, byte for byte, in send order; a
 * frame is compressed at most once per distinct shared window; the shared
 * bytes are never written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { zlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { connectHandles, type WebSocketPair } from '../testing/index.js';
import type { PerMessageDeflateParams } from './extensions.js';
import { createClientHandle, createServerHandle, PreparedMessage } from './index.js';

interface ReceiverSetting {
  readonly deflate: PerMessageDeflateParams | undefined;
  readonly threshold: number;
  readonly chop: number;
}

type Op =
  | { readonly kind: 'broadcast'; readonly text: boolean; readonly data: Uint8Array }
  | {
      readonly kind: 'own';
      readonly receiver: number;
      readonly text: boolean;
      readonly data: Uint8Array;
    }
  | { readonly kind: 'flush' };

const deflateParams = fc.record({
  serverNoContextTakeover: fc.boolean(),
  clientNoContextTakeover: fc.boolean(),
  serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
  clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
});

const receiverSetting: fc.Arbitrary<ReceiverSetting> = fc.record({
  deflate: fc.option(deflateParams, { nil: undefined }),
  threshold: fc.integer({ min: 0, max: 1500 }),
  chop: fc.integer({ min: 1, max: 4096 }),
});

/** ASCII that compresses (repeats) or not (random), 0-3000 bytes: valid UTF-8 either way. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }).map((b) => b.map((x) => 0x20 + (x % 90))),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 300 }))
    .map(([s, n]) => new TextEncoder().encode(s.repeat(n))),
);

function opArbitrary(receivers: number): fc.Arbitrary<Op> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('broadcast' as const),
        text: fc.boolean(),
        data: payload,
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('own' as const),
        receiver: fc.integer({ min: 0, max: receivers - 1 }),
        text: fc.boolean(),
        data: payload,
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  );
}

function receiverPair(setting: ReceiverSetting): WebSocketPair {
  const props = {
    crypto: nodeCrypto,
    deflateCodec: zlibDeflateCodec,
    deflateThreshold: setting.threshold,
  };
  const client = createClientHandle(props);
  const server = createServerHandle(props);
  const negotiated = setting.deflate === undefined ? {} : { perMessageDeflate: setting.deflate };
  client.open(negotiated);
  server.open(negotiated);
  return connectHandles(client, server, { client: { chop: setting.chop } });
}

describe('PreparedMessage: frame-once broadcast over handle pairs', () => {
  it('every receiver gets every message in order, whatever its deflate settings', () => {
    const scenario = fc
      .array(receiverSetting, { minLength: 1, maxLength: 6 })
      .chain((settings) =>
        fc.tuple(fc.constant(settings), fc.array(opArbitrary(settings.length), { maxLength: 25 })),
      );
    fc.assert(
      fc.property(scenario, ([settings, ops]) => {
        const pairs = settings.map(receiverPair);
        const expected: { type: string; data: Uint8Array }[][] = settings.map(() => []);
        const prepared: { message: PreparedMessage; original: Uint8Array; shared: Set<number> }[] =
          [];
        for (const op of ops) {
          if (op.kind === 'flush') {
            for (const p of pairs) p.flush();
            continue;
          }
          const type = op.text ? 'utf8-message' : 'binary-message';
          if (op.kind === 'own') {
            pairs[op.receiver]?.server.handle.send(type, op.data);
            expected[op.receiver]?.push({ type, data: op.data });
            continue;
          }
          const message = new PreparedMessage(op.text ? 'utf8' : 'binary', op.data);
          const shared = new Set<number>();
          pairs.forEach((p, i) => {
            p.server.handle.sendPrepared(message);
            expected[i]?.push({ type, data: op.data });
            const d = settings[i]?.deflate;
            if (
              d?.serverNoContextTakeover === true &&
              op.data.length >= (settings[i]?.threshold ?? 0)
            ) {
              shared.add(Math.max(9, d.serverMaxWindowBits));
            }
          });
          prepared.push({ message, original: op.data.slice(), shared });
        }
        for (const p of pairs) p.flush();
        pairs.forEach((p, i) => {
          const got = p.client.messages().map((m) => ({ type: m.type, data: m.data }));
          expect(got).toEqual(expected[i]);
        });
        for (const { message, original, shared } of prepared) {
          // Compressed once per window size the no-context-takeover receivers share.
          expect(message.compressions).toBe(shared.size);
          expect(message.payload).toEqual(original);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('PreparedMessage: the rules', () => {
  it('copies the data (the caller may reuse its buffer) and frames it unmasked', () => {
    const data = new TextEncoder().encode('hello');
    const message = new PreparedMessage('utf8', data);
    data.fill(0);
    expect(new TextDecoder().decode(message.payload)).toBe('hello');
    const frames = message.framesFor(false, undefined);
    expect(frames).toEqual({
      kind: 'framed',
      bytes: Uint8Array.of(0x81, 5, 104, 101, 108, 108, 111),
    });
  });

  it('a client (masked) and a context-takeover receiver frame it themselves', () => {
    const message = new PreparedMessage('binary', new Uint8Array(2000));
    expect(message.framesFor(true, undefined).kind).toBe('own');
    const pair = receiverPair({
      deflate: {
        serverNoContextTakeover: false,
        clientNoContextTakeover: false,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 15,
      },
      threshold: 0,
      chop: 4096,
    });
    pair.server.handle.sendPrepared(message);
    pair.flush();
    expect(message.compressions).toBe(0);
    expect(pair.client.messages()).toEqual([
      { type: 'binary-message', data: new Uint8Array(2000) },
    ]);
  });

  it('refuses a prepared message between the fragments of another', () => {
    const server = createServerHandle({ crypto: nodeCrypto });
    server.open({});
    server.send('utf8-fragment', new TextEncoder().encode('a'));
    expect(() => server.sendPrepared(new PreparedMessage('utf8', new Uint8Array(1)))).toThrow(
      expect.objectContaining({ code: 'ERR_WS_INVALID_OPERATION' }) as unknown,
    );
  });

  it('refuses past the send queue bound as send does (ERR_WS_SEND_QUEUE_FULL)', () => {
    const server = createServerHandle({ crypto: nodeCrypto, maxQueuedSends: 2 });
    server.open({});
    const message = new PreparedMessage('binary', new Uint8Array(10));
    server.sendPrepared(message);
    server.sendPrepared(message);
    expect(() => server.sendPrepared(message)).toThrow(
      expect.objectContaining({ code: 'ERR_WS_SEND_QUEUE_FULL' }) as unknown,
    );
    expect(server.stats.sendsRefused).toBe(1);
  });
});
