/**
 * RFC 1122 §3.2.1.3 / §3.2.2 and RFC 8200 / RFC 4443 at the binding level:
 * which sources are dropped, when an ICMP error may (and may not) be sent,
 * atomic fragments, unknown next headers and Hop-by-Hop option actions.
 */
import { describe, expect, it } from 'vitest';
import {
  createStackHarness,
  ethernetFrame,
  icmpv4Echo,
  icmpv6Message,
  ipv4Datagram,
  ipv6Packet,
  udp4,
  udp6,
} from '../testing/index.js';
import { Ipv6Packet, type Icmpv6Message } from '../wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';

const setup = () =>
  createStackHarness({
    ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    limits: { ipv4: { icmpErrorBurst: 100 }, ipv6: { icmpErrorBurst: 100 } },
  });

const ping4 = (source: string, dstMac = STACK_MAC) =>
  ethernetFrame(
    dstMac,
    PEER_MAC,
    0x0800,
    ipv4Datagram({
      source,
      destination: '10.0.0.1',
      protocol: 1,
      payload: icmpv4Echo(8, 1, 1, Uint8Array.of(1)),
    }),
  );

const closedPort4 = (source: string, dstMac = STACK_MAC, fragment?: { offset: number }) =>
  ethernetFrame(
    dstMac,
    PEER_MAC,
    0x0800,
    ipv4Datagram({
      source,
      destination: '10.0.0.1',
      protocol: 17,
      payload: udp4(source, 4000, '10.0.0.1', 9, Uint8Array.of(1)),
      ...(fragment && { fragmentOffset: fragment.offset }),
    }),
  );

describe('IPv4: sources a host must drop (RFC 1122 §3.2.1.3)', () => {
  for (const source of [
    '0.0.0.0',
    '127.0.0.1',
    '127.9.9.9',
    '240.0.0.1',
    '255.255.255.255',
    '224.0.0.1',
    '239.1.2.3',
    '10.0.0.255', // the subnet broadcast of an own address
    // Regressions (review 7): all of 0/8 is "this network", and our own address is a loop or a spoof.
    '0.1.2.3',
    '0.255.255.255',
    '10.0.0.1',
  ]) {
    it(`drops a ping and a UDP datagram from ${source}, counts them, and answers nothing`, () => {
      const { send, seen, stack } = setup();
      const socket = stack.udp.bind({ port: 7 });
      send(ping4(source));
      send(closedPort4(source));
      send(
        ethernetFrame(
          STACK_MAC,
          PEER_MAC,
          0x0800,
          ipv4Datagram({
            source,
            destination: '10.0.0.1',
            protocol: 17,
            payload: udp4(source, 4000, '10.0.0.1', 7, Uint8Array.of(1)),
          }),
        ),
      );
      expect(seen).toEqual([]);
      expect(socket.stats().received).toBe(0);
      expect(stack.stats().ipv4.drops['bad-source']).toBe(3);
      expect(stack.stats().ipv4.icmpErrorsSent).toBe(0);
    });
  }

  it('still answers an ordinary source', () => {
    const { send, seen } = setup();
    send(ping4('10.0.0.2'));
    send(closedPort4('10.0.0.2'));
    expect(seen).toHaveLength(2);
  });
});

describe('IPv4: when no ICMP error is sent (RFC 1122 §3.2.2)', () => {
  it('sends port unreachable for a directed frame, none for one that came as link broadcast', () => {
    const { send, seen, stack } = setup();
    send(closedPort4('10.0.0.2', 'ff:ff:ff:ff:ff:ff'));
    expect(seen).toEqual([]);
    send(closedPort4('10.0.0.2'));
    expect(seen).toHaveLength(1);
    expect(stack.stats().ipv4.icmpErrorsSent).toBe(1);
  });

  it('sends none about a fragment other than the first', () => {
    const { send, seen, stack } = setup();
    send(closedPort4('10.0.0.2', STACK_MAC, { offset: 8 }));
    expect(seen).toEqual([]);
    expect(stack.stats().ipv4.reassembly.inProgress).toBe(1);
  });

  it('sends none about an ICMP error or any ICMP message', () => {
    const { send, seen } = setup();
    const unreachable = new Uint8Array(8 + 28);
    unreachable[0] = 3;
    unreachable[1] = 3;
    // A checksum over the message (type 3 code 3, zeros otherwise).
    unreachable[2] = 0xfc;
    unreachable[3] = 0xfc;
    send(
      ethernetFrame(
        STACK_MAC,
        PEER_MAC,
        0x0800,
        ipv4Datagram({
          source: '10.0.0.2',
          destination: '10.0.0.1',
          protocol: 1,
          payload: unreachable,
        }),
      ),
    );
    expect(seen).toEqual([]);
  });
});

