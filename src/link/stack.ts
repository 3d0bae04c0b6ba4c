/**
 * `createStack`: ARP, IPv4, IPv6 and UDP sockets bound on one adapter, the
 * entry point the VXLAN host and `netrx link vxlan` call. It opens the
 * bindings (each an NDIS protocol with its own EtherType list and packet
 * filter), wires UDP sockets to both IP layers, adds the configured
 * addresses (ARP announces IPv4 ones; IPv6 ones run DAD), and closes all of
 * it, timers included, in `close()`.
 *
 * A stack belongs to one segment of the adapter: untagged traffic, or the
 * 802.1Q VLAN `vlan`. Its bindings see only that segment's frames and tag
 * everything they send (ARP, ND, DAD, echo replies, ICMP errors, UDP) the
 * same way, so several stacks, one per VLAN, can share a trunk adapter.
 * Their bindings are named with the VLAN (`arp.v10`, `ipv4.v10`, ...).
 */
import { NetrxError, type Clock, type Crypto } from '../runtime/index.js';
import type { TraceProvider, TraceRegistry } from '../trace/index.js';
import { parseIpv4Address, parseIpv6Address } from '../wire/index.js';
import type { Adapter } from './adapter.js';
import { ArpBinding, type ArpStats } from './arp-binding.js';
import { hopLimitOption } from './binding-base.js';
import { openCaptureTap, type CaptureListener, type CaptureTap } from './capture-tap.js';
import { LINK_PROVIDER } from './events.js';
import { checkVlan, UNTAGGED } from './link-header.js';
import { Ipv4Binding, type Ipv4Limits, type Ipv4Stats } from './ipv4-binding.js';
import { Ipv6Binding, type Ipv6Limits, type Ipv6Stats } from './ipv6-binding.js';
import type { NeighborCacheLimits } from './neighbor-cache.js';
import type { RouteInfo } from './routes.js';
import { UdpSockets, type UdpBindOptions, type UdpSocket } from './udp-socket.js';

export interface StackAddress {
  readonly address: string;
  readonly prefixLength: number;
}

export interface StackRoute {
  /** Address/prefix length, IPv4 or IPv6. */
  readonly destination: string;
  /** The gateway: an address on an own subnet (IPv6: often the router's link-local address). */
  readonly via: string;
}

export interface StackLimits {
  /** ARP cache (default 512 entries, 4 queued frames per pending entry). */
  readonly arp?: NeighborCacheLimits;
  /** IPv6 neighbour cache (same defaults). */
  readonly nd?: NeighborCacheLimits;
  readonly ipv4?: Ipv4Limits;
  readonly ipv6?: Ipv6Limits;
  /** Datagrams queued per UDP socket with no receive posted. Default 256. */
  readonly udpQueue?: number;
}

export interface StackOptions {
  readonly adapter: Adapter;
  readonly clock: Clock;
  readonly trace?: TraceRegistry;
  readonly ipv4?: readonly StackAddress[];
  readonly ipv6?: readonly StackAddress[];
  /** Configure the EUI-64 link-local IPv6 address. Default true. */
  readonly ipv6LinkLocal?: boolean;
  /** The 802.1Q VLAN id (1..4094) the stack lives on; absent: untagged traffic. */
  readonly vlan?: number;
  /** Default gateways (routes for 0.0.0.0/0 and ::/0). */
  readonly gateway?: { readonly ipv4?: string; readonly ipv6?: string };
  /** Routes through gateways, `destination` as address/prefix: `10.9.0.0/16`, `fd99::/48`. */
  readonly routes?: readonly StackRoute[];
  readonly limits?: StackLimits;
  /**
   * Randomness: IPv4 and IPv6 fragment Identification values (RFC 7739)
   * and MLD's answer delays. Absent: `globalThis.crypto.getRandomValues`
   * for the Identification values (a host without it is refused,
   * ERR_LINK_NO_RANDOMNESS), and a generator seeded from the MAC for the
   * delays, which need no secrecy (see Ipv6BindingOptions).
   */
  readonly crypto?: Crypto;
}

