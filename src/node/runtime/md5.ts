/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) in plain TypeScript, for
 * `nodeCrypto`'s short inputs. RADIUS signs every packet with MD5 and
 * HMAC-MD5 over a hundred bytes or so; through node:crypto each digest costs
 * a Hash or Hmac object and a trip into OpenSSL, several times the work of
 * the two or three 64-byte blocks themselves (bench/eap profile). Here a
 * digest allocates only its 16-byte result, and an HMAC key's padded inner
 * and outer states are computed once per key and kept (a copy of the key is
 * kept with them and compared, so a key changed in place is not served a
 * stale state). MD5 is broken as a general hash; netrx uses it only where a
 * protocol requires it (RADIUS, EAP-MD5, CHAP).
 */

const IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);

/** The little-endian 32-bit word at `bytes[at..at+4)` (a plain function: a closure here cost an allocation per block). */
function le32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  );
}

/** One 64-byte block at `bytes[at..at+64)` into `state` (RFC 1321 §3.4), unrolled. */
function compress(state: Int32Array, bytes: Uint8Array, at: number): void {
  const x0 = le32(bytes, at + 0);
  const x1 = le32(bytes, at + 4);
  const x2 = le32(bytes, at + 8);
  const x3 = le32(bytes, at + 12);
  const x4 = le32(bytes, at + 16);
  const x5 = le32(bytes, at + 20);
  const x6 = le32(bytes, at + 24);
  const x7 = le32(bytes, at + 28);
  const x8 = le32(bytes, at + 32);
  const x9 = le32(bytes, at + 36);
  const x10 = le32(bytes, at + 40);
  const x11 = le32(bytes, at + 44);
  const x12 = le32(bytes, at + 48);
  const x13 = le32(bytes, at + 52);
  const x14 = le32(bytes, at + 56);
  const x15 = le32(bytes, at + 60);
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  a = (a + ((b & c) | (~b & d)) + x0 + 0xd76aa478) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + x1 + 0xe8c7b756) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + x2 + 0x242070db) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + x3 + 0xc1bdceee) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + x4 + 0xf57c0faf) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + x5 + 0x4787c62a) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + x6 + 0xa8304613) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + x7 + 0xfd469501) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + x8 + 0x698098d8) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + x9 + 0x8b44f7af) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + x10 + 0xffff5bb1) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + x11 + 0x895cd7be) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + x12 + 0x6b901122) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + x13 + 0xfd987193) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + x14 + 0xa679438e) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + x15 + 0x49b40821) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + x1 + 0xf61e2562) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + x6 + 0xc040b340) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + x11 + 0x265e5a51) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + x0 + 0xe9b6c7aa) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + x5 + 0xd62f105d) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + x10 + 0x02441453) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + x15 + 0xd8a1e681) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + x4 + 0xe7d3fbc8) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + x9 + 0x21e1cde6) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + x14 + 0xc33707d6) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + x3 + 0xf4d50d87) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + x8 + 0x455a14ed) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + x13 + 0xa9e3e905) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + x2 + 0xfcefa3f8) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + x7 + 0x676f02d9) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + x12 + 0x8d2a4c8a) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + (b ^ c ^ d) + x5 + 0xfffa3942) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x8 + 0x8771f681) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x11 + 0x6d9d6122) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x14 + 0xfde5380c) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x1 + 0xa4beea44) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x4 + 0x4bdecfa9) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x7 + 0xf6bb4b60) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x10 + 0xbebfbc70) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x13 + 0x289b7ec6) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x0 + 0xeaa127fa) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x3 + 0xd4ef3085) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x6 + 0x04881d05) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x9 + 0xd9d4d039) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x12 + 0xe6db99e5) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x15 + 0x1fa27cf8) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x2 + 0xc4ac5665) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x0 + 0xf4292244) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x7 + 0x432aff97) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x14 + 0xab9423a7) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x5 + 0xfc93a039) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x12 + 0x655b59c3) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x3 + 0x8f0ccc92) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x10 + 0xffeff47d) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x1 + 0x85845dd1) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x8 + 0x6fa87e4f) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x15 + 0xfe2ce6e0) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x6 + 0xa3014314) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x13 + 0x4e0811a1) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x4 + 0xf7537e82) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x11 + 0xbd3af235) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x2 + 0x2ad7d2bb) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x9 + 0xeb86d391) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  state[0] = (state[0] as number) + a;
  state[1] = (state[1] as number) + b;
  state[2] = (state[2] as number) + c;
  state[3] = (state[3] as number) + d;
}

