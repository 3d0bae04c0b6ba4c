import { isIP } from 'node:net';
import type { UdpEndpoint } from './vxlan.js';

/** `IP:PORT` or `[IPv6]:PORT`; undefined when it is not one. */
export function parseEndpoint(text: string): UdpEndpoint | undefined {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const address = match?.[1];
  const port = Number(match?.[2]);
  if (address === undefined || isIP(address) === 0 || !(port >= 1 && port <= 65535))
    return undefined;
  return { address, port };
}

/** `ADDRESS/NN` of the given family; undefined when it is not one. */
export function parsePrefix(
  text: string,
  family: 4 | 6,
): { address: string; prefixLength: number } | undefined {
  const [address = '', length = ''] = text.split('/');
  const prefixLength = /^\d+$/.test(length) ? Number(length) : Number.NaN;
  if (
    isIP(address) !== family ||
    !(prefixLength >= 0 && prefixLength <= (family === 4 ? 32 : 128))
  ) {
    return undefined;
  }
  return { address, prefixLength };
}

/**
 * An IP address in the form Node reports a datagram's source in: IPv4 dotted,
 * IPv6 lower-case and compressed (RFC 5952), an IPv4-mapped IPv6 address as
 * plain IPv4 (a dual-stack socket reports IPv4 senders so), a zone kept as
 * given. Undefined when `text` is not an IP address.
 */
export function canonicalAddress(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  const zoneAt = text.indexOf('%');
  const zone = zoneAt < 0 ? '' : text.slice(zoneAt);
  const bare = zoneAt < 0 ? text : text.slice(0, zoneAt);
  // The WHATWG URL parser serialises IPv6 hosts in RFC 5952 form.
  const host = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped !== null && zone === '') {
    const high = parseInt(mapped[1] as string, 16);
    const low = parseInt(mapped[2] as string, 16);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return host + zone;
}
