/**
 * Properties of the link-layer formats in src/wire:
 * 1. no decoder throws, whatever the bytes (DESIGN.md error tier 1), and no
 *    getter of a view that `checked` accepted reads out of bounds;
 * 2. for any valid header object, parse(emit(h)) gives h back, unknown values,
 *    options and reserved bits included;
 * 3. a checksum filled in place verifies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArpPacket,
  EapolPacket,
  EthernetFrame,
  Icmpv4Packet,
  Icmpv6Packet,
  Ipv4Packet,
  Ipv6Packet,
  UdpDatagram,
  VxlanPacket,
  arpHeaderLength,
  emitArp,
  emitEapol,
  emitEthernet,
  emitIcmpv4,
  emitIcmpv6,
  emitIpv4,
  emitIpv6,
  emitUdp,
  emitVxlan,
  ethernetHeaderLength,
  icmpv4MessageLength,
  icmpv6MessageLength,
  internetChecksum,
  ipv4HeaderLength,
  parseArp,
  parseEapol,
  parseEthernet,
  parseIcmpv4,
  parseIcmpv6,
  parseIpv4,
  parseIpv6,
  parseIpv6Address,
  formatIpv6Address,
  parseNdOptions,
  parseUdp,
  parseVxlan,
  verifyInternetChecksum,
  walkIpv4Options,
  walkIpv6Extensions,
  type ArpHeader,
  type EapolHeader,
  type EthernetHeader,
  type Icmpv4Message,
  type Icmpv6Message,
  type Ipv4Header,
  type Ipv6Header,
  type NdOption,
  type UdpHeader,
  type VxlanHeader,
} from '../../src/wire/index.js';

const runs = { numRuns: 300 };

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const mac = bytes(6, 6);
const ipv6Address = bytes(16, 16);

/** Arbitrary bytes, and arbitrary bytes whose first bytes look like the real thing. */
function garbage(prefixes: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    bytes(0, 120),
    fc
      .tuple(fc.constantFrom(...prefixes), bytes(0, 120), fc.nat({ max: 200 }))
      .map(([prefix, rest, cut]) => {
        const out = new Uint8Array(prefix.length + rest.length);
        out.set(prefix);
        out.set(rest, prefix.length);
        return out.subarray(0, Math.min(out.length, cut));
      }),
  );
}

/** Reads every getter of a view: none may throw once `checked` has accepted the bytes. */
function touchGetters(view: object): void {
  const descriptors = Object.getOwnPropertyDescriptors(Object.getPrototypeOf(view));
  for (const descriptor of Object.values(descriptors)) descriptor.get?.call(view);
}

describe('decoders never throw', () => {
  it('Ethernet', () => {
    const prefixes = [new Uint8Array(12).fill(0xff)];
    fc.assert(
      fc.property(
        garbage([...prefixes, Uint8Array.of(...new Uint8Array(12), 0x88, 0xa8, 0, 1, 0x81, 0)]),
        (input) => {
          parseEthernet(input);
          const view = EthernetFrame.checked(input);
          if (view.ok) {
            touchGetters(view.value);
            for (let i = 0; i < view.value.vlanCount; i++) {
              view.value.vlanId(i);
              view.value.vlanPriority(i);
              view.value.vlanDei(i);
              view.value.vlanTpid(i);
            }
          }
        },
      ),
      runs,
    );
  });

  it('ARP', () => {
    fc.assert(
      fc.property(garbage([Uint8Array.of(0, 1, 8, 0, 6, 4, 0, 1)]), (input) => {
        parseArp(input);
        const view = ArpPacket.checked(input);
        if (view.ok) touchGetters(view.value);
      }),
      runs,
    );
  });

  it('IPv4 and its options', () => {
    fc.assert(
      fc.property(
        garbage([Uint8Array.of(0x45, 0, 0, 28), Uint8Array.of(0x4f, 0, 0, 80)]),
        (input) => {
          parseIpv4(input);
          parseIpv4(input, { verifyChecksum: false });
          walkIpv4Options(input);
          const view = Ipv4Packet.checked(input);
          if (view.ok) {
            touchGetters(view.value);
            view.value.verifyChecksum();
          }
        },
      ),
      runs,
    );
  });

  it('ICMPv4', () => {
    fc.assert(
      fc.property(garbage([Uint8Array.of(8, 0), Uint8Array.of(3, 3)]), (input) => {
        parseIcmpv4(input);
        parseIcmpv4(input, { verifyChecksum: false });
        const view = Icmpv4Packet.checked(input);
        if (view.ok) touchGetters(view.value);
      }),
      runs,
    );
  });

  it('IPv6 and its extension headers', () => {
    const header = new Uint8Array(40);
    header[0] = 0x60;
    header[5] = 48;
    header[6] = 0;
    fc.assert(
      fc.property(garbage([header]), fc.constantFrom(0, 43, 44, 51, 60, 59, 17), (input, next) => {
        parseIpv6(input);
        walkIpv6Extensions(next, input);
        const view = Ipv6Packet.checked(input);
        if (view.ok) touchGetters(view.value);
      }),
      runs,
    );
  });

  it('ICMPv6 and ND options', () => {
    const source = new Uint8Array(16);
    fc.assert(
      fc.property(
        garbage([Uint8Array.of(134, 0), Uint8Array.of(135, 0), Uint8Array.of(136, 0)]),
        (input) => {
          parseIcmpv6(input);
          parseIcmpv6(input, { sourceAddress: source, destinationAddress: source });
          parseNdOptions(input);
          const view = Icmpv6Packet.checked(input);
          if (view.ok) touchGetters(view.value);
        },
      ),
      runs,
    );
  });

  it('UDP, VXLAN and EAPOL', () => {
    fc.assert(
      fc.property(
        garbage([Uint8Array.of(0, 53, 0, 53, 0, 9), Uint8Array.of(8, 0, 0, 0)]),
        (input) => {
          parseUdp(input);
          parseVxlan(input);
          parseEapol(input);
          const udp = UdpDatagram.checked(input);
          if (udp.ok) {
            touchGetters(udp.value);
            udp.value.verifyChecksumIpv4(1, 2);
            udp.value.verifyChecksumIpv6(new Uint8Array(16), new Uint8Array(16));
          }
          const vxlan = VxlanPacket.checked(input);
          if (vxlan.ok) touchGetters(vxlan.value);
          const eapol = EapolPacket.checked(input);
          if (eapol.ok) touchGetters(eapol.value);
        },
      ),
      runs,
    );
  });

  it('address parsing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (text) => {
        const parsed = parseIpv6Address(text);
        if (parsed !== undefined)
          expect(parseIpv6Address(formatIpv6Address(parsed))).toEqual(parsed);
      }),
      runs,
    );
    fc.assert(
      fc.property(ipv6Address, (address) => {
        expect(parseIpv6Address(formatIpv6Address(address))).toEqual(address);
      }),
      runs,
    );
  });
});

