/**
 * IPv4 Identification values that an off-path host cannot predict
 * (RFC 7739 §5.3, as Linux's `ip_idents` does): a table of counters, one
 * per bucket, each starting at a random value, and a destination picks its
 * bucket through a keyed hash with a random key. A destination sees its
 * own counter advance by one per datagram (so an Identification is not
 * reused for it within 65,536 datagrams, RFC 791 and RFC 6864), and
 * nothing it sees tells it how much was sent to other destinations in
 * other buckets: no global counter to sample for idle scans, and no
 * predictable starting value for a fragment-injection attack.
 *
 * The random numbers come from the injected `Crypto` (the VXLAN host passes
 * Node's); without one, from the host's `globalThis.crypto.getRandomValues`
 * (Node >= 20, Deno, Bun, browsers and workers). Never from the MAC: the MAC
 * is in every frame the stack sends, so a key derived from it is no key
 * (RFC 7739 §5.1). A host with neither is refused (ERR_LINK_NO_RANDOMNESS)
 * rather than given guessable values. One hash and one array update per
 * datagram, no allocation.
 */
import { NetrxError, type Crypto } from '../runtime/index.js';

/** Buckets of counters: a power of two. */
const BUCKETS = 256;

/** See the file comment. */
export class Ipv4Identification {
  private readonly counters = new Uint16Array(BUCKETS);
  private readonly key: number;

  constructor(crypto: Crypto | undefined) {
    const seed = new Uint32Array(BUCKETS / 2 + 1);
    const bytes = new Uint8Array(seed.buffer);
    if (crypto !== undefined) crypto.fillRandom(bytes);
    else hostFillRandom(bytes);
    this.key = (seed[BUCKETS / 2] as number) | 0;
    // Two 16-bit starting values per random 32-bit word.
    new Uint32Array(this.counters.buffer).set(seed.subarray(0, BUCKETS / 2));
  }

  /** The Identification of the next datagram to `destination` (a uint32). */
  next(destination: number): number {
    const bucket = this.bucket(destination);
    const id = ((this.counters[bucket] as number) + 1) & 0xffff;
    this.counters[bucket] = id;
    return id;
  }

  /** The counter `destination` uses (tests show independence across buckets with it). */
  bucket(destination: number): number {
    // A multiply-xorshift mix of the keyed address: the top 8 bits pick one of 256.
    let h = Math.imul(destination ^ this.key, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    return h >>> 24;
  }
}

/** The slice of the Web Crypto API used here (declared locally: cores compile without DOM or Node types). */
interface HostCrypto {
  getRandomValues(array: Uint8Array): Uint8Array;
}

/**
 * Fills `into` from `globalThis.crypto.getRandomValues`, looked up at each
 * call (not at import) so a host that installs it late, or a test that
 * stubs it, is honoured; throws ERR_LINK_NO_RANDOMNESS when it is missing.
 */
export function hostFillRandom(into: Uint8Array): void {
  const host = (globalThis as { crypto?: Partial<HostCrypto> }).crypto;
  if (host === undefined || typeof host.getRandomValues !== 'function') {
    throw new NetrxError(
      'ERR_LINK_NO_RANDOMNESS',
      'IPv4 Identification needs unpredictable random numbers (RFC 7739): pass createStack({ crypto }) on a host without globalThis.crypto.getRandomValues',
    );
  }
  host.getRandomValues(into);
}
