/**
 * netrx/node runtime: the real Clock and Crypto that Node programs hand to
 * netrx's cores. The only place they read time, make randomness or digest.
 */
export { systemClock } from './clock.js';
export { nodeCrypto } from './crypto.js';
export { aes256GcmAead } from './aead.js';