/** A reusable MD5 computation: `start`, any number of `update`s, `finish`. */
class Md5 {
  private readonly state = new Int32Array(4);
  private readonly block = new Uint8Array(64);
  private pending = 0;
  private total = 0;

  /** Starts from `from` (the IV, or a saved state after `length` bytes, a multiple of 64). */
  start(from: Int32Array, length: number): this {
    this.state.set(from);
    this.pending = 0;
    this.total = length;
    return this;
  }

  update(data: Uint8Array): this {
    let at = 0;
    const n = data.length;
    this.total += n;
    // Byte loops rather than subarray + set: a view is an allocation, these are a few bytes.
    const block = this.block;
    if (this.pending > 0) {
      const take = Math.min(64 - this.pending, n);
      for (let i = 0; i < take; i++) block[this.pending + i] = data[i] as number;
      this.pending += take;
      at = take;
      if (this.pending < 64) return this;
      compress(this.state, block, 0);
      this.pending = 0;
    }
    for (; at + 64 <= n; at += 64) compress(this.state, data, at);
    for (let i = 0; at + i < n; i++) block[i] = data[at + i] as number;
    this.pending = n - at;
    return this;
  }

  /** Pads (0x80, zeros, the bit length little-endian) and writes the 16-byte digest. */
  finish(out: Uint8Array): void {
    const block = this.block;
    let p = this.pending;
    block[p++] = 0x80;
    if (p > 56) {
      block.fill(0, p);
      compress(this.state, block, 0);
      p = 0;
    }
    block.fill(0, p, 56);
    const bits = this.total * 8;
    const low = bits >>> 0;
    const high = Math.floor(bits / 0x100000000) >>> 0;
    for (let i = 0; i < 4; i++) {
      block[56 + i] = (low >>> (8 * i)) & 0xff;
      block[60 + i] = (high >>> (8 * i)) & 0xff;
    }
    compress(this.state, block, 0);
    for (let i = 0; i < 4; i++) {
      const word = this.state[i] as number;
      out[4 * i] = word & 0xff;
      out[4 * i + 1] = (word >>> 8) & 0xff;
      out[4 * i + 2] = (word >>> 16) & 0xff;
      out[4 * i + 3] = (word >>> 24) & 0xff;
    }
  }

  /** The state after whole blocks (for HMAC's precomputed pads). */
  saved(): Int32Array {
    return this.state.slice();
  }
}

// One computation at a time: the digests are synchronous and call nothing back.
const md5 = new Md5();
const inner = new Uint8Array(16);

/** The MD5 digest of the concatenation of `data`. */
export function md5Digest(data: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  md5.start(IV, 0);
  for (const part of data) md5.update(part);
  const out = new Uint8Array(16);
  md5.finish(out);
  return out;
}

interface HmacKey {
  /** A copy of the key the pads were computed from. */
  readonly key: Uint8Array;
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

const keys = new WeakMap<Uint8Array, HmacKey>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function padsOf(key: Uint8Array): HmacKey {
  const known = keys.get(key);
  if (known !== undefined && sameBytes(known.key, key)) return known;
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? md5Digest([key]) : key);
  const pad = new Uint8Array(64);
  for (let i = 0; i < 64; i++) pad[i] = (block[i] as number) ^ 0x36;
  const innerState = md5.start(IV, 0).update(pad).saved();
  for (let i = 0; i < 64; i++) pad[i] = (block[i] as number) ^ 0x5c;
  const outerState = md5.start(IV, 0).update(pad).saved();
  const made = { key: key.slice(), inner: innerState, outer: outerState };
  keys.set(key, made);
  return made;
}

/** HMAC-MD5 (RFC 2104) of the concatenation of `data` under `key`. */
export function hmacMd5(key: Uint8Array, data: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const pads = padsOf(key);
  md5.start(pads.inner, 64);
  for (const part of data) md5.update(part);
  md5.finish(inner);
  const out = new Uint8Array(16);
  md5.start(pads.outer, 64).update(inner).finish(out);
  return out;
}
