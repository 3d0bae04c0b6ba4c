/**
 * ICMP errors about fragments (review 8): Time Exceeded code 1 when a
 * reassembly times out after the first fragment (RFC 792, RFC 1122 §3.3.2,
 * RFC 8200 §4.5), never for a datagram the rules forbid answering; and the
 * RFC 7112 rule that a first fragment holds the whole IPv6 header chain.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import { createStackHarness, ethernetFrame, ipv4Datagram, ipv6Packet } from '../testing/index.js';
import {
  Icmpv4Packet,
  Icmpv6Packet,
  Ipv4Packet,
  Ipv6Packet,
  parseIpv6Address,
} from '../wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';

const setup = () =>
  createStackHarness({
    ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    limits: { ipv4: { icmpErrorBurst: 100 }, ipv6: { icmpErrorBurst: 100 } },
  });

/** A first (or later) IPv4 fragment of a UDP datagram: 16 bytes of data at `offset`. */
const fragment4 = (
  options: { offset?: number; more?: boolean; destination?: string; dstMac?: string } = {},
) =>
  ethernetFrame(
    options.dstMac ?? STACK_MAC,
    PEER_MAC,
    0x0800,
    ipv4Datagram({
      source: '10.0.0.2',
      destination: options.destination ?? '10.0.0.1',
      protocol: 17,
      payload: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
      moreFragments: options.more ?? true,
      fragmentOffset: options.offset ?? 0,
    }),
  );

/** The ICMPv4 messages among `frames`: type, code, addresses, link destination, quoted bytes. */
function icmp4(frames: Uint8Array[]) {
  return frames
    .filter((f) => f[12] === 0x08 && f[13] === 0x00 && f[23] === 1)
    .map((frame) => {
      const ip = Ipv4Packet.unchecked(frame.subarray(14));
      const icmp = Icmpv4Packet.unchecked(ip.payload);
      expect(icmp.verifyChecksum()).toBe(true);
      return {
        type: icmp.type,
        code: icmp.code,
        to: toHex(frame.subarray(0, 6)),
        ip: `${ip.sourceAddress >>> 24}.x -> ${ip.destinationAddress & 0xff}`,
        quoted: ip.payload.length - 8,
      };
    });
}

describe('IPv4: Time Exceeded on a reassembly timeout (RFC 792, RFC 1122 §3.3.2)', () => {
  // Regression (review 8): a timeout dropped the datagram silently.
  it('sends type 11 code 1 to the sender, quoting the first fragment, after 30 s', () => {
    const { send, seen, clock, pair } = setup();
    send(fragment4());
    clock.advance(29_999);
    pair.flush();
    expect(icmp4(seen)).toEqual([]);
    clock.advance(1);
    pair.flush();
    expect(icmp4(seen)).toEqual([
      { type: 11, code: 1, to: '02000000000b', ip: '10.x -> 2', quoted: 20 + 16 },
    ]);
  });

  for (const [name, frame] of [
    ['a datagram whose first fragment never came', () => fragment4({ offset: 2, more: false })],
    [
      'a first fragment that came as link broadcast',
      () => fragment4({ dstMac: 'ff:ff:ff:ff:ff:ff' }),
    ],
    ['a first fragment to the subnet broadcast', () => fragment4({ destination: '10.0.0.255' })],
  ] as const) {
    it(`sends nothing for ${name}`, () => {
      const { send, seen, clock, pair, stack } = setup();
      send(frame());
      clock.advance(30_000);
      pair.flush();
      expect(icmp4(seen)).toEqual([]);
      expect(stack.stats().ipv4.reassembly.timeouts).toBe(1);
    });
  }
});

/** An IPv6 packet to the stack whose payload is `payload` behind a first header of `firstHeader`. */
const frame6 = (
  firstHeader: number,
  payload: Uint8Array,
  destination = STACK_LL,
  dstMac = STACK_MAC,
) =>
  ethernetFrame(
    dstMac,
    PEER_MAC,
    0x86dd,
    ipv6Packet({ source: PEER_LL, destination, nextHeader: firstHeader, payload }),
  );

