/**
 * The extcap filter's `port`, `src`/`dst host` and `net`, with `and`/`or`/`not`:
 * examples, then a property test against a reference evaluation that reads
 * the frame's description (not its bytes) as pcap-filter defines the
 * primitives, over frames drawn with 0-2 VLAN tags, IPv4 or IPv6, TCP, UDP,
 * SCTP or ICMP, and first or later IPv4 fragments.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCaptureFilter } from '../../src/cli/commands/capture-extcap-filter.js';
import { ethernetFrame, ipv4Datagram, ipv6Packet } from '../../src/testing/index.js';
import { parseIpv6Address } from '../../src/wire/index.js';

interface Desc {
  readonly tags: number;
  readonly v6: boolean;
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly sport: number;
  readonly dport: number;
  /** IPv4 fragment offset (8-byte units): ports only in offset 0. */
  readonly fragment: number;
}

const V4 = ['10.0.0.1', '10.0.0.2', '10.1.2.3', '192.168.7.9'];
const V6 = ['fd42::1', 'fd42::2', 'fd43:1::9', '2001:db8::5'];
const PORTS = [53, 80, 443, 5000];
const PORT_PROTOCOLS = [6, 17, 132];

function encode(d: Desc): Uint8Array {
  const transport = new Uint8Array(20);
  const tv = new DataView(transport.buffer);
  if (PORT_PROTOCOLS.includes(d.protocol)) {
    tv.setUint16(0, d.sport);
    tv.setUint16(2, d.dport);
  } else {
    // ICMP: bytes where ports would be must not count as ports.
    tv.setUint16(0, d.sport);
    tv.setUint16(2, d.dport);
  }
  const ip = d.v6
    ? ipv6Packet({ source: d.src, destination: d.dst, nextHeader: d.protocol, payload: transport })
    : ipv4Datagram({
        source: d.src,
        destination: d.dst,
        protocol: d.protocol,
        payload: transport,
        fragmentOffset: d.fragment,
      });
  const plain = ethernetFrame('02:00:00:00:00:0b', '02:00:00:00:00:0a', d.v6 ? 0x86dd : 0x0800, ip);
  if (d.tags === 0) return plain;
  const out = new Uint8Array(plain.length + 4 * d.tags);
  out.set(plain.subarray(0, 12), 0);
  const view = new DataView(out.buffer);
  for (let t = 0; t < d.tags; t++) {
    view.setUint16(12 + 4 * t, t === 0 && d.tags === 2 ? 0x88a8 : 0x8100);
    view.setUint16(14 + 4 * t, 100 + t);
  }
  out.set(plain.subarray(12), 12 + 4 * d.tags);
  return out;
}

type Ast =
  | { k: 'port'; dir: 'src' | 'dst' | ''; port: number; proto?: 'tcp' | 'udp' }
  | { k: 'host'; dir: 'src' | 'dst'; addr: string }
  | { k: 'net'; dir: 'src' | 'dst' | ''; net: string }
  | { k: 'not'; a: Ast }
  | { k: 'and' | 'or'; a: Ast; b: Ast };

function text(ast: Ast): string {
  switch (ast.k) {
    case 'port':
      return [ast.proto, ast.dir, 'port', String(ast.port)].filter((w) => w).join(' ');
    case 'host':
      return `${ast.dir} host ${ast.addr}`;
    case 'net':
      return [ast.dir, 'net', ast.net].filter((w) => w).join(' ');
    case 'not':
      return `not (${text(ast.a)})`;
    default:
      return `(${text(ast.a)}) ${ast.k} (${text(ast.b)})`;
  }
}

function bits(address: string): string {
  const v6 = parseIpv6Address(address);
  if (address.includes(':') && v6 !== undefined) {
    return [...v6].map((b) => b.toString(2).padStart(8, '0')).join('');
  }
  return address
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('');
}

/** The reference: pcap-filter's meaning, on the description. */
function evaluate(ast: Ast, d: Desc): boolean {
  const either = (dir: string, s: boolean, t: boolean) =>
    dir === 'src' ? s : dir === 'dst' ? t : s || t;
  switch (ast.k) {
    case 'port': {
      const hasPorts = PORT_PROTOCOLS.includes(d.protocol) && (d.v6 || d.fragment === 0);
      if (!hasPorts) return false;
      if (ast.proto !== undefined && d.protocol !== (ast.proto === 'tcp' ? 6 : 17)) return false;
      return either(ast.dir, d.sport === ast.port, d.dport === ast.port);
    }
    case 'host':
      return either(ast.dir, bits(d.src) === bits(ast.addr), bits(d.dst) === bits(ast.addr));
    case 'net': {
      const [net = '', len = '0'] = ast.net.split('/');
      const n = bits(net).slice(0, Number(len));
      const inside = (a: string) => bits(a).length === bits(net).length && bits(a).startsWith(n);
      return either(ast.dir, inside(d.src), inside(d.dst));
    }
    case 'not':
      return !evaluate(ast.a, d);
    case 'and':
      return evaluate(ast.a, d) && evaluate(ast.b, d);
    case 'or':
      return evaluate(ast.a, d) || evaluate(ast.b, d);
  }
}

