import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import {
  arpPacket,
  createLinkPair,
  ethernetFrame,
  icmpv4Echo,
  ipv4Datagram,
  udp4,
  VirtualClock,
  type LinkPairOptions,
} from '../testing/index.js';
import { verifyInternetChecksum } from '../wire/index.js';
import { createStack, type StackLimits } from './stack.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';

function setup(limits?: StackLimits, pairOptions?: LinkPairOptions) {
  const clock = new VirtualClock();
  const pair = createLinkPair(pairOptions);
  const stack = createStack({
    adapter: pair.a,
    clock,
    ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    ipv6LinkLocal: false,
    ...(limits && { limits }),
  });
  const seen: Uint8Array[] = [];
  pair.b.tap((frame) => seen.push(frame.slice()));
  pair.flush();
  seen.length = 0;
  const send = (frame: Uint8Array) => {
    pair.b.send(frame);
    pair.flush();
  };
  return { clock, pair, stack, seen, send };
}

const toStack = (payload: Uint8Array, padTo = 0) =>
  ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, payload, padTo);

function ping(size: number, destination = '10.0.0.1') {
  const data = Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff);
  return ipv4Datagram({
    source: '10.0.0.2',
    destination,
    protocol: 1,
    payload: icmpv4Echo(8, 0x4242, 7, data),
  });
}

describe('Ipv4Binding: echo', () => {
  for (const size of [0, 1, 56, 1472]) {
    it(`answers a ${size}-byte ping with an exact reply of the same size`, () => {
      const { send, seen, stack } = setup();
      const request = toStack(ping(size));
      send(request);
      expect(seen).toHaveLength(1);
      const reply = seen[0]!;
      expect(reply.length).toBe(request.length);
      expect(toHex(reply.subarray(0, 12))).toBe('02000000000b02000000000a');
      const ip = reply.subarray(14, 34);
      expect(verifyInternetChecksum(ip)).toBe(true);
      expect(toHex(ip.subarray(12, 20))).toBe('0a0000010a000002');
      expect(ip[9]).toBe(1);
      const icmp = reply.subarray(34);
      expect(icmp[0]).toBe(0);
      expect(verifyInternetChecksum(icmp)).toBe(true);
      // Identifier, sequence and data unchanged.
      expect(toHex(icmp.subarray(4))).toBe(toHex(request.subarray(38)));
      expect(stack.ipv4.stats()).toMatchObject({ echoRequests: 1, echoReplies: 1 });
    });
  }

  it('ignores Ethernet padding: a 60-byte frame holding a 28-byte ping gets a 42-byte reply', () => {
    const { send, seen } = setup();
    const request = toStack(ping(0), 60);
    expect(request.length).toBe(60);
    send(request);
    expect(seen[0]?.length).toBe(42);
    expect(verifyInternetChecksum(seen[0]!.subarray(34))).toBe(true);
  });

  it('works on a lookahead adapter, fetching the rest with transferData', () => {
    const { send, seen, pair } = setup(undefined, { a: { indication: 'lookahead' } });
    send(toStack(ping(1000)));
    expect(seen[0]?.length).toBe(14 + 20 + 8 + 1000);
    expect(verifyInternetChecksum(seen[0]!.subarray(34))).toBe(true);
    expect(pair.a.stats().bindings.find((b) => b.name === 'ipv4')?.transfers).toBe(1);
  });

  it('does not answer pings to the broadcast address', () => {
    const { send, seen, stack } = setup();
    send(ethernetFrame('ff:ff:ff:ff:ff:ff', PEER_MAC, 0x0800, ping(8, '10.0.0.255')));
    expect(seen).toEqual([]);
    expect(stack.ipv4.stats().echoRequests).toBe(1);
  });
});

