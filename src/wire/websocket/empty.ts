/**
 * The one empty byte array the WebSocket codec and engine share (empty
 * payloads, "nothing pending" sentinels). It has no bytes to change, so it
 * needs no freezing; it is deliberately not frozen, because a frozen typed
 * array has a map of its own and would make the decoder's hot `chunk`
 * accesses see one more shape than the chunks the host lends.
 */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
