/**
 * MD4 (RFC 1320) in plain TypeScript. MSCHAPv2 needs it for the NT password
 * hash, and Node 20's OpenSSL 3 refuses `md4` without the legacy provider, so
 * netrx carries its own. MD4 is broken as a general hash; use it only where
 * a protocol requires it.
 */

const S1 = [3, 7, 11, 19];
const S2 = [3, 5, 9, 13];
const S3 = [3, 9, 11, 15];
const ORDER2 = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const ORDER3 = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0;
}

/** The 16-byte MD4 digest of `data`. */
export function md4(data: Uint8Array): Uint8Array<ArrayBuffer> {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little-endian.
  const blocks = Math.ceil((data.length + 9) / 64);
  const padded = new Uint8Array(blocks * 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = data.length * 8;
  view.setUint32(padded.length - 8, bits >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(bits / 0x100000000), true);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Uint32Array(16);
  for (let block = 0; block < blocks; block++) {
    for (let i = 0; i < 16; i++) x[i] = view.getUint32(block * 64 + i * 4, true);
    const [aa, bb, cc, dd] = [a, b, c, d];
    for (let i = 0; i < 16; i++) {
      const f = (b & c) | (~b & d);
      const t = rotl((a + f + (x[i] as number)) >>> 0, S1[i % 4] as number);
      [a, b, c, d] = [d, t, b, c];
    }
    for (let i = 0; i < 16; i++) {
      const g = (b & c) | (b & d) | (c & d);
      const t = rotl(
        (a + g + (x[ORDER2[i] as number] as number) + 0x5a827999) >>> 0,
        S2[i % 4] as number,
      );
      [a, b, c, d] = [d, t, b, c];
    }
    for (let i = 0; i < 16; i++) {
      const h = b ^ c ^ d;
      const t = rotl(
        (a + h + (x[ORDER3[i] as number] as number) + 0x6ed9eba1) >>> 0,
        S3[i % 4] as number,
      );
      [a, b, c, d] = [d, t, b, c];
    }
    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }
  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, a, true);
  outView.setUint32(4, b, true);
  outView.setUint32(8, c, true);
  outView.setUint32(12, d, true);
  return out;
}

/** RFC 2759 NtPasswordHash: MD4 of the password in UTF-16LE (what `NT-Password` stores). */
export function ntPasswordHash(password: string): Uint8Array<ArrayBuffer> {
  const unicode = new Uint8Array(password.length * 2);
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    unicode[i * 2] = unit & 0xff;
    unicode[i * 2 + 1] = unit >>> 8;
  }
  return md4(unicode);
}
