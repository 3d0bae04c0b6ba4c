/**
 * The IPv4 binding's own addresses (RFC 1122 §3.3.1, §3.2.1.3): each with
 * its prefix length, mask and subnet broadcast (none below /31, RFC 3021),
 * replaced, never mutated, so a reader may keep the array it got. It
 * answers the questions the receive and send paths ask: what a destination
 * is to us (ours, a broadcast of ours, not ours), whether a source is one
 * of our own (a loop or a spoof, never answered), and which own address
 * shares a subnet with an address (on-link).
 */
import { BROADCAST, NOT_OURS, UNICAST } from './ipv4-icmp.js';

export interface Ipv4OwnAddress {
  readonly address: number;
  readonly prefixLength: number;
  readonly mask: number;
  readonly broadcast: number;
}

/** See the file comment. */
export class Ipv4OwnAddresses {
  list: readonly Ipv4OwnAddress[] = [];

  /** Adds (or replaces) `address`/`prefixLength`; RangeError for a bad prefix length. */
  add(address: number, prefixLength: number): number {
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
      throw new RangeError(`An IPv4 prefix length is an integer from 0 to 32: got ${prefixLength}`);
    }
    const ip = address >>> 0;
    const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    const broadcast = prefixLength >= 31 ? 0xffffffff : ((ip & mask) | ~mask) >>> 0;
    this.list = [
      ...this.list.filter((a) => a.address !== ip),
      { address: ip, prefixLength, mask, broadcast },
    ];
    return ip;
  }

  /** Whether `address` was an own address (it is not any more). */
  remove(address: number): boolean {
    const ip = address >>> 0;
    const before = this.list.length;
    this.list = this.list.filter((a) => a.address !== ip);
    return this.list.length !== before;
  }

  /** UNICAST (an own address), BROADCAST (255.255.255.255 or an own subnet's) or NOT_OURS. */
  classify(destination: number): number {
    if (destination === 0xffffffff) return BROADCAST;
    const addresses = this.list;
    for (let i = 0; i < addresses.length; i++) {
      const own = addresses[i] as Ipv4OwnAddress;
      if (destination === own.address) return UNICAST;
      if (destination === own.broadcast) return BROADCAST;
    }
    return NOT_OURS;
  }

  /** An own address or own subnet broadcast as a source: a loop or a spoof, never answered. */
  isOwnSource(address: number): boolean {
    for (const own of this.list) {
      if (address === own.address) return true;
      if (address === own.broadcast && own.prefixLength < 31) return true;
    }
    return false;
  }

  /** The own address whose subnet holds `address`, or undefined when it is not on-link. */
  onLinkSource(address: number): number | undefined {
    for (const own of this.list) {
      if ((address & own.mask) >>> 0 === (own.address & own.mask) >>> 0) return own.address;
    }
    return undefined;
  }

  /** The own address that broadcasts to `address` on its subnet, if any. */
  broadcastSource(address: number): number | undefined {
    for (const own of this.list) if (address === own.broadcast) return own.address;
    return undefined;
  }
}