describe('Ipv4Binding: drops', () => {
  it('drops a datagram with a bad header checksum, counted', () => {
    const { send, seen, stack, pair } = setup();
    const bad = ping(8);
    bad[10]! ^= 0xff;
    send(toStack(bad));
    expect(seen).toEqual([]);
    expect(stack.ipv4.stats().drops['bad-checksum']).toBe(1);
    expect(pair.a.stats().unclaimed).toBe(1);
  });

  it('trusts the adapter when it says the header checksum was verified', () => {
    const { pair, stack } = setup();
    const bad = ping(8);
    bad[10]! ^= 0xff;
    pair.a.indicate(toStack(bad), { oob: { checksumVerified: { ipv4: true } } });
    expect(stack.ipv4.stats()).toMatchObject({ echoReplies: 1 });
  });

  it('reassembles fragments before handling the datagram (see ipv4-fragments.test.ts)', () => {
    const { send, seen, stack } = setup();
    const first = ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 1,
      payload: icmpv4Echo(8, 1, 1, new Uint8Array(16)),
      moreFragments: true,
    });
    const later = ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 1,
      payload: new Uint8Array(16),
      fragmentOffset: 3,
    });
    send(toStack(first));
    expect(seen).toEqual([]);
    send(toStack(later));
    // 24 + 16 bytes of ICMP (zeros do not change the checksum): one echo reply.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.length).toBe(14 + 20 + 40);
    expect(stack.ipv4.stats()).toMatchObject({ echoReplies: 1, reassembly: { reassembled: 1 } });
  });

  it('rejects datagrams for other addresses and truncated ones', () => {
    const { send, stack } = setup();
    send(toStack(ping(8, '10.0.0.9')));
    send(toStack(ping(8).subarray(0, 30)));
    expect(stack.ipv4.stats().drops).toMatchObject({ 'not-for-us': 1, truncated: 1 });
  });

  it('drops a bad ICMP checksum', () => {
    const { send, seen, stack } = setup();
    const bad = ping(8);
    bad[30]! ^= 1;
    send(toStack(bad));
    expect(seen).toEqual([]);
    expect(stack.ipv4.stats().drops['bad-icmp-checksum']).toBe(1);
  });
});