// --- Arbitrary valid header objects ---------------------------------------

const isTpid = (value: number) => value === 0x8100 || value === 0x88a8;

const ethernetHeader: fc.Arbitrary<EthernetHeader> = fc
  .record({
    destination: mac,
    source: mac,
    vlanTags: fc.array(
      fc.record({
        tpid: fc.constantFrom(0x8100, 0x88a8),
        pcp: fc.integer({ min: 0, max: 7 }),
        dei: fc.boolean(),
        vid: fc.integer({ min: 0, max: 0xfff }),
      }),
      { maxLength: 2 },
    ),
    etherType: u16,
  })
  // After fewer than two tags, a TPID would announce another tag.
  .filter((header) => header.vlanTags.length === 2 || !isTpid(header.etherType));

const arpHeader: fc.Arbitrary<ArpHeader> = fc
  .tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 16 }))
  .chain(([hlen, plen]) =>
    fc.record({
      hardwareType: u16,
      protocolType: u16,
      operation: u16,
      senderHardwareAddress: bytes(hlen, hlen),
      senderProtocolAddress: bytes(plen, plen),
      targetHardwareAddress: bytes(hlen, hlen),
      targetProtocolAddress: bytes(plen, plen),
    }),
  );

const ipv4Header: fc.Arbitrary<Ipv4Header> = fc
  .tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 64 }))
  .chain(([words, payload]) =>
    fc.record({
      dscp: fc.integer({ min: 0, max: 63 }),
      ecn: fc.integer({ min: 0, max: 3 }),
      totalLength: fc.constant(20 + 4 * words + payload),
      identification: u16,
      reservedFlag: fc.boolean(),
      dontFragment: fc.boolean(),
      moreFragments: fc.boolean(),
      fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
      timeToLive: u8,
      protocol: u8,
      sourceAddress: u32,
      destinationAddress: u32,
      options: bytes(4 * words, 4 * words),
    }),
  );

const original = bytes(0, 48);
const icmpv4Message: fc.Arbitrary<Icmpv4Message> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
    code: u8,
    identifier: u16,
    sequenceNumber: u16,
    data: bytes(0, 48),
  }),
  fc.record({
    kind: fc.constant('destination-unreachable' as const),
    code: u8,
    unused: u16,
    nextHopMtu: u16,
    original,
  }),
  fc.record({ kind: fc.constant('time-exceeded' as const), code: u8, unused: u32, original }),
  fc.record({
    kind: fc.constant('other' as const),
    type: u8.filter((type) => ![0, 3, 8, 11].includes(type)),
    code: u8,
    rest: u32,
    data: bytes(0, 48),
  }),
);

