/**
 * The IPv6 binding's own addresses (RFC 4862 §5.4): each starts TENTATIVE,
 * joins its solicited-node group (the binding's multicast list, RFC 2464 §7
 * MAC, reported through MLD) and sends `dadTransmits` Neighbor
 * Solicitations from `::`, one per `retransmitMs`; if nobody objects it
 * becomes PREFERRED. An NA for it, or an NS from `::` for it (another node's
 * DAD), makes it FAILED (counted as `dadFailures`, traced as `duplicate`)
 * and leaves its group unless another address shares it. RFC 4862's random
 * delay before the first probe is left out.
 */
import type { Clock } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import {
  formatIpv6Address,
  ipv6MulticastMac,
  isIpv6Multicast,
  isIpv6Unspecified,
  solicitedNodeMulticast,
} from '../wire/index.js';
import { traceAddress } from './binding-events.js';
import {
  equalAt,
  joinedGroups,
  type Ipv6AddressState,
  type Ipv6OwnAddress,
} from './ipv6-address.js';
import type { Ipv6Counters, Ipv6Host } from './ipv6-host.js';
import type { MldListener } from './ipv6-mld.js';
import { sendDadProbe } from './ipv6-nd.js';

export interface OwnAddressesOptions {
  readonly host: Ipv6Host;
  readonly clock: Clock;
  readonly trace: TraceProvider | undefined;
  readonly counters: Ipv6Counters;
  readonly dadTransmits: number;
  readonly retransmitMs: number;
  /** Absent when MLD is off. */
  readonly mld: MldListener | undefined;
  addMulticast(mac: Uint8Array): void;
  removeMulticast(mac: Uint8Array): void;
}

/** See the file comment. */
export class Ipv6OwnAddresses {
  /** Replaced, never mutated, so a reader may keep the array it got. */
  list: readonly Ipv6OwnAddress[] = [];
  private closed = false;

  constructor(private readonly options: OwnAddressesOptions) {}

  /** Adds an own address; it is TENTATIVE until DAD finishes (at once with `dadTransmits: 0`). */
  add(address: Uint8Array, prefixLength: number): void {
    if (address.length !== 16)
      throw new TypeError(`An IPv6 address has 16 bytes: got ${address.length}`);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 128) {
      throw new RangeError(
        `An IPv6 prefix length is an integer from 0 to 128: got ${prefixLength}`,
      );
    }
    if (isIpv6Multicast(address) || isIpv6Unspecified(address)) {
      throw new TypeError(`Not a unicast IPv6 address: ${formatIpv6Address(address)}`);
    }
    this.remove(address);
    const own: Ipv6OwnAddress = {
      address: Uint8Array.from(address),
      prefixLength,
      group: solicitedNodeMulticast(address),
      state: 'tentative',
      dadSent: 0,
      timer: undefined,
    };
    const joined = joinedGroups(this.list).some((group) => equalAt(group, 0, own.group));
    this.list = [...this.list, own];
    this.options.addMulticast(ipv6MulticastMac(own.group));
    if (!joined) this.options.mld?.joined(own.group);
    if (this.options.dadTransmits === 0) {
      this.setState(own, 'preferred');
      return;
    }
    this.trace(own, 'tentative');
    this.dadStep(own);
  }

  remove(address: Uint8Array): boolean {
    const own = this.list.find((a) => equalAt(a.address, 0, address));
    if (own === undefined) return false;
    own.timer?.cancel();
    this.list = this.list.filter((a) => a !== own);
    this.leaveGroup(own);
    this.trace(own, 'removed');
    return true;
  }

  /** DAD found a duplicate of `own`. */
  failed(own: Ipv6OwnAddress): void {
    own.timer?.cancel();
    own.timer = undefined;
    this.options.counters.dadFailures++;
    own.state = 'failed';
    this.leaveGroup(own);
    this.trace(own, 'duplicate');
  }

  /** Cancels the DAD timers; idempotent. */
  close(): void {
    this.closed = true;
    for (const own of this.list) own.timer?.cancel();
  }

  private dadStep(own: Ipv6OwnAddress): void {
    own.timer = undefined;
    if (this.closed || own.state !== 'tentative') return;
    if (own.dadSent >= this.options.dadTransmits) {
      this.options.counters.dadSuccesses++;
      this.setState(own, 'preferred');
      return;
    }
    own.dadSent++;
    sendDadProbe(this.options.host, own);
    own.timer = this.options.clock.setTimer(this.options.retransmitMs, () => this.dadStep(own));
  }

  private setState(own: Ipv6OwnAddress, state: Ipv6AddressState): void {
    own.state = state;
    this.trace(own, state);
  }

  private leaveGroup(own: Ipv6OwnAddress): void {
    const shared = this.list.some(
      (a) => a !== own && a.state !== 'failed' && equalAt(a.group, 0, own.group),
    );
    if (shared) return;
    this.options.removeMulticast(ipv6MulticastMac(own.group));
    if (!this.closed) this.options.mld?.left(own.group);
  }

  private trace(own: Ipv6OwnAddress, change: string): void {
    traceAddress(this.options.trace, 6, formatIpv6Address(own.address), change);
  }
}
