import { isIP } from 'node:net';
import { isMulticastMac } from '../../wire/index.js';

/**
 * An address to listen on, checked without DNS: an IPv4 or IPv6 literal, or
 * `localhost` (the one name a listener may be given, resolved from the hosts
 * file). Anything else is undefined: netrx never resolves a name the user did
 * not ask it to resolve, so `999.0.0.1` is refused here instead of failing
 * later with `getaddrinfo ENOTFOUND`.
 */
export function parseListenAddress(text: string): string | undefined {
  return isIP(text) !== 0 || text === 'localhost' ? text : undefined;
}

/** What `parseListenAddress` accepts, for messages. */
export const LISTEN_ADDRESS = 'an IPv4 or IPv6 address or "localhost"';

/**
 * Why a VXLAN tunnel from `bind` to `remote` cannot work, or undefined: a UDP
 * socket of one family cannot send to the other, so an IPv4 `bind` with an
 * IPv6 `remote` would start, print `ready`, and then fail every send.
 */
export function tunnelFamilyProblem(
  bind: { readonly address: string },
  remote: { readonly address: string },
): string | undefined {
  const from = isIP(bind.address);
  const to = isIP(remote.address);
  if (from === to) return undefined;
  return `the bind address ${bind.address} is IPv${from} but the remote ${remote.address} is IPv${to}: a tunnel needs one family at both ends`;
}

/**
 * Why `mac` cannot be a host's own address, or undefined: a multicast (group
 * bit set, broadcast included) or all-zero MAC is never a frame's source.
 */
export function stationMacProblem(mac: Uint8Array): string | undefined {
  if (isMulticastMac(mac)) return "is a multicast address (first octet odd), not a host's own";
  if (mac.every((byte) => byte === 0)) return "is all zeros, not a host's own address";
  return undefined;
}

/** The 32 bits of an IPv4 literal (checked by the caller). */
function ipv4Bits(address: string): number {
  return address.split('.').reduce((bits, octet) => bits * 256 + Number(octet), 0);
}

/** What kind of group or placeholder address `address` is, or undefined for a unicast one. */
function notUnicast(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) {
    const bits = ipv4Bits(address);
    if (bits === 0) return 'the unspecified address';
    if (bits === 0xffffffff) return 'the broadcast address';
    if (bits >>> 28 === 0xe) return 'a multicast address';
    return undefined;
  }
  if (family === 6) {
    const canonical = new URL(`http://[${address.split('%')[0] ?? ''}]/`).hostname;
    if (canonical === '[::]') return 'the unspecified address';
    if (/^\[ff/i.test(canonical)) return 'a multicast address';
  }
  return undefined;
}

/**
 * Why `remote` cannot be a VXLAN tunnel's other end, or undefined: the
 * unspecified, broadcast or a multicast address (netrx speaks unicast VXLAN
 * to one VTEP; a sender is never such an address, so nothing would be
 * accepted either).
 */
export function remoteProblem(remote: { readonly address: string }): string | undefined {
  const kind = notUnicast(remote.address);
  return kind === undefined
    ? undefined
    : `${remote.address} is ${kind}: the remote must be one VTEP's unicast address`;
}

/**
 * Why `source` cannot be an allowed VXLAN source on a tunnel bound to
 * `bind`, or undefined: a socket of one family never receives from the other.
 */
export function allowedSourceProblem(
  source: string,
  bind: { readonly address: string },
): string | undefined {
  const from = isIP(source);
  const tunnel = isIP(bind.address);
  if (from === tunnel) return undefined;
  return `${source} is IPv${from} but the tunnel is IPv${tunnel} (bound to ${bind.address}): no datagram from it can arrive`;
}

/**
 * Why `prefix` cannot be a host's own address, or undefined: a multicast,
 * broadcast or unspecified address, or (on a subnet of /30 or wider) the
 * subnet's network or broadcast address.
 */
export function ownAddressProblem(prefix: {
  readonly address: string;
  readonly prefixLength: number;
}): string | undefined {
  const kind = notUnicast(prefix.address);
  if (kind !== undefined) return `is ${kind}, not a host's own`;
  if (isIP(prefix.address) !== 4 || prefix.prefixLength > 30) return undefined;
  const hostBits = 32 - prefix.prefixLength;
  const host = ipv4Bits(prefix.address) % 2 ** hostBits;
  if (host === 0) return `is the network address of its /${prefix.prefixLength}, not a host's own`;
  if (host === 2 ** hostBits - 1)
    return `is the broadcast address of its /${prefix.prefixLength}, not a host's own`;
  return undefined;
}

/**
 * Why `gateway` cannot be the default gateway of a host whose own prefixes
 * are `own`, or undefined. The stack resolves a gateway on the link, so it
 * must be a unicast address inside one of the host's prefixes of its family
 * (an IPv6 gateway may also be link-local: the host always has its EUI-64
 * fe80::/64 address); otherwise every off-link send would drop as `no-route`.
 */
export function gatewayProblem(
  gateway: string,
  own: readonly { readonly address: string; readonly prefixLength: number }[],
): string | undefined {
  const kind = notUnicast(gateway);
  if (kind !== undefined) return `${gateway} is ${kind}, not a gateway`;
  const family = isIP(gateway);
  const gatewayBits = addressBits(gateway);
  if (family === 6 && gatewayBits >> 118n === 0x3fan) return undefined; // fe80::/10
  const width = family === 4 ? 32n : 128n;
  for (const prefix of own) {
    if (isIP(prefix.address) !== family) continue;
    const shift = width - BigInt(prefix.prefixLength);
    if (addressBits(prefix.address) >> shift !== gatewayBits >> shift) continue;
    if (gatewayBits === addressBits(prefix.address))
      return `${gateway} is the host's own address, not a gateway`;
    return undefined;
  }
  const mine = own.filter((p) => isIP(p.address) === family);
  return `${gateway} is on none of the host's IPv${family} subnets (${mine.length === 0 ? 'it has none' : mine.map((p) => `${p.address}/${p.prefixLength}`).join(', ')}): a gateway must be on-link`;
}

/** The bits of an IPv4 or IPv6 literal (checked by the caller), zone dropped. */
function addressBits(address: string): bigint {
  if (isIP(address) === 4) return BigInt(ipv4Bits(address));
  const groups = new URL(`http://[${address.split('%')[0] ?? ''}]/`).hostname.slice(1, -1);
  const [head = '', tail] = groups.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((bits, group) => (bits << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/**
 * Why `route` (`destination` as ADDRESS/NN, `via` an address) cannot be a
 * route of a host whose own prefixes are `own`, or undefined: a destination
 * that is not a prefix, a `via` of the other family, or one off-link (as
 * for a gateway).
 */
export function routeProblem(
  route: { readonly destination: string; readonly via: string },
  own: readonly { readonly address: string; readonly prefixLength: number }[],
): string | undefined {
  const [address = '', length = ''] = route.destination.split('/');
  const family = isIP(address);
  const bits = /^\d+$/.test(length) ? Number(length) : Number.NaN;
  if (family === 0 || !(bits >= 0 && bits <= (family === 4 ? 32 : 128)))
    return `expected a destination ADDRESS/NN, got ${JSON.stringify(route.destination)}`;
  const via = route.via.includes('%') ? 0 : isIP(route.via);
  if (via === 0)
    return `expected the gateway's address after via, got ${JSON.stringify(route.via)}`;
  if (via !== family)
    return `${route.destination} is IPv${family} but its gateway ${route.via} is IPv${via}`;
  return gatewayProblem(route.via, own);
}
