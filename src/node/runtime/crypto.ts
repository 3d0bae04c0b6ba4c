import { createHash, createHmac, randomFillSync } from 'node:crypto';
import type { Crypto, DigestAlgorithm } from '../../runtime/index.js';
import { hmacMd5, md5Digest } from './md5.js';
import { createRandomPool } from './random-pool.js';
import { sha1Digest } from './sha1.js';

/**
 * Inputs up to this many bytes are digested by the plain-TypeScript MD5
 * (./md5.ts): below it the cost of a node:crypto Hash/Hmac object dominates.
 */
const SHORT_MD5 = 16 * 1024;
/** Inputs up to this many bytes are SHA-1-digested in TypeScript (./sha1.ts), as for MD5. */
const SHORT_SHA1 = 4 * 1024;
/** Requests up to this many random bytes are served from the pool. */
const SHORT_RANDOM = 256;
const POOL_SIZE = 8 * 1024;

const pool = createRandomPool((block) => randomFillSync(block), POOL_SIZE);

function totalLength(data: readonly Uint8Array[]): number {
  let n = 0;
  for (const part of data) n += part.length;
  return n;
}

/** Crypto for cores, backed by node:crypto (OpenSSL), with short MD5 work in TypeScript. */
export const nodeCrypto: Crypto = {
  randomBytes(length: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(length);
    if (length <= SHORT_RANDOM) pool.draw(out);
    else randomFillSync(out);
    return out;
  },
  fillRandom(into: Uint8Array): void {
    if (into.length <= SHORT_RANDOM) pool.draw(into);
    else randomFillSync(into);
  },
  digest(algorithm: DigestAlgorithm, ...data: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
    if (algorithm === 'md5' && totalLength(data) <= SHORT_MD5) return md5Digest(data);
    if (algorithm === 'sha1' && totalLength(data) <= SHORT_SHA1) return sha1Digest(data);
    const hash = createHash(algorithm);
    for (const part of data) hash.update(part);
    return toPlain(hash.digest());
  },
  hmac(
    algorithm: DigestAlgorithm,
    key: Uint8Array,
    ...data: readonly Uint8Array[]
  ): Uint8Array<ArrayBuffer> {
    if (algorithm === 'md5' && totalLength(data) <= SHORT_MD5) return hmacMd5(key, data);
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
