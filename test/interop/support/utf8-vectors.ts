/**
 * The UTF-8 vectors of Autobahn|Testsuite groups 6.5-6.23, written here
 * from the case descriptions (which follow Markus Kuhn's "UTF-8 decoder
 * capability and stress test") and the rules of RFC 3629 / Unicode 15
 * table 3-7, not copied: which byte sequences are well-formed UTF-8.
 *
 * The rules, for reading the hex below:
 * - 00-7F one byte; C2-DF + one continuation (80-BF); E0 A0-BF, E1-EC 80-BF,
 *   ED 80-9F (no surrogates), EE-EF 80-BF, then one more continuation;
 *   F0 90-BF, F1-F3 80-BF, F4 80-8F (nothing above U+10FFFF), then two more.
 * - C0, C1 and F5-FF never appear; a continuation byte never starts a
 *   sequence; a sequence cut short is invalid wherever it is cut.
 * - Noncharacters (U+FFFE, U+FFFF, U+nFFFE, U+nFFFF, U+FDD0-U+FDEF) and
 *   specials (U+FFF9-U+FFFD) ARE valid UTF-8: a WebSocket endpoint must
 *   pass them on (Autobahn 6.22, 6.23).
 *
 * Each vector has the Autobahn case it stands for (group.case, or the group
 * where a case covers a family) and the bytes.
 */

export interface Utf8Vector {
  readonly name: string;
  readonly bytes: Buffer;
}

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const utf8 = (codePoint: number): Buffer => Buffer.from(String.fromCodePoint(codePoint), 'utf8');
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Each byte of `from..to` followed by a space (Autobahn 6.13: lonely start bytes). */
const lonely = (from: number, to: number): Buffer =>
  Buffer.from(range(from, to).flatMap((b) => [b, 0x20]));

const KOSME = hex('ce ba e1 bd b9 cf 83 ce bc ce b5'); // κόσμε
/** Where κόσμε's code points end: a prefix of these lengths is valid. */
const KOSME_BOUNDARIES = new Set([0, 2, 5, 7, 9, 11]);

const valid: Utf8Vector[] = [
  { name: '6.5.1 κόσμε', bytes: KOSME },
  {
    name: '6.5 U+0024 U+00A2 U+20AC U+24B62 in words',
    bytes: hex('24 20 c2a2 20 e282ac 20 f0a4ada2'),
  },
  { name: '6.5 Hello-µ@ßöäüàá-UTF-8!!', bytes: Buffer.from('Hello-µ@ßöäüàá-UTF-8!!', 'utf8') },
];
const invalid: Utf8Vector[] = [];

// 6.6: every prefix of κόσμε; those that end inside a code point are invalid.
for (let n = 1; n <= KOSME.length; n++) {
  const vector = { name: `6.6.${n} the first ${n} bytes of κόσμε`, bytes: KOSME.subarray(0, n) };
  (KOSME_BOUNDARIES.has(n) ? valid : invalid).push(vector);
}

valid.push(
  // 6.7: the first possible sequence of each length.
  { name: '6.7.1 U+0000', bytes: hex('00') },
  { name: '6.7.2 U+0080', bytes: hex('c280') },
  { name: '6.7.3 U+0800', bytes: hex('e0a080') },
  { name: '6.7.4 U+10000', bytes: hex('f0908080') },
  // 6.9: the last possible sequence of each length.
  { name: '6.9.1 U+007F', bytes: hex('7f') },
  { name: '6.9.2 U+07FF', bytes: hex('dfbf') },
  { name: '6.9.3 U+FFFF', bytes: hex('efbfbf') },
  { name: '6.9.4 U+10FFFF', bytes: hex('f48fbfbf') },
  // 6.11: other boundaries.
  { name: '6.11.1 U+D7FF', bytes: hex('ed9fbf') },
  { name: '6.11.2 U+E000', bytes: hex('ee8080') },
  { name: '6.11.3 U+FFFD', bytes: hex('efbfbd') },
  { name: '6.11.4 U+10FFFF', bytes: hex('f48fbfbf') },
);

invalid.push(
  // 6.8: five- and six-byte forms (no longer UTF-8).
  { name: '6.8.1 first five-byte sequence', bytes: hex('f888808080') },
  { name: '6.8.2 first six-byte sequence', bytes: hex('fc8480808080') },
  // 6.10: last four-, five-, six-byte forms.
  { name: '6.10.1 F7 BF BF BF (above U+10FFFF)', bytes: hex('f7bfbfbf') },
  { name: '6.10.2 last five-byte sequence', bytes: hex('fbbfbfbfbf') },
  { name: '6.10.3 last six-byte sequence', bytes: hex('fdbfbfbfbfbf') },
  { name: '6.11.5 U+110000', bytes: hex('f4908080') },
  // 6.12: unexpected continuation bytes.
  { name: '6.12.1 80', bytes: hex('80') },
  { name: '6.12.2 bf', bytes: hex('bf') },
  { name: '6.12.3 80 bf', bytes: hex('80bf') },
  { name: '6.12.4 80 bf 80', bytes: hex('80bf80') },
  { name: '6.12.5 80 bf 80 bf', bytes: hex('80bf80bf') },
  { name: '6.12.6 80 bf 80 bf 80', bytes: hex('80bf80bf80') },
  { name: '6.12.7 80 bf 80 bf 80 bf', bytes: hex('80bf80bf80bf') },
  { name: '6.12.8 all 64 continuation bytes', bytes: Buffer.from(range(0x80, 0xbf)) },
  // 6.13: lonely start bytes, each followed by a space.
  { name: '6.13.1 C0..DF each followed by a space', bytes: lonely(0xc0, 0xdf) },
  { name: '6.13.2 E0..EF each followed by a space', bytes: lonely(0xe0, 0xef) },
  { name: '6.13.3 F0..F7 each followed by a space', bytes: lonely(0xf0, 0xf7) },
  { name: '6.13.4 F8..FB each followed by a space', bytes: lonely(0xf8, 0xfb) },
  { name: '6.13.5 FC, FD each followed by a space', bytes: lonely(0xfc, 0xfd) },
);