const ipv6Header: fc.Arbitrary<Ipv6Header> = fc.record({
  trafficClass: u8,
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  payloadLength: fc.integer({ min: 0, max: 64 }),
  nextHeader: u8,
  hopLimit: u8,
  sourceAddress: ipv6Address,
  destinationAddress: ipv6Address,
});

/** Option bodies are 8k − 2 bytes. */
const optionBody = fc
  .integer({ min: 1, max: 3 })
  .chain((units) => bytes(8 * units - 2, 8 * units - 2));
const ndOption: fc.Arbitrary<NdOption> = fc.oneof(
  fc.record({
    kind: fc.constantFrom(
      'source-link-layer-address' as const,
      'target-link-layer-address' as const,
    ),
    address: optionBody,
  }),
  fc.record({
    kind: fc.constant('prefix-information' as const),
    prefixLength: u8,
    onLink: fc.boolean(),
    autonomous: fc.boolean(),
    reservedFlags: fc.integer({ min: 0, max: 0x3f }),
    validLifetime: u32,
    preferredLifetime: u32,
    reserved: u32,
    prefix: ipv6Address,
  }),
  fc.record({ kind: fc.constant('mtu' as const), reserved: u16, mtu: u32 }),
  fc.record({
    kind: fc.constant('other' as const),
    type: u8.filter((type) => ![1, 2, 3, 5].includes(type)),
    data: optionBody,
  }),
);
const ndOptions = fc.array(ndOption, { maxLength: 4 });

const icmpv6Message: fc.Arbitrary<Icmpv6Message> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
    code: u8,
    identifier: u16,
    sequenceNumber: u16,
    data: bytes(0, 48),
  }),
  fc.record({
    kind: fc.constantFrom('destination-unreachable' as const, 'time-exceeded' as const),
    code: u8,
    unused: u32,
    original,
  }),
  fc.record({ kind: fc.constant('packet-too-big' as const), code: u8, mtu: u32, original }),
  fc.record({ kind: fc.constant('parameter-problem' as const), code: u8, pointer: u32, original }),
  fc.record({
    kind: fc.constant('router-solicitation' as const),
    code: u8,
    reserved: u32,
    options: ndOptions,
  }),
  fc.record({
    kind: fc.constant('router-advertisement' as const),
    code: u8,
    currentHopLimit: u8,
    managed: fc.boolean(),
    other: fc.boolean(),
    reservedFlags: fc.integer({ min: 0, max: 0x3f }),
    routerLifetime: u16,
    reachableTime: u32,
    retransTimer: u32,
    options: ndOptions,
  }),
  fc.record({
    kind: fc.constant('neighbor-solicitation' as const),
    code: u8,
    reserved: u32,
    targetAddress: ipv6Address,
    options: ndOptions,
  }),
  fc.record({
    kind: fc.constant('neighbor-advertisement' as const),
    code: u8,
    router: fc.boolean(),
    solicited: fc.boolean(),
    override: fc.boolean(),
    reserved: fc.integer({ min: 0, max: 0x1fffffff }),
    targetAddress: ipv6Address,
    options: ndOptions,
  }),
  fc.record({
    kind: fc.constant('redirect' as const),
    code: u8,
    reserved: u32,
    targetAddress: ipv6Address,
    destinationAddress: ipv6Address,
    options: ndOptions,
  }),
  fc.record({
    kind: fc.constant('other' as const),
    type: u8.filter((type) => ![1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137].includes(type)),
    code: u8,
    body: bytes(4, 48),
  }),
);

const udpHeader: fc.Arbitrary<UdpHeader> = fc.record({
  sourcePort: u16,
  destinationPort: u16,
  length: fc.integer({ min: 8, max: 72 }),
  checksum: u16,
});

const vxlanHeader: fc.Arbitrary<VxlanHeader> = fc.record({
  flags: u8.map((flags) => flags | 0x08),
  reserved1: fc.integer({ min: 0, max: 0xffffff }),
  vni: fc.integer({ min: 0, max: 0xffffff }),
  reserved2: u8,
});

const eapolHeader: fc.Arbitrary<EapolHeader> = fc.record({
  version: u8,
  packetType: u8,
  bodyLength: fc.integer({ min: 0, max: 64 }),
});

