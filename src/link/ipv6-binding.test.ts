import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import {
  createLinkPair,
  ethernetFrame,
  icmpv6Message,
  ipv6Packet,
  udp6,
  VirtualClock,
} from '../testing/index.js';
import { parseIpv6Address, parseMac, type Icmpv6Message } from '../wire/index.js';
import { linkLocalFromMac } from './ipv6-binding.js';
import { createStack, type StackOptions } from './stack.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';
const STACK_SN = 'ff02::1:ff00:a';

const mac = (text: string) => parseMac(text)!;
const ip6 = (text: string) => parseIpv6Address(text)!;

function setup(options: Partial<StackOptions> = {}, settle = true) {
  const clock = new VirtualClock();
  const pair = createLinkPair();
  const stack = createStack({ adapter: pair.a, clock, ...options });
  const seen: Uint8Array[] = [];
  pair.b.tap((frame) => seen.push(frame.slice()));
  pair.flush();
  if (settle) {
    clock.advance(1_000); // DAD done
    pair.flush();
    seen.length = 0;
  }
  const send = (frame: Uint8Array) => {
    pair.b.send(frame);
    pair.flush();
  };
  return { clock, pair, stack, seen, send };
}

function icmpFrame(
  source: string,
  destination: string,
  message: Icmpv6Message,
  options: { hopLimit?: number; dstMac?: string; srcMac?: string } = {},
) {
  return ethernetFrame(
    options.dstMac ?? STACK_MAC,
    options.srcMac ?? PEER_MAC,
    0x86dd,
    ipv6Packet({
      source,
      destination,
      nextHeader: 58,
      hopLimit: options.hopLimit ?? 255,
      payload: icmpv6Message(source, destination, message),
    }),
  );
}

const ns = (
  source: string,
  destination: string,
  target: string,
  withSource = true,
): Icmpv6Message => ({
  kind: 'neighbor-solicitation',
  code: 0,
  reserved: 0,
  targetAddress: ip6(target),
  options: withSource ? [{ kind: 'source-link-layer-address', address: mac(PEER_MAC) }] : [],
});

describe('Ipv6Binding: addresses and DAD', () => {
  it('derives the link-local address from the MAC (modified EUI-64)', () => {
    expect(toHex(linkLocalFromMac(fromHex('00 1b 21 3a 4c 5d')))).toBe(
      toHex(ip6('fe80::21b:21ff:fe3a:4c5d')),
    );
  });

  it('sends a DAD probe from :: for a tentative address, then prefers it', () => {
    // MLD off: its report would come first (ipv6-mld.test.ts).
    const { stack, seen, clock, pair } = setup(
      { ipv4: [], limits: { ipv6: { mld: false } } },
      false,
    );
    expect(stack.ipv6.addressList()).toEqual([
      { address: STACK_LL, prefixLength: 64, state: 'tentative' },
    ]);
    const expected = ethernetFrame(
      '33:33:ff:00:00:0a',
      STACK_MAC,
      0x86dd,
      ipv6Packet({
        source: '::',
        destination: STACK_SN,
        nextHeader: 58,
        hopLimit: 255,
        payload: icmpv6Message('::', STACK_SN, ns('::', STACK_SN, STACK_LL, false)),
      }),
    );
    expect(seen.map((f) => toHex(f))).toEqual([toHex(expected)]);
    clock.advance(1_000);
    pair.flush();
    expect(stack.ipv6.addressList()[0]?.state).toBe('preferred');
    expect(stack.ipv6.stats()).toMatchObject({ dadProbes: 1, dadSuccesses: 1, dadFailures: 0 });
  });

  it('fails DAD when a neighbour advertises the tentative address', () => {
    const { stack, send, clock } = setup({ ipv4: [] }, false);
    send(
      icmpFrame(
        PEER_LL,
        'ff02::1',
        {
          kind: 'neighbor-advertisement',
          code: 0,
          router: false,
          solicited: false,
          override: true,
          reserved: 0,
          targetAddress: ip6(STACK_LL),
          options: [{ kind: 'target-link-layer-address', address: mac(PEER_MAC) }],
        },
        { dstMac: '33:33:00:00:00:01' },
      ),
    );
    clock.advance(5_000);
    expect(stack.ipv6.addressList()[0]?.state).toBe('failed');
    expect(stack.ipv6.stats().dadFailures).toBe(1);
  });

  it('fails DAD when another node probes the same tentative address', () => {
    const { stack, send } = setup({ ipv4: [] }, false);
    send(
      icmpFrame('::', STACK_SN, ns('::', STACK_SN, STACK_LL, false), {
        dstMac: '33:33:ff:00:00:0a',
      }),
    );
    expect(stack.ipv6.addressList()[0]?.state).toBe('failed');
  });

  it('runs DAD for configured addresses too', () => {
    const { stack, clock } = setup({ ipv6: [{ address: '2001:db8::1', prefixLength: 64 }] }, false);
    expect(stack.ipv6.addressList().map((a) => a.state)).toEqual(['tentative', 'tentative']);
    clock.advance(1_000);
    expect(stack.ipv6.addressList().map((a) => a.state)).toEqual(['preferred', 'preferred']);
  });
});