describe('Ipv4Binding: UDP', () => {
  const datagram = (port: number, data: Uint8Array, destination = '10.0.0.1') =>
    toStack(
      ipv4Datagram({
        source: '10.0.0.2',
        destination,
        protocol: 17,
        payload: udp4('10.0.0.2', 5555, destination, port, data),
      }),
    );

  it('delivers to a bound socket with its meta, and the reply goes back', () => {
    const { send, seen, stack } = setup();
    const socket = stack.udp.bind({ port: 7 });
    const op = socket.receive();
    // The peer ARPs for us first (as a kernel would), so the stack knows its MAC.
    send(
      ethernetFrame(
        'ff:ff:ff:ff:ff:ff',
        PEER_MAC,
        0x0806,
        arpPacket({
          operation: 1,
          senderMac: PEER_MAC,
          senderIp: '10.0.0.2',
          targetIp: '10.0.0.1',
        }),
      ),
    );
    seen.length = 0;
    send(datagram(7, new TextEncoder().encode('hi'), '10.0.0.1'));
    expect(op.result).toMatchObject({
      status: 'data',
      meta: { address: '10.0.0.2', port: 5555, family: 4 },
    });
    expect(op.result?.status === 'data' && new TextDecoder().decode(op.result.data)).toBe('hi');
    expect(socket.send(new TextEncoder().encode('yo'), { address: '10.0.0.2', port: 5555 })).toBe(
      'sent',
    );
    expect(seen).toHaveLength(0);
  });

  it('sends a UDP reply with valid checksums to the peer', () => {
    const { send, seen, stack, pair } = setup();
    const socket = stack.udp.bind({ port: 7 });
    send(
      ethernetFrame(
        'ff:ff:ff:ff:ff:ff',
        PEER_MAC,
        0x0806,
        arpPacket({
          operation: 1,
          senderMac: PEER_MAC,
          senderIp: '10.0.0.2',
          targetIp: '10.0.0.1',
        }),
      ),
    );
    seen.length = 0;
    socket.send(Uint8Array.of(1, 2, 3), { address: '10.0.0.2', port: 5555 });
    pair.flush();
    const frame = seen[0]!;
    expect(frame.length).toBe(14 + 20 + 8 + 3);
    expect(toHex(frame.subarray(0, 6))).toBe('02000000000b');
    expect(verifyInternetChecksum(frame.subarray(14, 34))).toBe(true);
    const expected = udp4('10.0.0.1', 7, '10.0.0.2', 5555, Uint8Array.of(1, 2, 3));
    expect(toHex(frame.subarray(34))).toBe(toHex(expected));
  });

  it('accepts a datagram without a UDP checksum, and to the limited broadcast', () => {
    const { send, stack } = setup();
    const socket = stack.udp.bind({ port: 67 });
    send(
      toStack(
        ipv4Datagram({
          source: '10.0.0.2',
          destination: '10.0.0.1',
          protocol: 17,
          payload: udp4('10.0.0.2', 68, '10.0.0.1', 67, Uint8Array.of(9), 0),
        }),
      ),
    );
    send(
      ethernetFrame(
        'ff:ff:ff:ff:ff:ff',
        PEER_MAC,
        0x0800,
        ipv4Datagram({
          source: '10.0.0.2',
          destination: '255.255.255.255',
          protocol: 17,
          payload: udp4('10.0.0.2', 68, '255.255.255.255', 67, Uint8Array.of(8)),
        }),
      ),
    );
    expect(socket.stats().received).toBe(2);
  });

  it('drops a bad UDP checksum', () => {
    const { send, stack } = setup();
    stack.udp.bind({ port: 7 });
    const frame = datagram(7, Uint8Array.of(1, 2));
    frame[frame.length - 1]! ^= 1;
    send(frame);
    expect(stack.ipv4.stats().drops['bad-udp-checksum']).toBe(1);
  });

  it('answers an unbound port with port unreachable quoting the datagram, rate-limited', () => {
    const { send, seen, stack, clock } = setup({
      ipv4: { icmpErrorsPerSecond: 1, icmpErrorBurst: 2 },
    });
    const request = datagram(9999, Uint8Array.of(1, 2, 3, 4));
    for (let i = 0; i < 5; i++) send(request);
    expect(seen).toHaveLength(2);
    const error = seen[0]!;
    expect(verifyInternetChecksum(error.subarray(14, 34))).toBe(true);
    const icmp = error.subarray(34);
    expect([icmp[0], icmp[1]]).toEqual([3, 3]);
    expect(verifyInternetChecksum(icmp)).toBe(true);
    expect(toHex(icmp.subarray(8))).toBe(toHex(request.subarray(14)));
    expect(stack.ipv4.stats().drops).toMatchObject({ 'no-socket': 5, 'icmp-rate-limited': 3 });
    clock.advance(1_000);
    send(request);
    expect(seen).toHaveLength(3);
  });

  it('does not send port unreachable for broadcasts', () => {
    const { send, seen } = setup();
    send(
      ethernetFrame(
        'ff:ff:ff:ff:ff:ff',
        PEER_MAC,
        0x0800,
        ipv4Datagram({
          source: '10.0.0.2',
          destination: '10.0.0.255',
          protocol: 17,
          payload: udp4('10.0.0.2', 1, '10.0.0.255', 2, new Uint8Array(0)),
        }),
      ),
    );
    expect(seen).toEqual([]);
  });

  it('drops sends to destinations off every own subnet (no gateway yet), counted', () => {
    const { stack } = setup();
    const socket = stack.udp.bind({});
    expect(socket.send(Uint8Array.of(1), { address: '192.0.2.1', port: 9 })).toBe('dropped');
    expect(stack.ipv4.stats().sendDrops['no-route']).toBe(1);
    expect(socket.stats().sendDrops).toBe(1);
  });

  it('queues a send while ARP resolves, then sends it', () => {
    const { stack, seen, pair, send } = setup();
    const socket = stack.udp.bind({ port: 7 });
    expect(socket.send(Uint8Array.of(1), { address: '10.0.0.2', port: 9 })).toBe('queued');
    pair.flush();
    expect(seen.map((f) => f[13])).toEqual([0x06]);
    send(
      ethernetFrame(
        STACK_MAC,
        PEER_MAC,
        0x0806,
        arpPacket({
          operation: 2,
          senderMac: PEER_MAC,
          senderIp: '10.0.0.2',
          targetMac: STACK_MAC,
          targetIp: '10.0.0.1',
        }),
      ),
    );
    expect(seen.map((f) => f[13])).toEqual([0x06, 0x00]);
  });
});
