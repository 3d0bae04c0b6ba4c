import type { Crypto, DigestAlgorithm } from '../runtime/index.js';

/**
 * The `Crypto` a WebSocket handle needs where `node:crypto` does not exist
 * (Deno, Bun, browsers, workers): randomness for masks and keys from a
 * function the host passes (`(b) => crypto.getRandomValues(b)` in each of
 * them; a core may not touch the global), and SHA-1 in plain TypeScript for
 * `Sec-WebSocket-Accept`. Web Crypto's `subtle.digest` is asynchronous, and
 * the handshake helpers are not, hence our own SHA-1 (FIPS 180-4 §6.1).
 * MD5 and SHA-256 are refused: no WebSocket path uses them, and a RADIUS or
 * EAP host on these runtimes should bring a complete `Crypto`.
 */

/** The most Web Crypto's `getRandomValues` fills in one call (WebCrypto §10.1.1). */
const RANDOM_QUOTA = 65_536;

/** SHA-1 of the concatenation of `parts`. */
export function sha1(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  // Message, 0x80, zero padding, 64-bit big-endian bit length: a multiple of 64.
  const padded = new Uint8Array((((length + 8) >>> 6) + 1) << 6);
  let at = 0;
  for (const part of parts) {
    padded.set(part, at);
    at += part.length;
  }
  padded[length] = 0x80;
  const view = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000), false);
  view.setUint32(padded.length - 4, (length << 3) >>> 0, false);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block + t * 4, false);
    for (let t = 16; t < 80; t++) {
      const x =
        (w[t - 3] as number) ^ (w[t - 8] as number) ^ (w[t - 14] as number) ^ (w[t - 16] as number);
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + (w[t] as number)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const out = new Uint8Array(20);
  const outView = new DataView(out.buffer);
  [h0, h1, h2, h3, h4].forEach((h, i) => outView.setUint32(i * 4, h >>> 0, false));
  return out;
}

function onlySha1(algorithm: DigestAlgorithm): void {
  if (algorithm !== 'sha1') {
    throw new RangeError(
      `The portable WebSocket Crypto has SHA-1 only: got ${algorithm} (bring a full Crypto for it)`,
    );
  }
}

/** HMAC-SHA-1 (RFC 2104). */
function hmacSha1(key: Uint8Array, data: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha1(key) : key);
  const inner = block.map((b) => b ^ 0x36);
  const outer = block.map((b) => b ^ 0x5c);
  return sha1(outer, sha1(inner, ...data));
}

/**
 * A Crypto over a host's random source. `fillRandom` must fill its argument
 * with cryptographically strong bytes (it is called with at most 65,536 at a
 * time, Web Crypto's quota).
 */
export function createPortableCrypto(fillRandom: (into: Uint8Array) => void): Crypto {
  const fill = (into: Uint8Array): void => {
    for (let at = 0; at < into.length; at += RANDOM_QUOTA) {
      fillRandom(into.subarray(at, Math.min(into.length, at + RANDOM_QUOTA)));
    }
  };
  return {
    randomBytes(length) {
      const out = new Uint8Array(length);
      fill(out);
      return out;
    },
    fillRandom: fill,
    digest(algorithm, ...data) {
      onlySha1(algorithm);
      return sha1(...data);
    },
    hmac(algorithm, key, ...data) {
      onlySha1(algorithm);
      return hmacSha1(key, data);
    },
  };
}
