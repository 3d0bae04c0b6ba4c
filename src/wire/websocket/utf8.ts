/**
 * Incremental UTF-8 validation (RFC 3629) for WebSocket text messages.
 *
 * A text message may arrive in any number of frames and each frame in any
 * number of chunks, split anywhere, even inside a code point. The validator
 * keeps only the state of a small DFA between calls, so it costs no buffering,
 * and it fails at the first byte that cannot start or continue a well-formed
 * sequence: Autobahn 6.4.x expects the connection to fail in the frame (even
 * the TCP chunk) where the text goes wrong, not at the end of the message.
 * It rejects overlong forms, UTF-16 surrogates (U+D800-U+DFFF) and anything
 * above U+10FFFF; non-characters such as U+FFFE are valid, as RFC 3629 says.
 *
 * The DFA follows Björn Höhrmann's design (bytes → 12 classes, classes ×
 * states → next state), but the tables are built below from RFC 3629's
 * well-formed byte sequences (Table 3-7 of the Unicode standard), so each
 * entry can be checked against the rule it comes from. ASCII runs skip the
 * table, a word at a time once the run is long.
 */

// Byte classes.
const C_ASCII = 0; // 00..7F
const C_80_8F = 1; // continuation, low
const C_90_9F = 2; // continuation, middle
const C_A0_BF = 3; // continuation, high
const C_BAD = 4; // C0, C1, F5..FF: never valid
const C_C2_DF = 5; // lead of 2
const C_E0 = 6; // lead of 3, second byte A0..BF (no overlongs)
const C_E1_EC_EE_EF = 7; // lead of 3, second byte 80..BF
const C_ED = 8; // lead of 3, second byte 80..9F (no surrogates)
const C_F0 = 9; // lead of 4, second byte 90..BF (no overlongs)
const C_F1_F3 = 10; // lead of 4, second byte 80..BF
const C_F4 = 11; // lead of 4, second byte 80..8F (nothing above U+10FFFF)
const CLASSES = 12;

// States. ACCEPT is "between code points"; REJECT is absorbing.
const ACCEPT = 0;
const REJECT = 1;
const NEED1 = 2; // one continuation byte 80..BF to go
const NEED2 = 3; // two to go, next 80..BF
const NEED3 = 4; // three to go, next 80..BF
const AFTER_E0 = 5; // next A0..BF, then one more
const AFTER_ED = 6; // next 80..9F, then one more
const AFTER_F0 = 7; // next 90..BF, then two more
const AFTER_F4 = 8; // next 80..8F, then two more
const STATES = 9;

const byteClass = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  byteClass[b] =
    b < 0x80
      ? C_ASCII
      : b < 0x90
        ? C_80_8F
        : b < 0xa0
          ? C_90_9F
          : b < 0xc0
            ? C_A0_BF
            : b < 0xc2
              ? C_BAD
              : b < 0xe0
                ? C_C2_DF
                : b === 0xe0
                  ? C_E0
                  : b === 0xed
                    ? C_ED
                    : b < 0xf0
                      ? C_E1_EC_EE_EF
                      : b === 0xf0
                        ? C_F0
                        : b < 0xf4
                          ? C_F1_F3
                          : b === 0xf4
                            ? C_F4
                            : C_BAD;
}

/** transition[state * CLASSES + class] → next state; everything unlisted rejects. */
const transition = new Uint8Array(STATES * CLASSES).fill(REJECT);
function on(state: number, classes: readonly number[], next: number): void {
  for (const c of classes) transition[state * CLASSES + c] = next;
}
on(ACCEPT, [C_ASCII], ACCEPT);
on(ACCEPT, [C_C2_DF], NEED1);
on(ACCEPT, [C_E0], AFTER_E0);
on(ACCEPT, [C_E1_EC_EE_EF], NEED2);
on(ACCEPT, [C_ED], AFTER_ED);
on(ACCEPT, [C_F0], AFTER_F0);
on(ACCEPT, [C_F1_F3], NEED3);
on(ACCEPT, [C_F4], AFTER_F4);
const ANY_CONT = [C_80_8F, C_90_9F, C_A0_BF];
on(NEED1, ANY_CONT, ACCEPT);
on(NEED2, ANY_CONT, NEED1);
on(NEED3, ANY_CONT, NEED2);
on(AFTER_E0, [C_A0_BF], NEED1);
on(AFTER_ED, [C_80_8F, C_90_9F], NEED1);
on(AFTER_F0, [C_90_9F, C_A0_BF], NEED2);
on(AFTER_F4, [C_80_8F], NEED2);