describe('Ipv6Binding: neighbour discovery', () => {
  it('answers an NS for its address with the exact solicited NA and learns the sender', () => {
    const { send, seen, stack } = setup();
    send(
      icmpFrame(PEER_LL, STACK_SN, ns(PEER_LL, STACK_SN, STACK_LL), {
        dstMac: '33:33:ff:00:00:0a',
      }),
    );
    const expected = ethernetFrame(
      PEER_MAC,
      STACK_MAC,
      0x86dd,
      ipv6Packet({
        source: STACK_LL,
        destination: PEER_LL,
        nextHeader: 58,
        hopLimit: 255,
        payload: icmpv6Message(STACK_LL, PEER_LL, {
          kind: 'neighbor-advertisement',
          code: 0,
          router: false,
          solicited: true,
          override: true,
          reserved: 0,
          targetAddress: ip6(STACK_LL),
          options: [{ kind: 'target-link-layer-address', address: mac(STACK_MAC) }],
        }),
      }),
    );
    expect(seen.map((f) => toHex(f))).toEqual([toHex(expected)]);
    expect(stack.ipv6.entries()).toMatchObject([{ state: 'stale', mac: mac(PEER_MAC) }]);
  });

  it('drops ND with a hop limit other than 255', () => {
    const { send, seen, stack } = setup();
    send(
      icmpFrame(PEER_LL, STACK_SN, ns(PEER_LL, STACK_SN, STACK_LL), {
        dstMac: '33:33:ff:00:00:0a',
        hopLimit: 64,
      }),
    );
    expect(seen).toEqual([]);
    expect(stack.ipv6.stats().drops['bad-hop-limit']).toBe(1);
  });

  it('resolves a neighbour: NS with source link-layer option, NA makes it REACHABLE', () => {
    const { send, seen, stack, pair } = setup({ ipv6LinkLocal: true });
    expect(stack.ipv6.resolve(ip6(PEER_LL))).toBeUndefined();
    pair.flush();
    expect(seen).toHaveLength(1);
    expect(toHex(seen[0]!.subarray(0, 6))).toBe('3333ff00000b');
    expect(seen[0]![54]).toBe(135);
    send(
      icmpFrame(PEER_LL, STACK_LL, {
        kind: 'neighbor-advertisement',
        code: 0,
        router: false,
        solicited: true,
        override: true,
        reserved: 0,
        targetAddress: ip6(PEER_LL),
        options: [{ kind: 'target-link-layer-address', address: mac(PEER_MAC) }],
      }),
    );
    expect(stack.ipv6.entries()).toMatchObject([{ state: 'reachable' }]);
  });
});