export interface StackStats {
  readonly arp: ArpStats;
  readonly ipv4: Ipv4Stats;
  readonly ipv6: Ipv6Stats;
  readonly udp: {
    readonly sockets: number;
    readonly noSocket: number;
    readonly queueDrops: number;
  };
}

export interface Stack {
  readonly adapter: Adapter;
  /** The VLAN id the stack lives on, or -1 for untagged traffic. */
  readonly vlan: number;
  readonly arp: ArpBinding;
  readonly ipv4: Ipv4Binding;
  readonly ipv6: Ipv6Binding;
  readonly udp: { bind(options?: UdpBindOptions): UdpSocket; readonly sockets: UdpSockets };
  addIpv4(address: string, prefixLength: number): void;
  addIpv6(address: string, prefixLength: number): void;
  /** Routes `destination` (address/prefix) through `via`; `0.0.0.0/0` or `::/0` sets a default gateway. */
  addRoute(destination: string, via: string): void;
  /** Removes the route for `destination` (address/prefix); false if there was none. */
  removeRoute(destination: string): boolean;
  /** The routes of both families, longest prefix first. */
  routes(): { readonly ipv4: RouteInfo[]; readonly ipv6: RouteInfo[] };
  /** A capture tap on the adapter: every frame in and out. */
  capture(listener: CaptureListener): CaptureTap;
  stats(): StackStats;
  /** Closes sockets (their receives complete disconnected), bindings and timers; idempotent. */
  close(): void;
}

