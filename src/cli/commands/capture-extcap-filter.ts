/**
 * The extcap's capture filter: a small subset of the pcap-filter language,
 * applied by the extcap to the packet events it receives (the server's
 * session already applied its own filter data; an RPC Open names only the
 * session, so a client cannot narrow it there). Each primitive is one
 * MSFT_NetEventPacketCaptureProvider filter (`compilePacketFilter` of
 * netrx/link, which reads through up to two VLAN tags):
 *
 *   arp | ip | ip6 | icmp | icmp6 | tcp | udp
 *   ether proto N | ip proto N | host ADDR | ether host MAC
 *   [src|dst] port N | (tcp|udp) [src|dst] port N
 *   src host ADDR | dst host ADDR | [src|dst] net ADDR/LEN
 *
 * combined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses, with
 * pcap-filter's precedence (not > and > or). `ip proto N`, `tcp`, `udp`
 * match IPv4 and IPv6 alike (the provider's IPProtocols semantics), and
 * `host` matches an IPv4 or IPv6 source or destination, not ARP's. `port`
 * is a TCP, UDP or SCTP port (pcap-filter's: IPv4 first fragments only, IPv6
 * when the fixed header's Next Header is the transport), `net` a CIDR prefix
 * whose host bits must be zero, both read through up to two VLAN tags like
 * the rest (capture-extcap-frame.ts). Parsing never throws: a filter outside
 * the subset is refused with the reason.
 */
import { compilePacketFilter, type PacketCaptureFilter } from '../../link/index.js';
import { ipv4AddressToBytes, parseIpv4Address, parseIpv6Address } from '../../wire/index.js';
import { frameHeaders, inNetwork } from './capture-extcap-frame.js';

export type FrameFilter = (frame: Uint8Array) => boolean;

/** Bounds the parser's recursion (a filter typed into Wireshark is a line). */
const MAX_TOKENS = 256;

const WORDS: Record<string, PacketCaptureFilter> = {
  arp: { etherTypes: [0x0806] },
  ip: { etherTypes: [0x0800] },
  ip6: { etherTypes: [0x86dd] },
  icmp: { etherTypes: [0x0800], ipProtocols: [1] },
  icmp6: { etherTypes: [0x86dd], ipProtocols: [58] },
  tcp: { ipProtocols: [6] },
  udp: { ipProtocols: [17] },
};

