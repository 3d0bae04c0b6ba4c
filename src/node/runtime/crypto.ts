import { createHash, createHmac, randomFillSync } from 'node:crypto';
import type { Crypto, DigestAlgorithm } from '../../runtime/index.js';

/** Crypto for cores, backed by node:crypto (OpenSSL). */
export const nodeCrypto: Crypto = {
  randomBytes(length: number): Uint8Array<ArrayBuffer> {
    return randomFillSync(new Uint8Array(length));
  },
  fillRandom(into: Uint8Array): void {
    randomFillSync(into);
  },
  digest(algorithm: DigestAlgorithm, ...data: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
    const hash = createHash(algorithm);
    for (const part of data) hash.update(part);
    return toPlain(hash.digest());
  },
  hmac(
    algorithm: DigestAlgorithm,
    key: Uint8Array,
    ...data: readonly Uint8Array[]
  ): Uint8Array<ArrayBuffer> {
    const mac = createHmac(algorithm, key);
    for (const part of data) mac.update(part);
    return toPlain(mac.digest());
  },
};

// Cores get plain Uint8Arrays, never Buffers: a digest is small, so one copy is cheap.
function toPlain(buffer: Buffer): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(buffer.length);
  out.set(buffer);
  return out;
}
