/**
 * ICMPv6 Parameter Problem (RFC 8200 §4, §4.5; RFC 4443 §2.4): a Hop-by-Hop
 * header out of place (code 1, at the Next Header field naming it), a
 * fragment with M set whose length is not a multiple of 8 (code 0, pointer
 * 4), and the rules every error obeys: none to `::` or a multicast source,
 * none about a packet to a group, a rate limit.
 */
import { describe, expect, it } from 'vitest';
import { createStackHarness, ethernetFrame, icmpv6Message, ipv6Packet } from '../testing/index.js';
import { Icmpv6Packet, Ipv6Packet } from '../wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';

const setup = (burst = 100) => createStackHarness({ limits: { ipv6: { icmpErrorBurst: burst } } });

/** The ICMPv6 errors among `frames`: type, code, pointer. */
function errors(frames: Uint8Array[]) {
  return frames
    .filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[20] === 58)
    .map((frame) => {
      const ip = Ipv6Packet.unchecked(frame.subarray(14));
      const icmp = Icmpv6Packet.unchecked(ip.bytes.subarray(40, 40 + ip.payloadLength));
      const rest = new DataView(icmp.bytes.buffer, icmp.bytes.byteOffset).getUint32(4);
      return { type: icmp.type, code: icmp.code, pointer: rest };
    })
    .filter((m) => m.type < 128);
}

const echo = (source: string) =>
  icmpv6Message(source, STACK_LL, {
    kind: 'echo-request',
    code: 0,
    identifier: 1,
    sequenceNumber: 1,
    data: Uint8Array.of(1, 2, 3, 4),
  });

/** A packet to the stack (or `destination`) whose first header is `nextHeader`. */
const packet = (
  nextHeader: number,
  payload: Uint8Array,
  source = PEER_LL,
  destination = STACK_LL,
  dstMac = STACK_MAC,
) =>
  ethernetFrame(dstMac, PEER_MAC, 0x86dd, ipv6Packet({ source, destination, nextHeader, payload }));

/** An 8-byte options header (PadN) naming `next`. */
const options = (next: number) => [next, 0, 1, 4, 0, 0, 0, 0];

describe('RFC 8200 §4: Hop-by-Hop not right after the IPv6 header', () => {
  // Regression (review 4 of issue 9): dropped with no Parameter Problem.
  it('gets code 1 pointing at the Next Header field that named it', () => {
    const { send, seen, stack } = setup();
    // Destination Options naming Hop-by-Hop: the field is at 40.
    send(packet(60, Uint8Array.from([...options(0), ...options(58), ...echo(PEER_LL)])));
    // Destination Options, Destination Options naming Hop-by-Hop: the field is at 48.
    send(
      packet(
        60,
        Uint8Array.from([...options(60), ...options(0), ...options(58), ...echo(PEER_LL)]),
      ),
    );
    // Hop-by-Hop twice: the first one's Next Header, at 40.
    send(packet(0, Uint8Array.from([...options(0), ...options(58), ...echo(PEER_LL)])));
    expect(errors(seen)).toEqual([
      { type: 4, code: 1, pointer: 40 },
      { type: 4, code: 1, pointer: 48 },
      { type: 4, code: 1, pointer: 40 },
    ]);
    expect(stack.stats().ipv6.drops['bad-extension-headers']).toBe(3);
  });

  it('sends nothing to a packet sent to a group, or to a multicast source', () => {
    const { send, seen, stack } = setup();
    const misplaced = Uint8Array.from([...options(0), ...options(58), ...echo(PEER_LL)]);
    send(packet(60, misplaced, PEER_LL, 'ff02::1', '33:33:00:00:00:01'));
    send(packet(60, misplaced, 'ff02::1'));
    expect(errors(seen)).toEqual([]);
    expect(stack.stats().ipv6.drops['bad-extension-headers']).toBe(1);
  });
});

/** A Fragment header (offset in 8-byte units, M set, id) then `data`. */
const fragment = (next: number, offset: number, data: Uint8Array, id = 7) =>
  Uint8Array.from([next, 0, offset >> 5, ((offset << 3) & 0xf8) | 1, 0, 0, 0, id, ...data]);

/**
 * Data of a later fragment of an ICMPv6 packet. It starts with 128: an error
 * about a fragment whose next header is ICMPv6 is withheld when its first
 * data byte reads as an ICMPv6 error type (below 128), later fragments
 * included, since nothing tells a later fragment's data from a type.
 */
const later = (length: number) => new Uint8Array(length).fill(128);

describe('RFC 8200 §4.5: a fragment with M set whose length is not a multiple of 8', () => {
  // Regression (review 4 of issue 9): dropped with no Parameter Problem.
  it('gets code 0 pointing at the Payload Length, first fragment or later', () => {
    const { send, seen, stack } = setup();
    send(packet(44, fragment(58, 0, echo(PEER_LL)))); // 12 bytes
    send(packet(44, fragment(58, 2, later(20)), PEER_LL, STACK_LL));
    expect(errors(seen)).toEqual([
      { type: 4, code: 0, pointer: 4 },
      { type: 4, code: 0, pointer: 4 },
    ]);
    expect(stack.stats().ipv6.drops['bad-fragment']).toBe(2);
  });

  it('sends nothing about a multiple of 8, to a group, or to a multicast source', () => {
    const { send, seen } = setup();
    send(packet(44, fragment(58, 2, later(16))));
    send(packet(44, fragment(58, 2, later(20)), PEER_LL, 'ff02::1', '33:33:00:00:00:01'));
    send(packet(44, fragment(58, 2, later(20)), 'ff02::1'));
    expect(errors(seen)).toEqual([]);
  });

  it('is rate-limited like every ICMPv6 error', () => {
    const { send, seen, stack } = setup(2);
    for (let id = 1; id <= 3; id++) send(packet(44, fragment(58, 2, later(20), id)));
    expect(errors(seen)).toHaveLength(2);
    expect(stack.stats().ipv6.drops['bad-fragment']).toBe(3);
  });
});

describe('RFC 4443 §2.4 (e.3): no ICMPv6 error to the unspecified address', () => {
  // Test gap N3 (review 4 of issue 9): the `::` guard in sendIcmpv6Error was never exercised.
  const fromUnspecified = [
    ['an unknown next header', () => packet(253, new Uint8Array(8), '::')],
    [
      'an unknown option whose action asks for Parameter Problem',
      () => packet(60, Uint8Array.from([58, 0, 0x8f, 4, 0, 0, 0, 0, ...echo('::')]), '::'),
    ],
    [
      'an incomplete header chain in a first fragment',
      () => packet(44, fragment(60, 0, Uint8Array.from([58, 0, 1, 4, 0, 0, 0, 0])), '::'),
    ],
  ] as const;
  for (const [name, frame] of fromUnspecified) {
    it(`sends nothing about ${name} from ::, and answers the same from a unicast source`, () => {
      const { send, seen } = setup();
      send(frame());
      expect(errors(seen)).toEqual([]);
      const control = frame();
      // The same packet from PEER_LL (fe80::ff:fe00:b): the source is at 22..38 of the frame.
      control.set(Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0x0b), 22);
      send(control);
      expect(errors(seen)).toHaveLength(1);
    });
  }
});
