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
