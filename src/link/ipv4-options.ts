/**
 * IPv4 options the binding acts on (RFC 791 §3.1, RFC 1122 §3.2.1.8).
 *
 * netrx is a host that does not forward, so a source-routed datagram (Loose
 * or Strict Source and Record Route) is dropped whole, finished route or not,
 * as Linux does with `accept_source_route = 0`: an unfinished route names a
 * next hop we will never forward to (RFC 1122 §3.3.5), and a finished one
 * would have us reply along a route its sender chose, which is how source
 * routing spoofs a trusted address. The scan reads the header in place, never
 * allocates and never throws: a malformed option ends it (RFC 1122 §3.2.1.8
 * asks a host to be liberal; only a readable source route is acted on).
 */
import { Ipv4OptionType } from '../wire/index.js';

const FIRST_OPTION = 20;

/** Whether the options of the IPv4 header in `bytes[0, headerLength)` hold LSRR or SSRR. */
export function isSourceRouted(bytes: Uint8Array, headerLength: number): boolean {
  const end = Math.min(headerLength, bytes.length);
  let at = FIRST_OPTION;
  while (at < end) {
    const type = bytes[at] as number;
    if (type === Ipv4OptionType.EndOfOptions) return false;
    if (type === Ipv4OptionType.NoOperation) {
      at += 1;
      continue;
    }
    const length = bytes[at + 1];
    if (length === undefined || length < 2 || at + length > end) return false;
    if (type === Ipv4OptionType.LooseSourceRoute || type === Ipv4OptionType.StrictSourceRoute) {
      return true;
    }
    at += length;
  }
  return false;
}
