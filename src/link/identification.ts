/**
 * Identification values that an off-path host cannot predict (RFC 7739
 * §5.3, as Linux's `ip_idents` does), for IPv4 (16 bits, every datagram)
 * and for the IPv6 Fragment header (32 bits, every fragmented packet): a
 * table of counters, one per bucket, each starting at a random value, and a
 * destination picks its bucket through a keyed hash with a random key. A
 * destination sees its own counter advance by one per datagram (so an
 * Identification is not reused for it within 2^16 or 2^32 datagrams, RFC
 * 791, RFC 6864 and RFC 8200 §4.5), and nothing it sees tells it how much
 * was sent to destinations in other buckets: no global counter to sample
 * for idle scans, and no predictable starting value for a
 * fragment-injection attack.
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

/** Buckets of counters: a power of two (the hash's top 8 bits pick one). */
const BUCKETS = 256;

/**
 * The width-generic part: the counters (a Uint16Array or a Uint32Array, so
 * the array's own wrap-around is the counter's) and the key, drawn in one
 * call: the counters' bytes first, then four bytes of key.
 */
abstract class BucketedIdentification {
  private readonly counters: Uint16Array | Uint32Array;
  /** The hash key (a signed 32-bit word, as Math.imul takes it). */
  protected readonly key: number;

  protected constructor(crypto: Crypto | undefined, bytesPerCounter: 2 | 4, family: string) {
    const random = new Uint8Array(BUCKETS * bytesPerCounter + 4);
    if (crypto !== undefined) crypto.fillRandom(random);
    else hostFillRandom(random, family);
    this.counters =
      bytesPerCounter === 2
        ? new Uint16Array(random.buffer, 0, BUCKETS)
        : new Uint32Array(random.buffer, 0, BUCKETS);
    this.key = new DataView(random.buffer).getInt32(BUCKETS * bytesPerCounter, true);
  }

  /** Advances the counter of `bucket` and returns its new value. */
  protected advance(bucket: number): number {
    const counters = this.counters;
    counters[bucket] = (counters[bucket] as number) + 1;
    return counters[bucket];
  }
}

/** One round of the mix: a word of the address into the running hash. */
function mixWord(hash: number, word: number): number {
  const h = Math.imul(hash ^ word, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** The bucket the mixed hash picks: a last multiply, then its top 8 bits. */
function pickBucket(hash: number): number {
  return Math.imul(hash, 0x85ebca6b) >>> 24;
}

/** IPv4 Identification (16 bits) per destination address; see the file comment. */
export class Ipv4Identification extends BucketedIdentification {
  constructor(crypto: Crypto | undefined) {
    super(crypto, 2, 'IPv4 Identification');
  }

  /** The Identification of the next datagram to `destination` (a uint32). */
  next(destination: number): number {
    return this.advance(this.bucket(destination));
  }

  /** The counter `destination` uses (tests show independence across buckets with it). */
  bucket(destination: number): number {
    return pickBucket(mixWord(this.key, destination));
  }
}

/** IPv6 Fragment header Identification (32 bits) per destination address; see the file comment. */
export class Ipv6Identification extends BucketedIdentification {
  constructor(crypto: Crypto | undefined) {
    super(crypto, 4, 'IPv6 fragment Identification');
  }

  /** The Identification of the next fragmented packet to the address at `address[at..at + 16]`. */
  next(address: Uint8Array, at = 0): number {
    return this.advance(this.bucket(address, at));
  }

  /** The counter the address at `address[at..at + 16]` uses. */
  bucket(address: Uint8Array, at = 0): number {
    let hash = this.key;
    for (let i = at; i < at + 16; i += 4) {
      hash = mixWord(
        hash,
        ((address[i] as number) << 24) |
          ((address[i + 1] as number) << 16) |
          ((address[i + 2] as number) << 8) |
          (address[i + 3] as number),
      );
    }
    return pickBucket(hash);
  }
}

/** The slice of the Web Crypto API used here (declared locally: cores compile without DOM or Node types). */
interface HostCrypto {
  getRandomValues(array: Uint8Array): Uint8Array;
}

/**
 * Fills `into` from `globalThis.crypto.getRandomValues`, looked up at each
 * call (not at import) so a host that installs it late, or a test that
 * stubs it, is honoured; throws ERR_LINK_NO_RANDOMNESS (naming `family`)
 * when it is missing.
 */
export function hostFillRandom(into: Uint8Array, family: string): void {
  const host = (globalThis as { crypto?: Partial<HostCrypto> }).crypto;
  if (host === undefined || typeof host.getRandomValues !== 'function') {
    throw new NetrxError(
      'ERR_LINK_NO_RANDOMNESS',
      `${family} needs unpredictable random numbers (RFC 7739): pass createStack({ crypto }) on a host without globalThis.crypto.getRandomValues`,
    );
  }
  host.getRandomValues(into);
}
