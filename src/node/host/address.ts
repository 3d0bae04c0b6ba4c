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
