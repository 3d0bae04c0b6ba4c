/**
 * Single DES (FIPS 46-3), one 64-bit block, encryption only: all MSCHAPv2
 * (RFC 2759 ChallengeResponse) needs. Node 20's OpenSSL 3 refuses `des-ecb`
 * without the legacy provider, so netrx carries its own. DES is broken and
 * used only where a protocol requires it. The S-boxes and P are folded into SP lookup tables built once
 * at load; the permutations stay bit loops, readable against FIPS 46-3.
 */

// prettier-ignore
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
  62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
  57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
  61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];
// prettier-ignore
const FP = [
  40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
  38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
  36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
  34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
];
// E (the expansion) is not a table here: `feistel` takes its 6-bit groups by shifts.
// prettier-ignore
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
  2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
];
// prettier-ignore
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
  10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
  14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
// prettier-ignore
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
// prettier-ignore
const S = [
  [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
   4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
  [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
   0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
  [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
   13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
  [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
   10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
  [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
   4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
  [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
   9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
  [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
   1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
  [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
   7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
];

/** Bit `position` (1-based, most significant first) of the 64-bit value hi ‖ lo. */
function bit64(hi: number, lo: number, position: number): number {
  return position <= 32 ? (hi >>> (32 - position)) & 1 : (lo >>> (64 - position)) & 1;
}

/** A 1-based FIPS permutation of a 32-bit value. */
function permute32(value: number, table: readonly number[]): number {
  let out = 0;
  for (const position of table) out = (out << 1) | ((value >>> (32 - position)) & 1);
  return out >>> 0;
}

/**
 * The S-boxes with P folded in (the classic SP tables): SP[box][six input
 * bits] is that box's 4 output bits already moved to their place after P, so
 * the round function is eight lookups ORed together.
 */
const SP: readonly Uint32Array[] = S.map((box, index) => {
  const table = new Uint32Array(64);
  for (let six = 0; six < 64; six++) {
    const row = ((six >> 5) << 1) | (six & 1);
    const column = (six >> 1) & 0xf;
    const value = box[row * 16 + column] as number;
    table[six] = permute32((value << (28 - 4 * index)) >>> 0, P);
  }
  return table;
});

/**
 * The sixteen round keys of the block being encrypted, each as eight 6-bit
 * groups (one per S-box), round r at 8r. One buffer for every call instead of
 * sixteen arrays per block (MSCHAPv2 encrypts three blocks per check): the
 * cores are synchronous, so no two calls overlap, and it is zeroed after each
 * block so no key material stays behind.
 */
const ROUND_KEYS = new Uint8Array(16 * 8);

/** Fills ROUND_KEYS from `key`; parity bits ignored. */
function scheduleRoundKeys(key: Uint8Array): void {
  const hi =
    (((key[0] as number) << 24) |
      ((key[1] as number) << 16) |
      ((key[2] as number) << 8) |
      (key[3] as number)) >>>
    0;
  const lo =
    (((key[4] as number) << 24) |
      ((key[5] as number) << 16) |
      ((key[6] as number) << 8) |
      (key[7] as number)) >>>
    0;
  let c = 0;
  let d = 0;
  for (let i = 0; i < 28; i++) c = (c << 1) | bit64(hi, lo, PC1[i] as number);
  for (let i = 28; i < 56; i++) d = (d << 1) | bit64(hi, lo, PC1[i] as number);
  for (let round = 0; round < 16; round++) {
    const shift = SHIFTS[round] as number;
    c = ((c << shift) | (c >>> (28 - shift))) & 0xfffffff;
    d = ((d << shift) | (d >>> (28 - shift))) & 0xfffffff;
    const at = round * 8;
    for (let group = 0; group < 8; group++) {
      let six = 0;
      for (let i = group * 6; i < group * 6 + 6; i++) {
        const position = PC2[i] as number;
        six =
          (six << 1) | (position <= 28 ? (c >>> (28 - position)) & 1 : (d >>> (56 - position)) & 1);
      }
      ROUND_KEYS[at + group] = six;
    }
  }
}

/** The round function: E expansion, key mixing with round key `at` of ROUND_KEYS, SP lookups. */
function feistel(right: number, at: number): number {
  const k = ROUND_KEYS;
  // E takes bits 4i..4i+5 (1-based, wrapping 0 → 32 and 33 → 1) for box i.
  let out = SP[0]![(((right & 1) << 5) | (right >>> 27)) ^ (k[at] as number)] as number;
  for (let box = 1; box < 7; box++) {
    out |= SP[box]![((right >>> (27 - 4 * box)) & 0x3f) ^ (k[at + box] as number)] as number;
  }
  out |= SP[7]![(((right & 0x1f) << 1) | (right >>> 31)) ^ (k[at + 7] as number)] as number;
  return out >>> 0;
}

/** Encrypts one 8-byte block under an 8-byte key. Throws RangeError on other sizes. */
export function desEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array<ArrayBuffer> {
  if (key.length !== 8) throw new RangeError(`DES key must be 8 bytes: got ${key.length}`);
  if (block.length !== 8) throw new RangeError(`DES block must be 8 bytes: got ${block.length}`);
  scheduleRoundKeys(key);
  const hi =
    (((block[0] as number) << 24) |
      ((block[1] as number) << 16) |
      ((block[2] as number) << 8) |
      (block[3] as number)) >>>
    0;
  const lo =
    (((block[4] as number) << 24) |
      ((block[5] as number) << 16) |
      ((block[6] as number) << 8) |
      (block[7] as number)) >>>
    0;
  let left = 0;
  let right = 0;
  for (let i = 0; i < 32; i++) left = (left << 1) | bit64(hi, lo, IP[i] as number);
  for (let i = 32; i < 64; i++) right = (right << 1) | bit64(hi, lo, IP[i] as number);
  left >>>= 0;
  right >>>= 0;
  for (let round = 0; round < 16; round++) {
    const next = (left ^ feistel(right, round * 8)) >>> 0;
    left = right;
    right = next;
  }
  ROUND_KEYS.fill(0);
  // The preoutput is R16 ‖ L16; FP undoes IP.
  const out = new Uint8Array(8);
  for (let i = 0; i < 64; i++) {
    if (bit64(right, left, FP[i] as number) === 1)
      out[i >> 3] = (out[i >> 3] as number) | (0x80 >> (i & 7));
  }
  return out;
}

/** Bits of `bytes`, most significant first, as 0/1 numbers. */
function toBits(bytes: Uint8Array, count: number): number[] {
  const bits: number[] = [];
  for (let i = 0; i < count; i++) bits.push(((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1);
  return bits;
}

/**
 * A 7-byte key spread over 8 bytes, 7 bits each, with odd parity in the low
 * bit (RFC 2759 DesEncrypt's MakeKey). DES ignores parity; it is set anyway
 * so the key is a valid DES key for implementations that check.
 */
export function expandDesKey(key7: Uint8Array): Uint8Array<ArrayBuffer> {
  if (key7.length !== 7) throw new RangeError(`7-byte DES key expected: got ${key7.length}`);
  const bits = toBits(key7, 56);
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    let byte = 0;
    for (let j = 0; j < 7; j++) byte = (byte << 1) | (bits[i * 7 + j] as number);
    byte <<= 1;
    let ones = 0;
    for (let v = byte; v !== 0; v >>= 1) ones += v & 1;
    out[i] = byte | (ones % 2 === 0 ? 1 : 0);
  }
  return out;
}
