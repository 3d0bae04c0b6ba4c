/**
 * netrx/runtime: what every core receives from its host, and how it fails.
 *
 * Cores never read the clock, make random numbers or compute digests on their
 * own: a `Clock` and a `Crypto` are passed in, so the same engine runs on Node,
 * in a browser or on a virtual clock in a test, and every test is repeatable.
 * The error classes here are the base of every coded error in netrx; codes are
 * stable and listed in docs/errors.md.
 */
export type { AbortSignalLike } from './abort.js';
export type { Clock, Timer } from './clock.js';
export type { Crypto, DigestAlgorithm } from './crypto.js';
export { positiveInteger } from './limits.js';
export {
  NetrxError,
  ProtocolError,
  SeedErrorNumber,
  type NetrxErrorOptions,
  type SeedErrorName,
} from './errors.js';