/** The filter for `text` (an empty one passes everything), or why it is refused. */
export function parseCaptureFilter(
  text: string,
): { ok: true; filter: FrameFilter } | { ok: false; reason: string } {
  const tokens = text.match(/\(|\)|&&|\|\||!|[^\s()!&|]+/g) ?? [];
  const rest = text.replace(/\(|\)|&&|\|\||!|[^\s()!&|]+|\s+/g, '');
  if (rest !== '') return { ok: false, reason: `unexpected ${JSON.stringify(rest[0])}` };
  if (tokens.length === 0) return { ok: true, filter: () => true };
  if (tokens.length > MAX_TOKENS) return { ok: false, reason: `more than ${MAX_TOKENS} words` };
  let at = 0;
  const peek = () => tokens[at];
  const fail = (reason: string): never => {
    throw new FilterError(reason);
  };
  const compiled = (spec: PacketCaptureFilter): FrameFilter => {
    const filter = compilePacketFilter({ ...spec, truncationLength: 0 });
    if (filter.invalid !== undefined) fail(filter.invalid);
    return (frame) => filter.matches(frame);
  };
  const integer = (word: string | undefined, max: number): number => {
    const n = word !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(word) ? Number(word) : NaN;
    if (!(n >= 0 && n <= max)) fail(`expected a number from 0 to ${max}, got ${word ?? 'the end'}`);
    return n;
  };
  const address = (word: string | undefined, what: string): Uint8Array => {
    if (word === undefined) return fail(`${what} needs an address`);
    const v4 = parseIpv4Address(word);
    const bytes = v4 === undefined ? parseIpv6Address(word) : ipv4AddressToBytes(v4);
    return bytes ?? fail(`${JSON.stringify(word)} is not an IP address`);
  };
  const network = (word: string | undefined): { net: Uint8Array; prefix: number } => {
    if (word === undefined) return fail('net needs ADDR/LEN');
    const slash = word.indexOf('/');
    const net = address(slash < 0 ? word : word.slice(0, slash), 'net');
    const prefix = slash < 0 ? net.length * 8 : integer(word.slice(slash + 1), net.length * 8);
    if (!zeroAfter(net, prefix)) {
      fail(`${word}: non-network bits set (the address must be the network's first)`);
    }
    return { net, prefix };
  };
  /** `[src|dst] port N`, `[src|dst] host A`, `[src|dst] net N/L`; `protocol` from `tcp port`/`udp port`. */
  const directed = (word: string, protocol?: number): FrameFilter | undefined => {
    let direction: 'src' | 'dst' | 'either' = 'either';
    let kind = word;
    if (word === 'src' || word === 'dst') {
      direction = word;
      kind = tokens[at++]?.toLowerCase() ?? fail(`${word} needs host, net or port`);
    }
    const pick = <T>(src: T, dst: T, frame: (value: T) => boolean) =>
      direction === 'src'
        ? frame(src)
        : direction === 'dst'
          ? frame(dst)
          : frame(src) || frame(dst);
    if (kind === 'port') {
      const port = integer(tokens[at++], 0xffff);
      return (frame) => {
        const h = frameHeaders(frame);
        if (protocol !== undefined && h.protocol !== protocol) return false;
        return pick(h.sourcePort, h.destinationPort, (p) => p === port);
      };
    }
    if (protocol !== undefined) return fail(`expected port after ${word}`);
    if (kind === 'host' && direction !== 'either') {
      const a = address(tokens[at++], `${direction} host`);
      return (frame) => {
        const h = frameHeaders(frame);
        return pick(h.source, h.destination, (x) => x !== undefined && equal(x, a));
      };
    }
    if (kind === 'net') {
      const { net, prefix } = network(tokens[at++]);
      return (frame) => {
        const h = frameHeaders(frame);
        return pick(h.source, h.destination, (x) => inNetwork(x, net, prefix));
      };
    }
    if (direction !== 'either')
      return fail(`${direction} ${kind} is not supported (host, net, port)`);
    return undefined;
  };
  const primitive = (): FrameFilter => {
    const word = tokens[at++]?.toLowerCase();
    if (word === undefined) return fail('the filter ends too early');
    if (word === 'port' || word === 'net' || word === 'src' || word === 'dst') {
      return directed(word) ?? fail(`${JSON.stringify(word)} is not supported`);
    }
    if (word === 'tcp' || word === 'udp') {
      const next = peek()?.toLowerCase();
      if (next === 'port' || next === 'src' || next === 'dst') {
        at++;
        return directed(next, word === 'tcp' ? 6 : 17) as FrameFilter;
      }
    }
    if (word === '(') {
      const inner = or();
      if (tokens[at++] !== ')') fail('expected )');
      return inner;
    }
    if (word === 'host')
      return compiled({ ipAddresses: [tokens[at++] ?? fail('host needs an address')] });
    if (word === 'ether' || word === 'ip') {
      const next = tokens[at++]?.toLowerCase();
      if (word === 'ether' && next === 'host') {
        return compiled({ linkLayerAddresses: [tokens[at++] ?? fail('ether host needs a MAC')] });
      }
      if (next === 'proto') {
        return word === 'ether'
          ? compiled({ etherTypes: [integer(tokens[at++], 0xffff)] })
          : compiled({ ipProtocols: [integer(tokens[at++], 0xff)] });
      }
      if (word === 'ip') {
        at--; // plain `ip`
        return compiled(WORDS['ip'] as PacketCaptureFilter);
      }
      return fail(`ether ${next ?? ''} is not supported (ether host MAC, ether proto N)`);
    }
    const spec = WORDS[word];
    if (spec === undefined) return fail(`${JSON.stringify(word)} is not supported`);
    return compiled(spec);
  };
  const not = (): FrameFilter => {
    const word = peek()?.toLowerCase();
    if (word === 'not' || word === '!') {
      at++;
      const inner = not();
      return (frame) => !inner(frame);
    }
    return primitive();
  };
  const and = (): FrameFilter => {
    let left = not();
    for (
      let word = peek()?.toLowerCase();
      word === 'and' || word === '&&';
      word = peek()?.toLowerCase()
    ) {
      at++;
      const a = left;
      const b = not();
      left = (frame) => a(frame) && b(frame);
    }
    return left;
  };
  const or = (): FrameFilter => {
    let left = and();
    for (
      let word = peek()?.toLowerCase();
      word === 'or' || word === '||';
      word = peek()?.toLowerCase()
    ) {
      at++;
      const a = left;
      const b = and();
      left = (frame) => a(frame) || b(frame);
    }
    return left;
  };
  try {
    const filter = or();
    if (at < tokens.length) fail(`unexpected ${JSON.stringify(tokens[at])}`);
    return { ok: true, filter };
  } catch (error) {
    if (error instanceof FilterError) return { ok: false, reason: error.message };
    throw error;
  }
}

class FilterError extends Error {}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether every bit of `bytes` past the first `prefix` is zero. */
function zeroAfter(bytes: Uint8Array, prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}