// --- IPv6 -------------------------------------------------------------------

const echo6: Icmpv6Message = {
  kind: 'echo-request',
  code: 0,
  identifier: 1,
  sequenceNumber: 1,
  data: Uint8Array.of(5, 6),
};

/** An IPv6 frame to the stack with `headers` (extension header bytes) before `upper` of protocol `upperType`. */
function frame6(options: {
  source?: string;
  destination?: string;
  dstMac?: string;
  firstHeader: number;
  headers?: Uint8Array;
  upper: Uint8Array;
}) {
  const headers = options.headers ?? new Uint8Array(0);
  const payload = new Uint8Array(headers.length + options.upper.length);
  payload.set(headers, 0);
  payload.set(options.upper, headers.length);
  return ethernetFrame(
    options.dstMac ?? STACK_MAC,
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source: options.source ?? PEER_LL,
      destination: options.destination ?? STACK_LL,
      nextHeader: options.firstHeader,
      payload,
    }),
  );
}

const icmp6 = (message: Icmpv6Message, source = PEER_LL, destination = STACK_LL) =>
  icmpv6Message(source, destination, message);

/** A Hop-by-Hop (or Destination Options) header: next header, one option of `type` with 4 data bytes. */
const optionsHeader = (next: number, type: number) => Uint8Array.of(next, 0, type, 4, 0, 0, 0, 0);

/** A Fragment header: next header, offset (in 8-byte units), M flag. */
const fragmentHeader = (next: number, offset: number, more: boolean) =>
  Uint8Array.of(next, 0, (offset << 3) >> 8, ((offset << 3) & 0xff) | (more ? 1 : 0), 0, 0, 0, 42);

/** The ICMPv6 messages the stack sent: type, code, and the 32-bit rest (the pointer of Parameter Problem). */
function icmpSent(seen: Uint8Array[]) {
  return seen.map((frame) => {
    const ip = Ipv6Packet.unchecked(frame.subarray(14));
    const icmp = ip.bytes.subarray(40);
    return {
      type: icmp[0],
      code: icmp[1],
      rest: new DataView(icmp.buffer, icmp.byteOffset).getUint32(4),
      to: Array.from(ip.destinationAddress.subarray(14)),
    };
  });
}

describe('IPv6: sources and fragments', () => {
  it('drops an echo request and a UDP datagram from :: (counted), and delivers neither', () => {
    const { send, seen, stack } = setup();
    const socket = stack.udp.bind({ port: 7 });
    send(frame6({ source: '::', firstHeader: 58, upper: icmp6(echo6, '::') }));
    send(
      frame6({
        source: '::',
        firstHeader: 17,
        upper: udp6('::', 4000, STACK_LL, 7, Uint8Array.of(1)),
      }),
    );
    send(
      frame6({
        source: '::',
        firstHeader: 17,
        upper: udp6('::', 4000, STACK_LL, 9, Uint8Array.of(1)),
      }),
    );
    expect(seen).toEqual([]);
    expect(socket.stats().received).toBe(0);
    expect(stack.stats().ipv6.drops['bad-source']).toBe(3);
  });

  for (const source of ['::ffff:10.0.0.2', '::ffff:0.0.0.0', STACK_LL]) {
    // Regression (review 7): IPv4-mapped sources and our own address were answered.
    it(`drops an echo request and UDP from ${source} (counted), answering nothing`, () => {
      const { send, seen, stack } = setup();
      const socket = stack.udp.bind({ port: 7 });
      send(frame6({ source, firstHeader: 58, upper: icmp6(echo6, source) }));
      send(
        frame6({
          source,
          firstHeader: 17,
          upper: udp6(source, 4000, STACK_LL, 7, Uint8Array.of(1)),
        }),
      );
      send(
        frame6({
          source,
          firstHeader: 17,
          upper: udp6(source, 4000, STACK_LL, 9, Uint8Array.of(1)),
        }),
      );
      expect(seen).toEqual([]);
      expect(socket.stats().received).toBe(0);
      expect(stack.stats().ipv6.drops['bad-source']).toBe(3);
      expect(stack.stats().ipv6.icmpErrorsSent).toBe(0);
    });
  }

  it('drops ::1 as a source', () => {
    const { send, seen, stack } = setup();
    send(frame6({ source: '::1', firstHeader: 58, upper: icmp6(echo6, '::1') }));
    expect(seen).toEqual([]);
    expect(stack.stats().ipv6.drops['bad-source']).toBe(1);
  });

  it('processes an atomic fragment as the packet it carries (RFC 6946)', () => {
    const { send, seen, stack } = setup();
    send(frame6({ firstHeader: 44, headers: fragmentHeader(58, 0, false), upper: icmp6(echo6) }));
    expect(icmpSent(seen).map((m) => m.type)).toEqual([129]);
    expect(stack.stats().ipv6.echoReplies).toBe(1);
  });

  it('a malformed fragment is dropped with Parameter Problem code 0 at the Payload Length; a later one waits', () => {
    const { send, seen, stack } = setup();
    const upper = udp6(PEER_LL, 4000, STACK_LL, 9, Uint8Array.of(1));
    send(frame6({ firstHeader: 44, headers: fragmentHeader(17, 0, true), upper }));
    send(frame6({ firstHeader: 44, headers: fragmentHeader(17, 2, false), upper }));
    // RFC 8200 §4.5 (review 4 of issue 9): the malformed one was dropped silently before.
    expect(icmpSent(seen)).toEqual([{ type: 4, code: 0, rest: 4, to: [0, 0x0b] }]);
    expect(stack.stats().ipv6.drops['bad-fragment']).toBe(1); // M set, 9 bytes: not a multiple of 8
    expect(stack.stats().ipv6.reassembly.inProgress).toBe(1);
  });
});

