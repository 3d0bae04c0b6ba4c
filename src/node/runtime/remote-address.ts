/**
 * The key a remote address is counted or limited under, shared by every
 * per-address bound of the node transports (the login limiter, the host's
 * ConnectionGuard, the capture WebSocket admission and endpoint), so that
 * they all agree on what "one address" is:
 *
 * - every loopback address (all of 127.0.0.0/8, `::1`, `::ffff:127.x.y.z`)
 *   is the one key `loopback`. Any local user can send from any 127.x
 *   address without privilege (`localAddress`), so keying them apart would
 *   give one local client 16 million fresh addresses, each with its own
 *   allowance (review S2). They are one machine, so one client;
 * - IPv4, and IPv4-mapped IPv6, as the dotted quad;
 * - IPv6 by its /64, which one machine usually holds whole;
 * - anything else (a Unix socket, no address at all) as ''.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The one key of every loopback address. */
export const LOOPBACK_KEY = 'loopback';

/** `remoteAddressKey(remote)`: what per-address bounds count `remote` under. */
export function remoteAddressKey(remote: string | undefined): string {
  return limiterKey(addressKey(remote));
}

/**
 * The address part of the key, before loopback is folded: IPv4 (an
 * IPv4-mapped IPv6 address too) as itself, IPv6 by its /64, anything else
 * as ''. Logged and traced as is; `remoteAddressKey` is what bounds count.
 */
export function addressKey(remote: string | undefined): string {
  if (remote === undefined) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
  if (mapped !== undefined) return mapped;
  if (isIPv4(remote)) return remote;
  if (!isIPv6(remote)) return '';
  const bare = remote.split('%')[0] ?? remote;
  const [head = '', tail = ''] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = bare.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** `addressKey` of `::1`: its /64 holds no other address a peer can have. */
const IPV6_LOOPBACK_KEY = '0:0:0:0::/64';

/** An `addressKey` as bounds count it: every loopback one as `loopback`, anything else as itself. */
export function limiterKey(address: string): string {
  if (address === IPV6_LOOPBACK_KEY) return LOOPBACK_KEY;
  if (isIPv4(address) && address.startsWith('127.')) return LOOPBACK_KEY;
  return address;
}
