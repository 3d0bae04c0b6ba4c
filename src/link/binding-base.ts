/**
 * What the stack's bindings (ARP, IPv4, IPv6) share: a name, the adapter
 * handle, the segment they belong to (untagged or one VLAN, link-header.ts),
 * drop counters by reason made from the reason list (no hand-written zero
 * tables), and the drop/trace bookkeeping. IPv4 and IPv6 add an ICMP error
 * bucket, send-drop counters and the rules for when an ICMP error may be sent.
 */
import type { Clock } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import type { Adapter, BindingHandle, BindingOptions, Protocol } from './adapter.js';
import { traceDrop } from './binding-events.js';
import type { Indication } from './indication.js';
import { checkVlan, frameSegment, linkHeaderLength } from './link-header.js';
import { Destination } from './packet-filter.js';
import { TokenBucket } from './token-bucket.js';

/** A counter per reason, all zero, in the order of `reasons`. */
export function zeroCounts<R extends string>(reasons: readonly R[]): Record<R, number> {
  const counts = {} as Record<R, number>;
  for (const reason of reasons) counts[reason] = 0;
  return counts;
}

/**
 * A TTL or hop limit setting: an integer 1..255, default 64. 0 would make
 * every datagram die at the first router (and RFC 1122 §3.2.1.7 forbids
 * sending it), and the field holds 8 bits, so 256 would wrap to 0.
 */
export function hopLimitOption(name: string, value: number | undefined): number {
  const result = value ?? 64;
  if (!Number.isInteger(result) || result < 1 || result > 255) {
    throw new RangeError(`${name} must be an integer from 1 to 255: got ${result}`);
  }
  return result;
}

/** What every binding of the stack is given. */
export interface BindingBaseOptions {
  readonly adapter: Adapter;
  readonly trace?: TraceProvider;
  /** The VLAN id (1..4094) this binding belongs to; absent: untagged traffic. */
  readonly vlan?: number;
  readonly name?: string;
}

/** See the file comment. */
export abstract class BindingBase<Drop extends string> implements Protocol {
  readonly name: string;
  /** The VLAN id, or -1 for untagged traffic. */
  readonly vlan: number;
  protected readonly adapter: Adapter;
  protected readonly trace: TraceProvider | undefined;
  /** Bytes of link header this binding writes (14, or 18 with its VLAN tag). */
  protected readonly linkHeader: number;
  protected readonly drops: Record<Drop, number>;
  protected handle!: BindingHandle;

  protected constructor(
    options: BindingBaseOptions,
    defaultName: string,
    dropReasons: readonly Drop[],
  ) {
    this.name = options.name ?? defaultName;
    this.adapter = options.adapter;
    this.trace = options.trace;
    this.vlan = checkVlan(options.vlan);
    this.linkHeader = linkHeaderLength(this.vlan);
    this.drops = zeroCounts(dropReasons);
  }

  abstract receive(ind: Indication): 'accepted' | 'not-accepted';

  /** Opens the binding on the adapter; called by subclasses once their fields exist. */
  protected open(options: Omit<BindingOptions, 'name'>): void {
    this.handle = this.adapter.openBinding(this, { ...options, name: this.name });
  }

  /** Counts and traces a drop. */
  protected drop(reason: Drop, length: number): 'not-accepted' {
    this.drops[reason]++;
    traceDrop(this.trace, this.name, reason, length);
    return 'not-accepted';
  }

  /** Counts, without tracing, traffic that is simply someone else's (another host, another VLAN). */
  protected ignore(reason: Drop): 'not-accepted' {
    this.drops[reason]++;
    return 'not-accepted';
  }

  /** Whether `ind` is on this binding's segment. O(1), no allocation. */
  protected onSegment(ind: Indication): boolean {
    return frameSegment(ind) === this.vlan;
  }
}

/** The ICMP error rate settings IPv4's and IPv6's limits both have. */
export interface IcmpErrorLimits {
  readonly icmpErrorsPerSecond?: number | undefined;
  readonly icmpErrorBurst?: number | undefined;
}

export interface IpBindingBaseOptions extends BindingBaseOptions {
  readonly clock: Clock;
  readonly limits?: IcmpErrorLimits;
}

/** IPv4 and IPv6: BindingBase plus send-drop counters and the ICMP error rules. */
export abstract class IpBindingBase<
  Drop extends string,
  SendDrop extends string,
> extends BindingBase<Drop> {
  protected readonly sendDrops: Record<SendDrop, number>;
  private readonly icmpBucket: TokenBucket;

  protected constructor(
    options: IpBindingBaseOptions,
    defaultName: string,
    dropReasons: readonly Drop[],
    sendDropReasons: readonly SendDrop[],
  ) {
    super(options, defaultName, dropReasons);
    this.sendDrops = zeroCounts(sendDropReasons);
    this.icmpBucket = new TokenBucket(
      options.clock,
      options.limits?.icmpErrorsPerSecond ?? 10,
      options.limits?.icmpErrorBurst ?? 10,
    );
  }

  /** The statistics both IP bindings start with: the name, their `counters`, copies of the drop tables. */
  protected ipStats<Counters extends object>(
    counters: Counters,
  ): { name: string } & Counters & {
      drops: Record<Drop, number>;
      sendDrops: Record<SendDrop, number>;
    } {
    return {
      name: this.name,
      ...counters,
      drops: { ...this.drops },
      sendDrops: { ...this.sendDrops },
    };
  }

  /** Counts and traces a send the IP layer could not make. */
  protected sendDrop(reason: SendDrop): 'dropped' {
    this.sendDrops[reason]++;
    traceDrop(this.trace, this.name, reason, 0);
    return 'dropped';
  }

  /**
   * Whether an ICMP error about `ind` may be sent (RFC 1122 §3.2.2, RFC 4443
   * §2.4 e): never about a frame that came as link broadcast or multicast
   * (the caller checks the IP-level rules: destination, source, fragments,
   * ICMP errors), and at most as fast as the token bucket allows (a refusal
   * is counted under `rateLimited`). `group` allows a frame that came as link
   * multicast or broadcast (ICMPv6's Parameter Problem code 2 exception,
   * RFC 4443 §2.4 e.3-e.5).
   */
  protected mayReportError(ind: Indication, rateLimited: Drop, group = false): boolean {
    const kind = ind.destination;
    if (kind !== Destination.Directed) {
      if (!group || (kind !== Destination.Multicast && kind !== Destination.Broadcast))
        return false;
    }
    if (this.icmpBucket.take()) return true;
    this.drop(rateLimited, ind.packetSize);
    return false;
  }

  /**
   * Whether an ICMP error the binding sends on its own (a reassembly timeout,
   * no frame being indicated) may go out now: the rate limit only; the
   * caller checked the rest when it kept the fragment.
   */
  protected mayReportLater(rateLimited: Drop): boolean {
    if (this.icmpBucket.take()) return true;
    this.drop(rateLimited, 0);
    return false;
  }
}
