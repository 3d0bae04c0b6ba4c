/** One byte per char code (latin1): chat scripts and logs are byte strings. */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** The inverse of `latin1Bytes`. */
export function latin1Text(bytes: Uint8Array): string {
  // apply() takes the typed array as an array-like (no iterator, unlike a
  // spread); slices of 4096 stay far below the engine's argument limit.
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    const slice = bytes.subarray(i, Math.min(bytes.length, i + 4096));
    text += String.fromCharCode.apply(null, slice as unknown as number[]);
  }
  return text;
}
