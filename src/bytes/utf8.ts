/**
 * UTF-8 encoding of the short strings a RADIUS/EAP exchange writes on every
 * request (user names, passwords, server names): `TextEncoder.encode` crosses
 * into the runtime for each call, 250–500 ns on Node 20 for a five-letter
 * name, and was 10 % of the in-memory EAP bench's CPU. A short ASCII string
 * is copied here in a loop instead (about 50 ns); anything else goes to the
 * TextEncoder, so the bytes are always exactly `TextEncoder.encode`'s.
 */
const encoder = new TextEncoder();

/** Above this many UTF-16 units the TextEncoder's bulk copy wins over the loop. */
const SHORT_TEXT = 64;

/** The UTF-8 bytes of `text`, as `new TextEncoder().encode(text)` gives them. */
export function utf8Bytes(text: string): Uint8Array<ArrayBuffer> {
  const n = text.length;
  if (n > SHORT_TEXT) return encoder.encode(text);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const unit = text.charCodeAt(i);
    // Not ASCII: one unit may be several bytes (or a lone surrogate, U+FFFD).
    if (unit > 0x7f) return encoder.encode(text);
    out[i] = unit;
  }
  return out;
}