describe('parse(emit(h)) is h', () => {
  it('Ethernet', () => {
    fc.assert(
      fc.property(ethernetHeader, (header) => {
        const out = new Uint8Array(ethernetHeaderLength(header));
        expect(emitEthernet(header, out)).toBe(out.length);
        const result = parseEthernet(out);
        expect(result.ok && result.value.header).toEqual(header);
      }),
      runs,
    );
  });

  it('ARP', () => {
    fc.assert(
      fc.property(arpHeader, (header) => {
        const out = new Uint8Array(arpHeaderLength(header));
        emitArp(header, out);
        expect(parseArp(out)).toEqual({ ok: true, value: header });
      }),
      runs,
    );
  });

  it('IPv4, options and reserved flag included', () => {
    fc.assert(
      fc.property(ipv4Header, fc.nat({ max: 8 }), (header, offset) => {
        const out = new Uint8Array(offset + header.totalLength);
        expect(emitIpv4(header, out, offset)).toBe(ipv4HeaderLength(header));
        const result = parseIpv4(out.subarray(offset));
        expect(result.ok && result.value.header).toEqual(header);
      }),
      runs,
    );
  });

  it('ICMPv4', () => {
    fc.assert(
      fc.property(icmpv4Message, (message) => {
        const out = new Uint8Array(icmpv4MessageLength(message));
        emitIcmpv4(message, out);
        expect(parseIcmpv4(out)).toEqual({ ok: true, value: message });
      }),
      runs,
    );
  });

  it('IPv6', () => {
    fc.assert(
      fc.property(ipv6Header, (header) => {
        const out = new Uint8Array(40 + header.payloadLength);
        emitIpv6(header, out);
        const result = parseIpv6(out);
        expect(result.ok && result.value.header).toEqual(header);
      }),
      runs,
    );
  });

  it('ICMPv6 and ND options, checksum verified', () => {
    fc.assert(
      fc.property(icmpv6Message, ipv6Address, ipv6Address, (message, source, destination) => {
        const addresses = { sourceAddress: source, destinationAddress: destination };
        const out = new Uint8Array(icmpv6MessageLength(message));
        emitIcmpv6(message, addresses, out);
        expect(parseIcmpv6(out, addresses)).toEqual({ ok: true, value: message });
      }),
      runs,
    );
  });

  it('UDP, VXLAN and EAPOL', () => {
    fc.assert(
      fc.property(udpHeader, vxlanHeader, eapolHeader, (udp, vxlan, eapol) => {
        const udpBytes = new Uint8Array(udp.length);
        emitUdp(udp, udpBytes);
        const parsedUdp = parseUdp(udpBytes);
        expect(parsedUdp.ok && parsedUdp.value.header).toEqual(udp);
        const vxlanBytes = new Uint8Array(8);
        emitVxlan(vxlan, vxlanBytes);
        const parsedVxlan = parseVxlan(vxlanBytes);
        expect(parsedVxlan.ok && parsedVxlan.value.header).toEqual(vxlan);
        const eapolBytes = new Uint8Array(4 + eapol.bodyLength);
        emitEapol(eapol, eapolBytes);
        const parsedEapol = parseEapol(eapolBytes);
        expect(parsedEapol.ok && parsedEapol.value.header).toEqual(eapol);
      }),
      runs,
    );
  });
});

describe('filled checksums verify', () => {
  it('the Internet checksum of any buffer, written at any even offset', () => {
    fc.assert(
      fc.property(bytes(2, 200), fc.nat(), (input, at) => {
        const data = input.slice();
        const where = (at % Math.floor(data.length / 2)) * 2;
        data[where] = 0;
        data[where + 1] = 0;
        const sum = internetChecksum(data);
        data[where] = sum >> 8;
        data[where + 1] = sum & 0xff;
        expect(verifyInternetChecksum(data)).toBe(true);
      }),
      runs,
    );
  });

  it('IPv4 headers, ICMPv4 messages and UDP over IPv4 and IPv6', () => {
    fc.assert(
      fc.property(
        ipv4Header,
        bytes(8, 80),
        u32,
        u32,
        ipv6Address,
        ipv6Address,
        (header, segment, source, destination, source6, destination6) => {
          const ip = new Uint8Array(header.totalLength);
          emitIpv4(header, ip);
          const ipView = Ipv4Packet.unchecked(ip);
          ipView.setTimeToLive((header.timeToLive + 1) & 0xff);
          ipView.fillChecksum();
          expect(ipView.verifyChecksum()).toBe(true);

          const icmp = Icmpv4Packet.unchecked(segment.slice());
          icmp.fillChecksum();
          expect(icmp.verifyChecksum()).toBe(true);

          const datagram = segment.slice();
          const udp = UdpDatagram.unchecked(datagram);
          udp.setLength(datagram.length);
          udp.fillChecksumIpv4(source, destination);
          expect(udp.checksum).not.toBe(0);
          expect(udp.verifyChecksumIpv4(source, destination)).toBe(true);
          udp.fillChecksumIpv6(source6, destination6);
          expect(udp.verifyChecksumIpv6(source6, destination6)).toBe(true);

          const icmp6 = Icmpv6Packet.unchecked(segment.slice());
          icmp6.fillChecksum(source6, destination6);
          expect(icmp6.verifyChecksum(source6, destination6)).toBe(true);
        },
      ),
      runs,
    );
  });
});
