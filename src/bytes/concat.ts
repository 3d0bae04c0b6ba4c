/** One new buffer holding `parts` end to end (a deliberate copy). */
export function concat(
  parts: readonly Uint8Array[],
  totalLength?: number,
): Uint8Array<ArrayBuffer> {
  let length = totalLength;
  if (length === undefined) {
    length = 0;
    for (const part of parts) length += part.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    if (at >= length) break;
    const room = length - at;
    out.set(part.length <= room ? part : part.subarray(0, room), at);
    at += part.length;
  }
  return out;
}

/** Whether `a` and `b` hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
