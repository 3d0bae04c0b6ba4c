/**
 * The one empty byte array the WebSocket codec and engine share (empty
 * payloads, "nothing pending" sentinels). Frozen: it has no bytes to change,
 * and nothing may hang properties on an object every connection points at.
 */
export const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0));
