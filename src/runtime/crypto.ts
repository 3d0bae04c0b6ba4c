/**
 * Randomness and digests as cores see them: injected, synchronous.
 *
 * Synchronous on purpose: a WebSocket mask or a RADIUS authenticator is needed
 * in the middle of building a frame, and an engine that awaited there could not
 * stay sans-I/O. Node's implementation is in src/node/runtime; a browser build
 * supplies a pure-JS one.
 */
export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256';

export interface Crypto {
  /** Fresh cryptographically strong random bytes. */
  randomBytes(length: number): Uint8Array<ArrayBuffer>;
  /** Fills `into` with cryptographically strong random bytes (no allocation). */
  fillRandom(into: Uint8Array): void;
  /** The digest of the concatenation of `data`. */
  digest(algorithm: DigestAlgorithm, ...data: readonly Uint8Array[]): Uint8Array<ArrayBuffer>;
  /** HMAC (RFC 2104) of the concatenation of `data` under `key`. */
  hmac(
    algorithm: DigestAlgorithm,
    key: Uint8Array,
    ...data: readonly Uint8Array[]
  ): Uint8Array<ArrayBuffer>;
}