describe('IPv6: unknown next header (RFC 8200 §4)', () => {
  it('answers Parameter Problem code 1 pointing at the Next Header field', () => {
    const { send, seen, stack } = setup();
    send(frame6({ firstHeader: 253, upper: new Uint8Array(8) }));
    // Behind a Destination Options header the field is that header's first byte, at 40.
    send(frame6({ firstHeader: 60, headers: optionsHeader(253, 1), upper: new Uint8Array(8) }));
    expect(icmpSent(seen)).toEqual([
      { type: 4, code: 1, rest: 6, to: [0, 0x0b] },
      { type: 4, code: 1, rest: 40, to: [0, 0x0b] },
    ]);
    expect(stack.stats().ipv6.drops['unknown-next-header']).toBe(2);
  });

  it('sends none for a packet to a multicast address', () => {
    const { send, seen } = setup();
    send(
      frame6({
        destination: 'ff02::1',
        dstMac: '33:33:00:00:00:01',
        firstHeader: 253,
        upper: new Uint8Array(8),
      }),
    );
    expect(seen).toEqual([]);
  });
});

describe('IPv6: Hop-by-Hop option action bits (RFC 8200 §4.2)', () => {
  const withOption = (type: number, destination = STACK_LL, dstMac = STACK_MAC) =>
    frame6({
      destination,
      dstMac,
      firstHeader: 0,
      headers: optionsHeader(58, type),
      upper: icmp6(echo6, PEER_LL, destination),
    });

  it('00: skips the option and processes the packet', () => {
    const { send, seen } = setup();
    send(withOption(0x1e));
    expect(icmpSent(seen).map((m) => m.type)).toEqual([129]);
  });

  it('01: discards the packet silently', () => {
    const { send, seen, stack } = setup();
    send(withOption(0x5e));
    expect(seen).toEqual([]);
    expect(stack.stats().ipv6.drops['unknown-option']).toBe(1);
  });

  it('10: discards and sends Parameter Problem code 2, even to a multicast destination', () => {
    const { send, seen } = setup();
    send(withOption(0x9e));
    send(withOption(0x9e, 'ff02::1', '33:33:00:00:00:01'));
    expect(icmpSent(seen)).toEqual([
      { type: 4, code: 2, rest: 42, to: [0, 0x0b] },
      { type: 4, code: 2, rest: 42, to: [0, 0x0b] },
    ]);
  });

  it('11: discards and sends Parameter Problem code 2 only when not to multicast', () => {
    const { send, seen, stack } = setup();
    send(withOption(0xde, 'ff02::1', '33:33:00:00:00:01'));
    expect(seen).toEqual([]);
    send(withOption(0xde));
    expect(icmpSent(seen)).toEqual([{ type: 4, code: 2, rest: 42, to: [0, 0x0b] }]);
    expect(stack.stats().ipv6.drops['unknown-option']).toBe(2);
  });

  it('sends no Parameter Problem about an ICMPv6 error message', () => {
    const { send, seen } = setup();
    const error: Icmpv6Message = {
      kind: 'destination-unreachable',
      code: 4,
      unused: 0,
      original: new Uint8Array(48),
    };
    send(frame6({ firstHeader: 0, headers: optionsHeader(58, 0xde), upper: icmp6(error) }));
    expect(seen).toEqual([]);
  });
});