/** Binds the whole stack on `adapter`; see the file comment. */
export function createStack(options: StackOptions): Stack {
  const { adapter, clock } = options;
  const limits = options.limits ?? {};
  const trace: TraceProvider | undefined = options.trace?.register(LINK_PROVIDER);
  const vlan = checkVlan(options.vlan);
  // Checked before any binding opens, so a bad setting leaves the adapter as it was.
  hopLimitOption('limits.ipv4.timeToLive', limits.ipv4?.timeToLive);
  hopLimitOption('limits.ipv6.hopLimit', limits.ipv6?.hopLimit);
  const segment = vlan === UNTAGGED ? {} : { vlan };
  const named = (name: string) => (vlan === UNTAGGED ? {} : { name: `${name}.v${vlan}` });
  const sockets = new UdpSockets({
    clock,
    ...(limits.udpQueue === undefined ? {} : { maxQueued: limits.udpQueue }),
  });
  const arp = new ArpBinding({
    adapter,
    clock,
    ...segment,
    ...named('arp'),
    ...(trace && { trace }),
    ...(limits.arp && { limits: limits.arp }),
  });
  const ipv4 = new Ipv4Binding({
    adapter,
    clock,
    ...segment,
    ...named('ipv4'),
    arp,
    udp: sockets,
    ...(trace && { trace }),
    ...(limits.ipv4 && { limits: limits.ipv4 }),
    ...(options.crypto && { crypto: options.crypto }),
  });
  const ipv6 = new Ipv6Binding({
    adapter,
    clock,
    ...segment,
    ...named('ipv6'),
    udp: sockets,
    linkLocal: options.ipv6LinkLocal ?? true,
    ...(trace && { trace }),
    ...(limits.nd && { neighborLimits: limits.nd }),
    ...(limits.ipv6 && { limits: limits.ipv6 }),
    ...(options.crypto && { crypto: options.crypto }),
  });
  sockets.transport = {
    sendUdp4: (source, sourcePort, destination, destinationPort, data) =>
      ipv4.sendUdp(source, sourcePort, destination, destinationPort, data),
    sendUdp6: (source, sourcePort, destination, destinationPort, data) =>
      ipv6.sendUdp(source, sourcePort, destination, destinationPort, data),
  };
  const taps: CaptureTap[] = [];
  let closed = false;
  const checkOpen = () => {
    if (closed) throw new NetrxError('ERR_LINK_STACK_CLOSED', 'The stack is closed');
  };
  const stack: Stack = {
    adapter,
    vlan,
    arp,
    ipv4,
    ipv6,
    udp: {
      bind: (bindOptions) => {
        checkOpen();
        return sockets.bind(bindOptions);
      },
      sockets,
    },
    addIpv4(address, prefixLength) {
      checkOpen();
      const parsed = parseIpv4Address(address);
      if (parsed === undefined)
        throw new TypeError(`Not an IPv4 address: ${JSON.stringify(address)}`);
      ipv4.addAddress(parsed, prefixLength);
    },
    addIpv6(address, prefixLength) {
      checkOpen();
      const parsed = parseIpv6Address(address);
      if (parsed === undefined)
        throw new TypeError(`Not an IPv6 address: ${JSON.stringify(address)}`);
      ipv6.addAddress(parsed, prefixLength);
    },
    addRoute(destination, via) {
      checkOpen();
      const prefix = parsePrefix(destination);
      if (prefix.family === 4) {
        const gateway = parseIpv4Address(via);
        if (gateway === undefined)
          throw new TypeError(`Not an IPv4 gateway: ${JSON.stringify(via)}`);
        ipv4.routes.add(prefix.address, prefix.prefixLength, gateway);
      } else {
        const gateway = parseIpv6Address(via);
        if (gateway === undefined)
          throw new TypeError(`Not an IPv6 gateway: ${JSON.stringify(via)}`);
        ipv6.routes.add(prefix.address, prefix.prefixLength, gateway);
      }
    },
    removeRoute(destination) {
      const prefix = parsePrefix(destination);
      return prefix.family === 4
        ? ipv4.routes.remove(prefix.address, prefix.prefixLength)
        : ipv6.routes.remove(prefix.address, prefix.prefixLength);
    },
    routes: () => ({ ipv4: ipv4.routes.list(), ipv6: ipv6.routes.list() }),
    capture(listener) {
      const tap = openCaptureTap(adapter, listener);
      taps.push(tap);
      return tap;
    },
    stats: () => ({
      arp: arp.stats(),
      ipv4: ipv4.stats(),
      ipv6: ipv6.stats(),
      udp: { sockets: sockets.size, noSocket: sockets.noSocket, queueDrops: sockets.queueDrops },
    }),
    close() {
      if (closed) return;
      closed = true;
      sockets.closeAll();
      for (const tap of taps) tap.close();
      ipv6.close();
      ipv4.close();
      arp.close();
    },
  };
  for (const entry of options.ipv4 ?? []) stack.addIpv4(entry.address, entry.prefixLength);
  for (const entry of options.ipv6 ?? []) stack.addIpv6(entry.address, entry.prefixLength);
  if (options.gateway?.ipv4 !== undefined) stack.addRoute('0.0.0.0/0', options.gateway.ipv4);
  if (options.gateway?.ipv6 !== undefined) stack.addRoute('::/0', options.gateway.ipv6);
  for (const route of options.routes ?? []) stack.addRoute(route.destination, route.via);
  return stack;
}

type Prefix =
  | { readonly family: 4; readonly address: number; readonly prefixLength: number }
  | { readonly family: 6; readonly address: Uint8Array; readonly prefixLength: number };

/** `address/prefixLength` text, IPv4 or IPv6; TypeError/RangeError when it is not one. */
function parsePrefix(text: string): Prefix {
  const slash = text.lastIndexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? undefined : text.slice(slash + 1);
  const six = addressText.includes(':');
  const prefixLength = lengthText === undefined ? (six ? 128 : 32) : Number(lengthText);
  if (lengthText !== undefined && !/^[0-9]{1,3}$/.test(lengthText)) {
    throw new RangeError(`Not a prefix length: ${JSON.stringify(text)}`);
  }
  if (six) {
    const address = parseIpv6Address(addressText);
    if (address === undefined) throw new TypeError(`Not an IPv6 prefix: ${JSON.stringify(text)}`);
    return { family: 6, address, prefixLength };
  }
  const address = parseIpv4Address(addressText);
  if (address === undefined) throw new TypeError(`Not an IPv4 prefix: ${JSON.stringify(text)}`);
  return { family: 4, address, prefixLength };
}
