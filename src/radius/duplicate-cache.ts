/**
 * The duplicate-request cache of RFC 5080 §2.2.2: a request is the same as
 * an earlier one when it comes from the same address (in its canonical
 * spelling, nas-address.ts, whichever socket received it) and port with the
 * same Identifier and Request Authenticator; within the window it gets the cached
 * response byte for byte, and is not processed again. Bounded: the oldest
 * entry goes first when the cache is full; expiry is checked lazily on the
 * injected clock (no timers).
 */
import { canonicalAddress } from './nas-address.js';
import type { RadiusEndpoint } from './server-options.js';

interface Entry {
  readonly at: number;
  /** Undefined while the request is still being processed. */
  response: Uint8Array | undefined;
}

/**
 * Bytes as a string of UTF-16 units: the length, then two octets each (an
 * odd last octet on its own). A Map key, never shown: distinct byte strings
 * give distinct keys.
 */
export function packedKey(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n === 16) {
    const b = bytes;
    const u = (i: number) => ((b[i] as number) << 8) | (b[i + 1] as number);
    return String.fromCharCode(16, u(0), u(2), u(4), u(6), u(8), u(10), u(12), u(14));
  }
  let out = String.fromCharCode(n);
  for (let i = 0; i < n; i += 2) {
    out += String.fromCharCode(
      i + 1 < n ? ((bytes[i] as number) << 8) | (bytes[i + 1] as number) : (bytes[i] as number),
    );
  }
  return out;
}

export class DuplicateCache {
  private readonly entries = new Map<string, Entry>();
  /** Nothing expires before this (the oldest entry's expiry): no sweep is needed until then. */
  private nextSweep = Number.NEGATIVE_INFINITY;
  evicted = 0;

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  static key(from: RadiusEndpoint, identifier: number, authenticator: Uint8Array): string {
    // The NAS's canonical address: a dual-stack socket spells an IPv4 NAS
    // `::ffff:10.0.0.1`, an IPv4 socket `10.0.0.1`; one request reaching this
    // server over both is one request (issue 16). The Identifier and
    // Authenticator packed two octets to a UTF-16 unit: one flat string,
    // cheaper to build and hash than hex (bench/eap profile).
    return `${canonicalAddress(from.address)}|${from.port}|${String.fromCharCode(identifier)}${packedKey(authenticator)}`;
  }

  /** The entry for `key` if it is still fresh. */
  lookup(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.at > this.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Marks `key` as in progress. */
  begin(key: string, now: number): void {
    this.sweep(now);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evicted++;
    }
    this.entries.set(key, { at: now, response: undefined });
  }

  /** Records the response sent for `key` (kept only if the entry is still there). */
  complete(key: string, response: Uint8Array): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) entry.response = response;
  }

  /** Forgets a request dropped before it was answered, so that the NAS's retransmit is processed. */
  abandon(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.response === undefined) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries are in insertion order, so expired ones are at the front. */
  private sweep(now: number): void {
    if (now < this.nextSweep && this.entries.size > 0) return;
    for (const [key, entry] of this.entries) {
      if (now - entry.at <= this.windowMs) {
        this.nextSweep = entry.at + this.windowMs;
        return;
      }
      this.entries.delete(key);
    }
    this.nextSweep = Number.NEGATIVE_INFINITY;
  }
}
