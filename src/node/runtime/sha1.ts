/**
 * SHA-1 (FIPS 180-4 §6.1) in plain TypeScript, for `nodeCrypto`'s short
 * inputs. MSCHAPv2 (RFC 2759, RFC 3079) takes seven SHA-1 digests of a few
 * dozen bytes per authentication; through node:crypto each one costs a Hash
 * object and a trip into OpenSSL, several times the one or two 64-byte blocks
 * themselves (bench/radius-core profile: `Hash` and `digest` 9 % of the
 * in-memory EAP run). SHA-1 is broken for collisions; netrx uses it only
 * where a protocol requires it.
 */

const IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

// One computation at a time: digests are synchronous and call nothing back.
const state = new Int32Array(5);
const schedule = new Int32Array(80);
const block = new Uint8Array(64);

/** One 64-byte block of `bytes` at `at` into `state`. */
function compress(bytes: Uint8Array, at: number): void {
  const w = schedule;
  for (let t = 0; t < 16; t++) {
    const i = at + 4 * t;
    w[t] =
      ((bytes[i] as number) << 24) |
      ((bytes[i + 1] as number) << 16) |
      ((bytes[i + 2] as number) << 8) |
      (bytes[i + 3] as number);
  }
  for (let t = 16; t < 80; t++) {
    const x =
      (w[t - 3] as number) ^ (w[t - 8] as number) ^ (w[t - 14] as number) ^ (w[t - 16] as number);
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
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
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const next = (((a << 5) | (a >>> 27)) + f + e + k + (w[t] as number)) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = next;
  }
  state[0] = (state[0] as number) + a;
  state[1] = (state[1] as number) + b;
  state[2] = (state[2] as number) + c;
  state[3] = (state[3] as number) + d;
  state[4] = (state[4] as number) + e;
}

/** The SHA-1 digest of the concatenation of `data`. */
export function sha1Digest(data: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  state.set(IV);
  let pending = 0;
  let total = 0;
  for (const part of data) {
    const n = part.length;
    total += n;
    let at = 0;
    if (pending > 0) {
      const take = Math.min(64 - pending, n);
      for (let i = 0; i < take; i++) block[pending + i] = part[i] as number;
      pending += take;
      at = take;
      if (pending < 64) continue;
      // The block is full: `pending` is set again below, from what this part leaves.
      compress(block, 0);
    }
    for (; at + 64 <= n; at += 64) compress(part, at);
    for (let i = 0; at + i < n; i++) block[i] = part[at + i] as number;
    pending = n - at;
  }
  // Padding: 0x80, zeros, the bit length big-endian in the last 8 bytes.
  block[pending++] = 0x80;
  if (pending > 56) {
    block.fill(0, pending);
    compress(block, 0);
    pending = 0;
  }
  block.fill(0, pending, 56);
  const bits = total * 8;
  const high = Math.floor(bits / 0x100000000) >>> 0;
  const low = bits >>> 0;
  for (let i = 0; i < 4; i++) {
    block[56 + i] = (high >>> (24 - 8 * i)) & 0xff;
    block[60 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  compress(block, 0);
  const out = new Uint8Array(20);
  for (let i = 0; i < 5; i++) {
    const word = state[i] as number;
    out[4 * i] = (word >>> 24) & 0xff;
    out[4 * i + 1] = (word >>> 16) & 0xff;
    out[4 * i + 2] = (word >>> 8) & 0xff;
    out[4 * i + 3] = word & 0xff;
  }
  // The block held message bytes (MSCHAPv2 password hashes among them).
  block.fill(0);
  schedule.fill(0);
  return out;
}