// 6.14: sequences missing their last continuation byte; 6.15: all of them in a row.
const TRUNCATED = [
  'c0',
  'e080',
  'f08080',
  'f8808080',
  'fc80808080',
  'df',
  'efbf',
  'f7bfbf',
  'fbbfbfbf',
  'fdbfbfbfbf',
];
TRUNCATED.forEach((bytes, i) =>
  invalid.push({
    name: `6.14.${i + 1} ${bytes} (last continuation byte missing)`,
    bytes: hex(bytes),
  }),
);
invalid.push({
  name: '6.15.1 the ten truncated sequences concatenated',
  bytes: hex(TRUNCATED.join('')),
});

invalid.push(
  // 6.16: bytes that never appear.
  { name: '6.16.1 fe', bytes: hex('fe') },
  { name: '6.16.2 ff', bytes: hex('ff') },
  { name: '6.16.3 fe fe ff ff', bytes: hex('fefeffff') },
);

// 6.17-6.19: overlong forms of "/", the largest overlongs, overlong NUL (2 to 6 bytes).
const OVERLONG: [string, string[]][] = [
  ['6.17 overlong "/"', ['c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af']],
  ['6.18 maximum overlong', ['c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf']],
  ['6.19 overlong NUL', ['c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080']],
];
for (const [group, list] of OVERLONG) {
  list.forEach((bytes, i) =>
    invalid.push({
      name: `${group.replace(' ', `.${i + 1} `)} in ${bytes.length / 2} bytes`,
      bytes: hex(bytes),
    }),
  );
}

// 6.20: single UTF-16 surrogates; 6.21: surrogate pairs, each half encoded on its own.
const HIGH = ['eda080', 'edadbf', 'edae80', 'edafbf'];
const LOW = ['edb080', 'edbfbf'];
[...HIGH, 'edb080', 'edbe80', 'edbfbf'].forEach((bytes, i) =>
  invalid.push({ name: `6.20.${i + 1} lone surrogate ${bytes}`, bytes: hex(bytes) }),
);
let pair = 0;
for (const high of HIGH) {
  for (const low of LOW) {
    pair++;
    invalid.push({ name: `6.21.${pair} surrogate pair ${high} ${low}`, bytes: hex(high + low) });
  }
}

// 6.22: noncharacters, all valid: U+nFFFE and U+nFFFF of every plane, and U+FDD0..U+FDEF.
let nonchar = 0;
for (let plane = 0; plane <= 16; plane++) {
  for (const low of [0xfffe, 0xffff]) {
    const cp = plane * 0x10000 + low;
    nonchar++;
    valid.push({
      name: `6.22.${nonchar} noncharacter U+${cp.toString(16).toUpperCase()}`,
      bytes: utf8(cp),
    });
  }
}
valid.push({
  name: '6.22 noncharacters U+FDD0..U+FDEF',
  bytes: Buffer.concat(range(0xfdd0, 0xfdef).map(utf8)),
});

// 6.23: specials U+FFF9..U+FFFD, and U+FEFF (a byte-order mark is just a character here).
range(0xfff9, 0xfffd).forEach((cp, i) =>
  valid.push({ name: `6.23.${i + 1} special U+${cp.toString(16).toUpperCase()}`, bytes: utf8(cp) }),
);
valid.push({ name: '6.23 U+FEFF', bytes: utf8(0xfeff) });

/** Well-formed UTF-8: an endpoint must deliver these texts unchanged. */
export const VALID_UTF8: readonly Utf8Vector[] = valid;
/** Ill-formed UTF-8: an endpoint must fail the connection with 1007. */
export const INVALID_UTF8: readonly Utf8Vector[] = invalid;

/**
 * Whether `bytes` is well-formed UTF-8 by the rules above, written out
 * independently of any decoder so the vector tables can be checked against
 * it (and against Node's `buffer.isUtf8`) before anything relies on them.
 */
export function wellFormedUtf8(bytes: Uint8Array): boolean {
  let i = 0;
  const n = bytes.length;
  const cont = (at: number, lo = 0x80, hi = 0xbf): boolean =>
    at < n && bytes[at]! >= lo && bytes[at]! <= hi;
  while (i < n) {
    const b = bytes[i]!;
    if (b <= 0x7f) i += 1;
    else if (b >= 0xc2 && b <= 0xdf) {
      if (!cont(i + 1)) return false;
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      const lo = b === 0xe0 ? 0xa0 : 0x80;
      const hi = b === 0xed ? 0x9f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2)) return false;
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const lo = b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xf4 ? 0x8f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2) || !cont(i + 3)) return false;
      i += 4;
    } else return false;
  }
  return true;
}