/**
 * The two tables folded into one, `next[state * 256 + byte]`, so the hot loop
 * does a single lookup per byte (2.3 KiB).
 */
const next = new Uint8Array(STATES * 256);
for (let state = 0; state < STATES; state++) {
  for (let b = 0; b < 256; b++) {
    next[state * 256 + b] = transition[state * CLASSES + (byteClass[b] as number)] as number;
  }
}

/** ASCII runs at least this long are checked a word at a time. */
const WORD_RUN = 64;

/**
 * Advances the DFA from `state` over `bytes[from..to)`. Returns the new state,
 * or `-1 - i` if byte `i` is the first invalid one (so a result < 0 is a
 * failure and `-1 - result` its index).
 */
function run(bytes: Uint8Array, from: number, to: number, state: number): number {
  let s = state;
  let i = from;
  while (i < to) {
    const b = bytes[i] as number;
    if (s === ACCEPT && b < 0x80) {
      // ASCII fast path.
      i++;
      if (to - i >= WORD_RUN) i = skipAsciiWords(bytes, i, to);
      while (i < to && (bytes[i] as number) < 0x80) i++;
      continue;
    }
    s = next[(s << 8) | b] as number;
    if (s === REJECT) return -1 - i;
    i++;
  }
  return s;
}

/** Index of the first byte at or after `from` in a word containing a non-ASCII byte. */
function skipAsciiWords(bytes: Uint8Array, from: number, to: number): number {
  let i = from;
  // Align to a 4-byte address.
  while (i < to && ((bytes.byteOffset + i) & 3) !== 0) {
    if ((bytes[i] as number) >= 0x80) return i;
    i++;
  }
  const words = (to - i) >>> 2;
  if (words === 0) return i;
  const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
  let w = 0;
  const unrolled = words & ~3;
  for (; w < unrolled; w += 4) {
    if (
      (((view[w] as number) |
        (view[w + 1] as number) |
        (view[w + 2] as number) |
        (view[w + 3] as number)) &
        0x80808080) !==
      0
    )
      break;
  }
  for (; w < words; w++) {
    if (((view[w] as number) & 0x80808080) !== 0) break;
  }
  return i + w * 4;
}

/**
 * Validates UTF-8 fed in pieces. `push` returns `true` while everything fed so
 * far is a valid prefix of UTF-8; on the first invalid byte it returns `false`
 * and remembers where (`errorOffset` in that chunk, `errorIndex` overall),
 * and every later `push` returns `false` too. `end()` says whether the input
 * is complete: valid and not stopped inside a code point.
 *
 * @example
 * const v = new Utf8Validator();
 * v.push(new Uint8Array([0xe2, 0x82])); // true, but v.incomplete
 * v.push(new Uint8Array([0xac]));       // true: U+20AC
 * v.end();                              // true
 */
export class Utf8Validator {
  private state = ACCEPT;
  private fed = 0;
  /** Index of the first invalid byte within the chunk that contained it, or -1. */
  errorOffset = -1;
  /** Index of the first invalid byte counted from the first byte ever fed, or -1. */
  errorIndex = -1;

  /** Feeds `bytes`; `false` once any byte so far is invalid. */
  push(bytes: Uint8Array): boolean {
    if (this.state === REJECT) return false;
    const s = run(bytes, 0, bytes.length, this.state);
    if (s < 0) {
      this.state = REJECT;
      this.errorOffset = -1 - s;
      this.errorIndex = this.fed + this.errorOffset;
      return false;
    }
    this.state = s;
    this.fed += bytes.length;
    return true;
  }

  /** Whether every byte so far was valid. */
  get valid(): boolean {
    return this.state !== REJECT;
  }

  /** Whether the valid input so far stops inside a multi-byte sequence. */
  get incomplete(): boolean {
    return this.state !== ACCEPT && this.state !== REJECT;
  }

  /** Whether the input fed so far is complete, valid UTF-8. Does not reset. */
  end(): boolean {
    return this.state === ACCEPT;
  }

  /** Forgets everything, ready for the next message. */
  reset(): void {
    this.state = ACCEPT;
    this.fed = 0;
    this.errorOffset = -1;
    this.errorIndex = -1;
  }
}

/** Whether `bytes` is complete, valid UTF-8 (one-shot `Utf8Validator`). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return run(bytes, 0, bytes.length, ACCEPT) === ACCEPT;
}
