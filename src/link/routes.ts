/**
 * The stack's routing tables, one per family: routes to prefixes through a
 * gateway (a default route is prefix length 0), chosen by the longest
 * prefix. Destinations on the subnet of an own address are on-link and need
 * no route; the bindings check that first. A gateway must itself be on-link
 * when a datagram is sent through it (else the send drops as `no-route`).
 * Each table is bounded (`maxRoutes`, default 64); adding past it throws
 * `ERR_LINK_ROUTE_TABLE_FULL`. Adding a route for a prefix that has one
 * replaces it.
 */
import { NetrxError, positiveInteger } from '../runtime/index.js';
import { formatIpv4Address, formatIpv6Address } from '../wire/index.js';
import { prefixMatches } from './ipv6-address.js';

/** A route as `routes()` lists it. */
export interface RouteInfo {
  readonly destination: string;
  readonly prefixLength: number;
  readonly via: string;
}

function checkPrefixLength(prefixLength: number, bits: number): void {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) {
    throw new RangeError(`A prefix length is an integer from 0 to ${bits}: got ${prefixLength}`);
  }
}

function tableFull(maxRoutes: number): NetrxError {
  return new NetrxError(
    'ERR_LINK_ROUTE_TABLE_FULL',
    `Cannot add a route: the table holds ${maxRoutes} routes already`,
  );
}

interface Route4 {
  readonly network: number;
  readonly prefixLength: number;
  readonly mask: number;
  readonly via: number;
}

/** IPv4 routes; addresses are uint32. */
export class Ipv4Routes {
  readonly maxRoutes: number;
  private routes: Route4[] = [];

  constructor(maxRoutes?: number) {
    this.maxRoutes = positiveInteger('maxRoutes', maxRoutes, 64);
  }

  /** Routes `destination/prefixLength` through `via`; 0.0.0.0/0 is the default gateway. */
  add(destination: number, prefixLength: number, via: number): void {
    checkPrefixLength(prefixLength, 32);
    const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    const network = (destination & mask) >>> 0;
    const rest = this.routes.filter(
      (r) => r.network !== network || r.prefixLength !== prefixLength,
    );
    if (rest.length >= this.maxRoutes) throw tableFull(this.maxRoutes);
    // Longest prefix first, so lookup takes the first match.
    this.routes = [...rest, { network, prefixLength, mask, via: via >>> 0 }].sort(
      (a, b) => b.prefixLength - a.prefixLength,
    );
  }

  remove(destination: number, prefixLength: number): boolean {
    const before = this.routes.length;
    this.routes = this.routes.filter(
      (r) => r.prefixLength !== prefixLength || r.network !== (destination & r.mask) >>> 0,
    );
    return this.routes.length !== before;
  }

  /** The gateway for `destination` (longest prefix), or undefined. */
  gatewayFor(destination: number): number | undefined {
    for (const route of this.routes) {
      if ((destination & route.mask) >>> 0 === route.network) return route.via;
    }
    return undefined;
  }

  list(): RouteInfo[] {
    return this.routes.map((r) => ({
      destination: formatIpv4Address(r.network),
      prefixLength: r.prefixLength,
      via: formatIpv4Address(r.via),
    }));
  }
}

interface Route6 {
  readonly network: Uint8Array;
  readonly prefixLength: number;
  readonly via: Uint8Array;
}

function maskedCopy(address: Uint8Array, prefixLength: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - 8 * i));
    out[i] = (address[i] as number) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** IPv6 routes; addresses are 16 bytes. */
export class Ipv6Routes {
  readonly maxRoutes: number;
  private routes: Route6[] = [];

  constructor(maxRoutes?: number) {
    this.maxRoutes = positiveInteger('maxRoutes', maxRoutes, 64);
  }

  /** Routes `destination/prefixLength` through `via` (often a link-local router address); ::/0 is the default. */
  add(destination: Uint8Array, prefixLength: number, via: Uint8Array): void {
    checkPrefixLength(prefixLength, 128);
    const network = maskedCopy(destination, prefixLength);
    const rest = this.routes.filter(
      (r) => r.prefixLength !== prefixLength || !prefixMatches(r.network, 0, network, 128),
    );
    if (rest.length >= this.maxRoutes) throw tableFull(this.maxRoutes);
    this.routes = [...rest, { network, prefixLength, via: Uint8Array.from(via) }].sort(
      (a, b) => b.prefixLength - a.prefixLength,
    );
  }

  remove(destination: Uint8Array, prefixLength: number): boolean {
    const network = maskedCopy(destination, prefixLength);
    const before = this.routes.length;
    this.routes = this.routes.filter(
      (r) => r.prefixLength !== prefixLength || !prefixMatches(r.network, 0, network, 128),
    );
    return this.routes.length !== before;
  }

  /** The gateway for `destination` (longest prefix), or undefined. */
  gatewayFor(destination: Uint8Array): Uint8Array | undefined {
    for (const route of this.routes) {
      if (prefixMatches(destination, 0, route.network, route.prefixLength)) return route.via;
    }
    return undefined;
  }

  list(): RouteInfo[] {
    return this.routes.map((r) => ({
      destination: formatIpv6Address(r.network),
      prefixLength: r.prefixLength,
      via: formatIpv6Address(r.via),
    }));
  }
}