const desc: fc.Arbitrary<Desc> = fc
  .record({
    tags: fc.integer({ min: 0, max: 2 }),
    v6: fc.boolean(),
    s: fc.integer({ min: 0, max: 3 }),
    t: fc.integer({ min: 0, max: 3 }),
    protocol: fc.constantFrom(1, 6, 17, 132, 58),
    sport: fc.constantFrom(...PORTS),
    dport: fc.constantFrom(...PORTS),
    fragment: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 })),
  })
  .map((r) => ({
    tags: r.tags,
    v6: r.v6,
    src: (r.v6 ? V6 : V4)[r.s] as string,
    dst: (r.v6 ? V6 : V4)[r.t] as string,
    protocol: r.protocol,
    sport: r.sport,
    dport: r.dport,
    fragment: r.v6 ? 0 : r.fragment,
  }));

const dir = fc.constantFrom<'src' | 'dst' | ''>('src', 'dst', '');
const leaf: fc.Arbitrary<Ast> = fc.oneof(
  fc
    .record({
      k: fc.constant('port' as const),
      dir,
      port: fc.constantFrom(...PORTS),
      proto: fc.constantFrom(undefined, 'tcp' as const, 'udp' as const),
    })
    .map((r) => (r.proto === undefined ? { k: r.k, dir: r.dir, port: r.port } : r)),
  fc.record({
    k: fc.constant('host' as const),
    dir: fc.constantFrom<'src' | 'dst'>('src', 'dst'),
    addr: fc.constantFrom(...V4, ...V6),
  }),
  fc.record({
    k: fc.constant('net' as const),
    dir,
    net: fc.constantFrom(
      '10.0.0.0/8',
      '10.0.0.0/24',
      '10.0.0.2/32',
      '0.0.0.0/0',
      'fd42::/16',
      'fd42::/64',
      '2001:db8::/32',
      '::/0',
    ),
  }),
);
const ast: fc.Arbitrary<Ast> = fc.letrec<{ node: Ast }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ k: fc.constant('not' as const), a: tie('node') }),
    fc.record({
      k: fc.constantFrom('and' as const, 'or' as const),
      a: tie('node'),
      b: tie('node'),
    }),
  ),
})).node;

function matches(filter: string, frame: Uint8Array): boolean {
  const parsed = parseCaptureFilter(filter);
  if (!parsed.ok) throw new Error(`${filter}: ${parsed.reason}`);
  return parsed.filter(frame);
}

describe('the extcap capture filter: port, src/dst host, net', () => {
  const udp = encode({
    tags: 0,
    v6: false,
    src: '10.0.0.1',
    dst: '192.168.7.9',
    protocol: 17,
    sport: 5000,
    dport: 53,
    fragment: 0,
  });
  const tcp6 = encode({
    tags: 1,
    v6: true,
    src: 'fd42::1',
    dst: '2001:db8::5',
    protocol: 6,
    sport: 443,
    dport: 5000,
    fragment: 0,
  });
  const frag = encode({
    tags: 2,
    v6: false,
    src: '10.1.2.3',
    dst: '10.0.0.2',
    protocol: 17,
    sport: 53,
    dport: 53,
    fragment: 8,
  });
  it.each([
    ['port 53', [true, false, false]],
    ['udp dst port 53', [true, false, false]],
    ['tcp port 53', [false, false, false]],
    ['src port 443', [false, true, false]],
    ['tcp src port 443 and dst net 2001:db8::/32', [false, true, false]],
    ['src host 10.0.0.1', [true, false, false]],
    ['dst host 10.0.0.2', [false, false, true]],
    ['net 10.0.0.0/8', [true, false, true]],
    ['src net 10.0.0.0/16', [true, false, false]],
    ['not net 192.168.0.0/16 and ip', [false, false, true]],
    ['net fd42::/16 or port 53', [true, true, false]],
  ] as const)('%j', (filter, want) => {
    expect([udp, tcp6, frag].map((f) => matches(filter, f))).toEqual(want);
  });

  it.each([
    ['port 70000', 'from 0 to 65535'],
    ['port', 'expected a number'],
    ['net 10.0.0.1/8', 'non-network bits'],
    ['net 10.0.0.0/33', 'from 0 to 32'],
    ['src host nowhere', 'not an IP address'],
    ['src 10.0.0.1', 'src 10.0.0.1 is not supported'],
    ['tcp host 10.0.0.1', 'unexpected "host"'],
  ])('refuses %j (%s)', (filter, reason) => {
    const parsed = parseCaptureFilter(filter);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('property: agrees with the reference evaluation for any filter over the primitives and any frame', () => {
    fc.assert(
      fc.property(ast, fc.array(desc, { minLength: 1, maxLength: 8 }), (tree, frames) => {
        const filter = text(tree);
        for (const d of frames)
          expect(matches(filter, encode(d)), `${filter} on ${JSON.stringify(d)}`).toBe(
            evaluate(tree, d),
          );
      }),
      { numRuns: 500 },
    );
  });
});