describe('Ipv6Binding: echo and UDP', () => {
  for (const size of [0, 56, 1452]) {
    it(`answers a ${size}-byte ping exactly`, () => {
      const { send, seen } = setup();
      const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      send(
        icmpFrame(
          PEER_LL,
          STACK_LL,
          { kind: 'echo-request', code: 0, identifier: 9, sequenceNumber: 1, data },
          { hopLimit: 64 },
        ),
      );
      const expected = ethernetFrame(
        PEER_MAC,
        STACK_MAC,
        0x86dd,
        ipv6Packet({
          source: STACK_LL,
          destination: PEER_LL,
          nextHeader: 58,
          hopLimit: 64,
          payload: icmpv6Message(STACK_LL, PEER_LL, {
            kind: 'echo-reply',
            code: 0,
            identifier: 9,
            sequenceNumber: 1,
            data,
          }),
        }),
      );
      expect(seen.map((f) => toHex(f))).toEqual([toHex(expected)]);
    });
  }

  it('drops a bad ICMPv6 checksum', () => {
    const { send, seen, stack } = setup();
    const frame = icmpFrame(PEER_LL, STACK_LL, {
      kind: 'echo-request',
      code: 0,
      identifier: 9,
      sequenceNumber: 1,
      data: Uint8Array.of(1),
    });
    frame[frame.length - 1] = 0x55;
    send(frame);
    expect(seen).toEqual([]);
    expect(stack.ipv6.stats().drops['bad-icmp-checksum']).toBe(1);
  });

  it('delivers UDP to a bound socket and sends the reply back; unbound ports get port unreachable', () => {
    const { send, seen, stack, pair } = setup();
    const socket = stack.udp.bind({ port: 7 });
    const op = socket.receive();
    const datagram = (port: number) =>
      ethernetFrame(
        STACK_MAC,
        PEER_MAC,
        0x86dd,
        ipv6Packet({
          source: PEER_LL,
          destination: STACK_LL,
          nextHeader: 17,
          payload: udp6(PEER_LL, 4000, STACK_LL, port, Uint8Array.of(1, 2)),
        }),
      );
    // The peer resolves us first, so the stack learns its MAC.
    send(
      icmpFrame(PEER_LL, STACK_SN, ns(PEER_LL, STACK_SN, STACK_LL), {
        dstMac: '33:33:ff:00:00:0a',
      }),
    );
    seen.length = 0;
    send(datagram(7));
    expect(op.result).toMatchObject({
      status: 'data',
      data: Uint8Array.of(1, 2),
      meta: { address: PEER_LL, port: 4000, family: 6 },
    });
    expect(socket.send(Uint8Array.of(3), { address: PEER_LL, port: 4000 })).toBe('sent');
    pair.flush();
    const expected = ethernetFrame(
      PEER_MAC,
      STACK_MAC,
      0x86dd,
      ipv6Packet({
        source: STACK_LL,
        destination: PEER_LL,
        nextHeader: 17,
        payload: udp6(STACK_LL, 7, PEER_LL, 4000, Uint8Array.of(3)),
      }),
    );
    expect(seen.map((f) => toHex(f))).toEqual([toHex(expected)]);
    send(datagram(8));
    expect(seen).toHaveLength(2);
    expect([seen[1]![54], seen[1]![55]]).toEqual([1, 4]);
    expect(stack.ipv6.stats()).toMatchObject({ icmpErrorsSent: 1, delivered: 1 });
  });

  it('drops UDP with a zero checksum (mandatory over IPv6)', () => {
    const { send, stack } = setup();
    stack.udp.bind({ port: 7 });
    const payload = udp6(PEER_LL, 4000, STACK_LL, 7, Uint8Array.of(1));
    payload[6] = 0;
    payload[7] = 0;
    send(
      ethernetFrame(
        STACK_MAC,
        PEER_MAC,
        0x86dd,
        ipv6Packet({ source: PEER_LL, destination: STACK_LL, nextHeader: 17, payload }),
      ),
    );
    expect(stack.ipv6.stats().drops['bad-udp-checksum']).toBe(1);
  });

  it('keeps a fragment until its packet is whole (see ipv6-fragments.test.ts)', () => {
    const { send, stack } = setup();
    const payload = new Uint8Array(16);
    payload[0] = 58; // next header after the fragment header
    payload[3] = 1; // M flag
    send(
      ethernetFrame(
        STACK_MAC,
        PEER_MAC,
        0x86dd,
        ipv6Packet({ source: PEER_LL, destination: STACK_LL, nextHeader: 44, payload }),
      ),
    );
    expect(stack.ipv6.stats().reassembly).toMatchObject({ inProgress: 1, bytes: 8 });
  });

  it('cancels DAD and cache timers on close', () => {
    const { stack, clock } = setup({}, false);
    stack.ipv6.resolve(ip6(PEER_LL));
    stack.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
