/** The extcap's capture-filter subset: what each primitive matches, the operators, the refusals. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCaptureFilter } from '../../src/cli/commands/capture-extcap-filter.js';
import {
  arpPacket,
  ethernetFrame,
  icmpv4Echo,
  ipv4Datagram,
  ipv6Packet,
  udp4,
} from '../../src/testing/index.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const FRAMES = {
  arp: ethernetFrame(
    'ff:ff:ff:ff:ff:ff',
    A,
    0x0806,
    arpPacket({ operation: 1, senderMac: A, senderIp: '10.0.0.1', targetIp: '10.0.0.2' }),
    60,
  ),
  icmp: ethernetFrame(
    B,
    A,
    0x0800,
    ipv4Datagram({
      source: '10.0.0.1',
      destination: '10.0.0.2',
      protocol: 1,
      payload: icmpv4Echo(8, 1, 1, new Uint8Array(8)),
    }),
  ),
  udp: ethernetFrame(
    A,
    B,
    0x0800,
    ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.9',
      protocol: 17,
      payload: udp4('10.0.0.2', 5, '10.0.0.9', 7, new Uint8Array(4)),
    }),
  ),
  tcp6: ethernetFrame(
    B,
    A,
    0x86dd,
    ipv6Packet({
      source: 'fd42::1',
      destination: 'fd42::2',
      nextHeader: 6,
      payload: new Uint8Array(20),
    }),
  ),
};
type Name = keyof typeof FRAMES;

function matching(text: string): Name[] {
  const parsed = parseCaptureFilter(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return (Object.keys(FRAMES) as Name[]).filter((name) => parsed.filter(FRAMES[name]));
}

describe('the extcap capture filter', () => {
  it.each([
    ['', ['arp', 'icmp', 'udp', 'tcp6']],
    ['arp', ['arp']],
    ['ip', ['icmp', 'udp']],
    ['ip6', ['tcp6']],
    ['icmp', ['icmp']],
    ['udp', ['udp']],
    ['tcp', ['tcp6']],
    ['ip proto 17', ['udp']],
    ['ether proto 0x0806', ['arp']],
    ['host 10.0.0.9', ['udp']],
    ['host fd42::2', ['tcp6']],
    [`ether host ${B}`, ['icmp', 'udp', 'tcp6']],
    ['not arp', ['icmp', 'udp', 'tcp6']],
    ['! ip and ! arp', ['tcp6']],
    ['icmp or udp', ['icmp', 'udp']],
    ['arp || icmp && host 10.0.0.9', ['arp']],
    // `host` is the provider's IPAddresses: IP source or destination, never ARP (pcap-filter differs).
    ['(arp or icmp) and not host 10.0.0.2', ['arp']],
    ['(arp || ip) && !(udp)', ['arp', 'icmp']],
  ] as const)('%j matches %j', (text, names) => {
    expect(matching(text)).toEqual(names);
  });

  it.each([
    ['portrange 1-2', '"portrange" is not supported'],
    ['arp and', 'ends too early'],
    ['(arp', 'expected )'],
    ['arp)', 'unexpected ")"'],
    ['ip proto 300', 'from 0 to 255'],
    ['host nowhere', 'not an IP address'],
    ['ether host zz', 'not a MAC'],
    ['ether src x', 'ether src is not supported'],
    ['tcp[13] & 2 != 0', 'unexpected'],
    ['!'.repeat(300), 'more than 256 words'],
  ])('refuses %j (%s)', (text, reason) => {
    const parsed = parseCaptureFilter(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  const primitive = fc.constantFrom(
    'arp',
    'ip',
    'ip6',
    'icmp',
    'tcp',
    'udp',
    'host 10.0.0.9',
    `ether host ${A}`,
  );
  it('property: not, and, or are the boolean operators over any primitives and frames', () => {
    fc.assert(
      fc.property(
        primitive,
        primitive,
        fc.constantFrom(...(Object.keys(FRAMES) as Name[])),
        (x, y, name) => {
          const frame = FRAMES[name];
          const is = (text: string) => {
            const parsed = parseCaptureFilter(text);
            if (!parsed.ok) throw new Error(parsed.reason);
            return parsed.filter(frame);
          };
          expect(is(`not ${x}`)).toBe(!is(x));
          expect(is(`${x} and ${y}`)).toBe(is(x) && is(y));
          expect(is(`(${x}) or (${y})`)).toBe(is(x) || is(y));
        },
      ),
    );
  });

  it('property: any text parses to a filter or a reason, never a throw', () => {
    const word = fc.constantFrom(
      'arp',
      'ip',
      'not',
      'and',
      'or',
      '(',
      ')',
      '!',
      '&&',
      '||',
      'host',
      'proto',
      'ether',
      '10.0.0.1',
      '7',
      'x',
      '&',
      '|',
      '[',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(word, { maxLength: 300 }).map((w) => w.join(' ')),
        ),
        (text) => {
          const parsed = parseCaptureFilter(text);
          expect(typeof parsed.ok).toBe('boolean');
        },
      ),
    );
  });
});
