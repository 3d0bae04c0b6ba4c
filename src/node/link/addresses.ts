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
