/**
 * Hop-by-Hop and Destination Options for the IPv6 binding (RFC 8200 §4.2):
 * Pad1 and PadN are skipped; any other option is unknown here, and its two
 * high-order bits say what to do: 00 skip it, 01 drop the packet, 10 drop
 * and send Parameter Problem code 2 pointing at it (even to a multicast
 * destination), 11 the same unless the destination was multicast.
 */
import { IpProtocol, type Ipv6ExtensionWalk, type Ipv6Packet } from '../wire/index.js';
import type { Indication } from './indication.js';
import { ParameterProblemCode, sendIcmpv6Error } from './ipv6-icmp.js';
import type { Ipv6Host } from './ipv6-host.js';

const PARAMETER_PROBLEM = 4;
const PAD1 = 0;
const PADN = 1;

/**
 * The verdict of RFC 8200 §4.2 on the options of a Hop-by-Hop or Destination
 * Options header (`header`, the whole header): 0 when every option is known
 * or to be skipped, -1 when the options overrun the header, else the offset
 * in the header of the first option to act on times 4 plus its action (1
 * drop, 2 drop and report, 3 drop and report unless to multicast).
 */
function optionVerdict(header: Uint8Array): number {
  let at = 2;
  while (at < header.length) {
    const type = header[at] as number;
    if (type === PAD1) {
      at++;
      continue;
    }
    if (at + 2 > header.length) return -1;
    const length = header[at + 1] as number;
    if (at + 2 + length > header.length) return -1;
    const action = type >>> 6;
    if (type !== PADN && action !== 0) return at * 4 + action;
    at += 2 + length;
  }
  return 0;
}

/** Applies the option rules to every options header of `walk`: a verdict, or undefined to go on. */
export function checkOptions(
  host: Ipv6Host,
  ind: Indication,
  ip: Ipv6Packet,
  walk: Ipv6ExtensionWalk,
): 'not-accepted' | undefined {
  for (const header of walk.headers) {
    if (header.type !== IpProtocol.HopByHop && header.type !== IpProtocol.Ipv6DestinationOptions) {
      continue;
    }
    const verdict = optionVerdict(header.bytes);
    if (verdict === 0) continue;
    if (verdict < 0) return host.drop('bad-extension-headers', ind.packetSize);
    host.drop('unknown-option', ind.packetSize);
    const action = verdict & 3;
    if (action !== 1) {
      sendIcmpv6Error(
        host,
        ind,
        ip,
        PARAMETER_PROBLEM,
        ParameterProblemCode.UnrecognizedOption,
        header.offset + (verdict >>> 2),
        action === 2,
      );
    }
    return 'not-accepted';
  }
  return undefined;
}
