/**
 * `maxMessageSize` bounds an uncompressed message across its fragments, not
 * only per frame (outside review of issue 8, finding 1: mutating the
 * cumulative check in `receive-path.ts` to `false` survived every test, so a
 * peer could send `maxFragments` frames just under the limit each).
 */
import { describe, expect, it } from 'vitest';
import { HandleDriver } from '../testing/index.js';
import { createServerHandle } from './index.js';
import { createPortableCrypto } from './portable-crypto.js';

// The host's Web Crypto behind the portable Crypto rather than node:crypto, so
// this file also runs on Deno, Bun and in Chromium (test/portable).
const hostCrypto = createPortableCrypto((into) => globalThis.crypto.getRandomValues(into));

/** A masked (key 0) binary frame: first fragment has opcode 2, the rest 0. */
function frame(payload: Uint8Array, options: { fin: boolean; first: boolean }): Uint8Array {
  const h = new Uint8Array(14 + payload.length);
  h[0] = (options.fin ? 0x80 : 0) | (options.first ? 0x02 : 0x00);
  h[1] = 0x80 | 127;
  new DataView(h.buffer).setBigUint64(2, BigInt(payload.length));
  h.set(payload, 14);
  return h;
}

function run(
  max: number,
  sizes: number[],
): { type: string; code?: number; error?: string; length?: number }[] {
  const h = createServerHandle({ crypto: hostCrypto, maxMessageSize: max, assembleMessages: true });
  h.open({});
  const d = new HandleDriver(h);
  d.postReceive();
  sizes.forEach((size, i) => {
    d.deliver(
      frame(new Uint8Array(size).fill(i + 1), { fin: i === sizes.length - 1, first: i === 0 }),
    );
    d.run();
  });
  return d.messages().map((m) => ({
    type: m.type,
    ...(m.close ? { code: m.close.code } : {}),
    ...(m.error ? { error: m.error.code } : {}),
    ...(m.type === 'close' ? {} : { length: m.data.length }),
  }));
}

describe('maxMessageSize across uncompressed fragments', () => {
  const max = 64 * 1024;

  it('three fragments of max/2 (each under the limit) close with 1009', () => {
    expect(run(max, [max / 2, max / 2, max / 2])).toEqual([
      { type: 'close', code: 1009, error: 'ERR_WS_MESSAGE_TOO_BIG' },
    ]);
  });

  it('fragments adding up to exactly max are delivered whole', () => {
    const got = run(max, [max / 2, max / 4, max / 4]);
    expect(got).toEqual([{ type: 'binary-message', length: max }]);
  });

  it('one byte over max across fragments closes with 1009', () => {
    expect(run(max, [max / 2, max / 2, 1])).toEqual([
      { type: 'close', code: 1009, error: 'ERR_WS_MESSAGE_TOO_BIG' },
    ]);
  });
});