/** A Fragment header (next header, offset in bytes, M) followed by `data`. */
const fragmentHeader = (next: number, offset: number, more: boolean, data: Uint8Array) =>
  Uint8Array.from([next, 0, offset >> 8, (offset & 0xf8) | (more ? 1 : 0), 0, 0, 0, 7, ...data]);

/** The ICMPv6 errors among `frames`: type, code, pointer (rest), source and destination. */
function icmp6Errors(frames: Uint8Array[]) {
  return frames
    .filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[20] === 58)
    .map((frame) => {
      const ip = Ipv6Packet.unchecked(frame.subarray(14));
      const icmp = Icmpv6Packet.unchecked(ip.bytes.subarray(40, 40 + ip.payloadLength));
      expect(icmp.verifyChecksum(ip.sourceAddress, ip.destinationAddress)).toBe(true);
      return {
        type: icmp.type,
        code: icmp.code,
        rest: new DataView(icmp.bytes.buffer, icmp.bytes.byteOffset).getUint32(4),
        from: toHex(ip.sourceAddress),
        to: toHex(ip.destinationAddress),
      };
    })
    .filter((m) => m.type < 128);
}

const hex6 = (text: string) => toHex(parseIpv6Address(text)!);
const udpStart = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('IPv6: Time Exceeded on a reassembly timeout (RFC 8200 §4.5)', () => {
  // Regression (review 8): a timeout dropped the packet silently.
  it('sends type 3 code 1 to the source of the first fragment after 60 s', () => {
    const { send, seen, clock, pair } = setup();
    send(frame6(44, fragmentHeader(17, 0, true, udpStart)));
    clock.advance(59_999);
    pair.flush();
    expect(icmp6Errors(seen)).toEqual([]);
    clock.advance(1);
    pair.flush();
    expect(icmp6Errors(seen)).toEqual([
      { type: 3, code: 1, rest: 0, from: hex6(STACK_LL), to: hex6(PEER_LL) },
    ]);
  });

  it('sends nothing when the first fragment never came, or came to a multicast group', () => {
    const { send, seen, clock, pair, stack } = setup();
    send(frame6(44, fragmentHeader(17, 16, false, udpStart)));
    send(frame6(44, fragmentHeader(17, 0, true, udpStart), 'ff02::1', '33:33:00:00:00:01'));
    clock.advance(60_000);
    pair.flush();
    expect(icmp6Errors(seen)).toEqual([]);
    expect(stack.stats().ipv6.reassembly.timeouts).toBe(2);
  });
});

describe('IPv6: the first fragment holds the whole header chain (RFC 7112)', () => {
  // Regression (review 8): such first fragments were held for reassembly.
  it('drops a first fragment cut inside the UDP header; Parameter Problem code 3, pointer 0', () => {
    const { send, seen, stack } = setup();
    send(
      frame6(44, fragmentHeader(17, 0, true, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8).subarray(0, 8))),
    );
    expect(icmp6Errors(seen)).toEqual([]); // 8 bytes of UDP header: enough
    seen.length = 0;
    const cut = Uint8Array.from([...fragmentHeader(17, 0, true, new Uint8Array(0))]);
    // An 8-byte fragment of data is the minimum M=1 allows; put a Destination
    // Options header there whose length runs past the fragment.
    const options = Uint8Array.of(17, 1, 1, 4, 0, 0, 0, 0);
    cut[0] = 60;
    send(frame6(44, Uint8Array.from([...cut, ...options])));
    expect(stack.stats().ipv6.drops['incomplete-header-chain']).toBe(1);
    expect(stack.stats().ipv6.reassembly.inProgress).toBe(1); // only the first, acceptable one
    expect(icmp6Errors(seen)).toEqual([
      { type: 4, code: 3, rest: 0, from: hex6(STACK_LL), to: hex6(PEER_LL) },
    ]);
  });

  it('drops a first fragment whose upper-layer header is cut (ICMPv6 with 0 bytes behind a header)', () => {
    const { send, seen, stack } = setup();
    // Destination Options (8 bytes) naming ICMPv6, then nothing of ICMPv6 in this fragment.
    const data = Uint8Array.of(58, 0, 1, 4, 0, 0, 0, 0);
    send(frame6(44, fragmentHeader(60, 0, true, data)));
    expect(stack.stats().ipv6.drops['incomplete-header-chain']).toBe(1);
    expect(icmp6Errors(seen).map((m) => [m.type, m.code])).toEqual([[4, 3]]);
  });

  it('sends no Parameter Problem about an incomplete chain sent to a multicast group', () => {
    const { send, seen, stack } = setup();
    const data = Uint8Array.of(58, 0, 1, 4, 0, 0, 0, 0);
    send(frame6(44, fragmentHeader(60, 0, true, data), 'ff02::1', '33:33:00:00:00:01'));
    expect(stack.stats().ipv6.drops['incomplete-header-chain']).toBe(1);
    expect(icmp6Errors(seen)).toEqual([]);
  });
});

