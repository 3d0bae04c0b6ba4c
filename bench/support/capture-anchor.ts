/**
 * The in-process capture anchor: what netrx's session does per event at its
 * cheapest, as raw copies. netrx writes, per event, a NET_EVENT_DATA_HEADER
 * (8 bytes), the EventRecord's fixed part (96 bytes) and the user data
 * (`payload` bytes, 128 in the benches) into 64 KiB EVENT_BUFFERs, so the
 * anchor copies a whole item of that size per event, not only the payload
 * (it used to copy 128 of the 232 bytes, flattering the anchor's share of
 * the work and so understating netrx's ratio).
 */
export const EVENT_HEADER_BYTES = 8;
export const EVENT_RECORD_FIXED_BYTES = 96;
export const ANCHOR_BUFFER_BYTES = 65_536;
/** Room a session keeps at a buffer's end for its NET_EVENT_LOST item (header + count). */
const LOST_ITEM_BYTES = 12;

/** Bytes one event takes in an EVENT_BUFFER with `payload` bytes of user data. */
export function itemBytes(payload: number): number {
  return EVENT_HEADER_BYTES + EVENT_RECORD_FIXED_BYTES + payload;
}

/** Copies `n` items of `itemBytes(payload)` into fresh 64 KiB buffers; returns the bytes copied. */
export function copyItems(n: number, payload: number): number {
  const size = itemBytes(payload);
  const item = new Uint8Array(size).fill(0x5a);
  let buffer = new Uint8Array(ANCHOR_BUFFER_BYTES);
  let at = 0;
  let copied = 0;
  for (let i = 0; i < n; i++) {
    if (at + size > buffer.length - LOST_ITEM_BYTES) {
      buffer = new Uint8Array(ANCHOR_BUFFER_BYTES);
      at = 0;
    }
    buffer.set(item, at);
    at += size;
    copied += size;
  }
  return copied;
}