describe('no Time Exceeded about a fragmented ICMP error (RFC 1122 §3.2.2, RFC 4443 §2.4 e.1)', () => {
  // Regression (review 4 of issue 9): the first fragment's context was kept
  // whatever it carried, so a timeout answered an ICMP error with an error.
  const icmpFirstFragment4 = (type: number) => {
    const payload = new Uint8Array(8 + 32);
    payload[0] = type;
    return ethernetFrame(
      STACK_MAC,
      PEER_MAC,
      0x0800,
      ipv4Datagram({
        source: '10.0.0.2',
        destination: '10.0.0.1',
        protocol: 1,
        payload,
        moreFragments: true,
        identification: 5,
      }),
    );
  };

  for (const type of [3, 4, 5, 11, 12]) {
    it(`IPv4: a lone first fragment of ICMP type ${type} times out silently`, () => {
      const { send, seen, clock, pair, stack } = setup();
      send(icmpFirstFragment4(type));
      clock.advance(30_000);
      pair.flush();
      expect(icmp4(seen)).toEqual([]);
      expect(stack.stats().ipv4.reassembly.timeouts).toBe(1);
    });
  }

  it('IPv4: a lone first fragment of an echo request (type 8) still gets Time Exceeded', () => {
    const { send, seen, clock, pair } = setup();
    send(icmpFirstFragment4(8));
    clock.advance(30_000);
    pair.flush();
    expect(icmp4(seen).map((m) => [m.type, m.code])).toEqual([[11, 1]]);
  });

  it('IPv6: a first fragment of an ICMPv6 error times out silently, wherever the chain names it', () => {
    const { send, seen, clock, pair, stack } = setup();
    const body = new Uint8Array(8 + 40);
    body[0] = 1; // Destination Unreachable
    const options = (next: number) => Uint8Array.of(next, 0, 1, 4, 0, 0, 0, 0);
    const withId = (header: Uint8Array, id: number) => {
      header[7] = id;
      return header;
    };
    // Fragment, ICMPv6; Fragment, Destination Options, ICMPv6; Destination Options, Fragment, ICMPv6.
    send(frame6(44, withId(fragmentHeader(58, 0, true, body), 1)));
    send(
      frame6(
        44,
        withId(fragmentHeader(60, 0, true, Uint8Array.from([...options(58), ...body])), 2),
      ),
    );
    send(
      frame6(
        60,
        Uint8Array.from([...options(44), ...withId(fragmentHeader(58, 0, true, body), 3)]),
      ),
    );
    clock.advance(60_000);
    pair.flush();
    expect(icmp6Errors(seen)).toEqual([]);
    expect(stack.stats().ipv6.reassembly.timeouts).toBe(3);
  });

  it('IPv6: a first fragment of an echo request (type 128) still gets Time Exceeded', () => {
    const { send, seen, clock, pair } = setup();
    const body = new Uint8Array(8 + 40);
    body[0] = 128;
    send(frame6(44, fragmentHeader(58, 0, true, body)));
    clock.advance(60_000);
    pair.flush();
    expect(icmp6Errors(seen).map((m) => [m.type, m.code])).toEqual([[3, 1]]);
  });
});
