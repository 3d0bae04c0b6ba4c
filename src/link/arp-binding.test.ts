import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { arpPacket, createLinkPair, ethernetFrame, VirtualClock } from '../testing/index.js';
import { createStack, type StackLimits } from './stack.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';

function setup(limits?: StackLimits) {
  const clock = new VirtualClock();
  const pair = createLinkPair();
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
  const announcements = seen.splice(0);
  const send = (frame: Uint8Array) => {
    pair.b.send(frame);
    pair.flush();
  };
  return { clock, pair, stack, seen, send, announcements };
}

const request = (targetIp: string, senderIp = '10.0.0.2', padTo = 0) =>
  ethernetFrame(
    'ff:ff:ff:ff:ff:ff',
    PEER_MAC,
    0x0806,
    arpPacket({ operation: 1, senderMac: PEER_MAC, senderIp, targetIp }),
    padTo,
  );

const reply = (senderIp: string, senderMac = PEER_MAC) =>
  ethernetFrame(
    STACK_MAC,
    senderMac,
    0x0806,
    arpPacket({ operation: 2, senderMac, senderIp, targetMac: STACK_MAC, targetIp: '10.0.0.1' }),
  );

const EXPECTED_REPLY = fromHex(`
  02 00 00 00 00 0b  02 00 00 00 00 0a  08 06
  00 01 08 00 06 04 00 02
  02 00 00 00 00 0a  0a 00 00 01
  02 00 00 00 00 0b  0a 00 00 02
`);

describe('ArpBinding: answering', () => {
  it('answers a request for an own address with the exact reply', () => {
    const { seen, send, stack } = setup();
    send(request('10.0.0.1'));
    expect(seen.map((f) => toHex(f))).toEqual([toHex(EXPECTED_REPLY)]);
    expect(stack.arp.stats()).toMatchObject({ requestsReceived: 1, repliesSent: 1 });
  });

  it('answers a padded (60-byte) request the same way, reading ARP lengths only', () => {
    const { seen, send } = setup();
    const padded = request('10.0.0.1', '10.0.0.2', 60);
    expect(padded.length).toBe(60);
    send(padded);
    expect(seen).toEqual([EXPECTED_REPLY]);
  });

  it('ignores requests for other hosts and does not learn their senders', () => {
    const { seen, send, stack } = setup();
    send(request('10.0.0.99'));
    expect(seen).toEqual([]);
    expect(stack.arp.entries()).toEqual([]);
    expect(stack.arp.stats().drops['not-for-us']).toBe(1);
  });

  it('learns the sender of a request addressed to it (STALE) and merges later updates', () => {
    const { send, stack } = setup();
    send(request('10.0.0.1'));
    expect(stack.arp.entries()).toMatchObject([{ key: 0x0a000002, state: 'stale' }]);
    // RFC 826 merge: a request for someone else still updates a known sender.
    send(
      ethernetFrame(
        'ff:ff:ff:ff:ff:ff',
        '02:00:00:00:00:0c',
        0x0806,
        arpPacket({
          operation: 1,
          senderMac: '02:00:00:00:00:0c',
          senderIp: '10.0.0.2',
          targetIp: '10.0.0.77',
        }),
      ),
    );
    expect(toHex(stack.arp.entries()[0]?.mac ?? new Uint8Array())).toBe(
      toHex(fromHex('02 00 00 00 00 0c')),
    );
  });

  it('drops runts, foreign formats and conflicts, counted by reason', () => {
    const { send, stack, seen } = setup();
    send(ethernetFrame('ff:ff:ff:ff:ff:ff', PEER_MAC, 0x0806, fromHex('00 01 08 00 06 04 00 01')));
    const ipx = arpPacket({
      operation: 1,
      senderMac: PEER_MAC,
      senderIp: '10.0.0.2',
      targetIp: '10.0.0.1',
    });
    ipx[3] = 0x37;
    send(ethernetFrame('ff:ff:ff:ff:ff:ff', PEER_MAC, 0x0806, ipx));
    send(request('10.0.0.5', '10.0.0.1')); // someone claims our address
    expect(stack.arp.stats()).toMatchObject({
      conflicts: 1,
      drops: { truncated: 1, 'unsupported-format': 1, 'address-conflict': 1 },
    });
    expect(seen).toEqual([]);
  });
});

describe('ArpBinding: gratuitous ARP', () => {
  it('announces an address when it is added, and on request', () => {
    const { announcements, stack, pair, seen } = setup();
    const expected = fromHex(`
      ff ff ff ff ff ff  02 00 00 00 00 0a  08 06
      00 01 08 00 06 04 00 01
      02 00 00 00 00 0a  0a 00 00 01
      00 00 00 00 00 00  0a 00 00 01
    `);
    expect(announcements).toEqual([expected]);
    stack.addIpv4('10.0.1.1', 24);
    stack.arp.announce(0x0a000001);
    pair.flush();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(expected);
    expect(stack.arp.stats().announcements).toBe(3);
  });
});

describe('ArpBinding: cache states and timeouts', () => {
  it('INCOMPLETE → REACHABLE on a reply → STALE after 30 s → DELAY on use → PROBE → gone', () => {
    const { stack, seen, send, clock, pair } = setup();
    expect(stack.arp.resolve(0x0a000002)).toBeUndefined();
    pair.flush();
    expect(seen).toHaveLength(1);
    expect(toHex(seen[0]!.subarray(0, 6))).toBe('ffffffffffff');
    expect(stack.arp.entries()[0]?.state).toBe('incomplete');
    send(reply('10.0.0.2'));
    expect(stack.arp.entries()[0]?.state).toBe('reachable');
    expect(stack.arp.resolve(0x0a000002)).toEqual(fromHex('02 00 00 00 00 0b'));
    clock.advance(30_000);
    expect(stack.arp.entries()[0]?.state).toBe('stale');
    expect(stack.arp.resolve(0x0a000002)).toBeDefined();
    expect(stack.arp.entries()[0]?.state).toBe('delay');
    clock.advance(5_000);
    expect(stack.arp.entries()[0]?.state).toBe('probe');
    pair.flush();
    // The probe is unicast to the known MAC.
    expect(toHex(seen.at(-1)!.subarray(0, 6))).toBe('02000000000b');
    send(reply('10.0.0.2'));
    expect(stack.arp.entries()[0]?.state).toBe('reachable');
    clock.advance(30_000 + 240_000);
    expect(stack.arp.entries()).toEqual([]);
  });

  it('gives up after three requests and fails the queued sends; the queue is bounded', () => {
    const { stack, seen, clock, pair } = setup();
    const frames = Array.from({ length: 10 }, () => new Uint8Array(60));
    const results = frames.map((f) => stack.arp.send(0x0a000009, f));
    expect(results.filter((r) => r === 'queued')).toHaveLength(10);
    expect(stack.arp.entries()[0]).toMatchObject({ state: 'incomplete', queued: 4 });
    clock.advance(1_000);
    clock.advance(1_000);
    clock.advance(1_000);
    pair.flush();
    expect(seen).toHaveLength(3);
    expect(stack.arp.entries()).toEqual([]);
    expect(stack.arp.stats().cache).toMatchObject({
      resolutionFailures: 1,
      queuedFrames: 10,
      queueDrops: 10,
      flushed: 0,
      solicitations: 3,
    });
  });

  it('flushes queued frames with the destination filled in when the reply comes', () => {
    const { stack, seen, send, pair } = setup();
    stack.arp.send(0x0a000002, new Uint8Array(20).fill(7));
    stack.arp.send(0x0a000002, new Uint8Array(20).fill(8));
    pair.flush();
    seen.length = 0;
    send(reply('10.0.0.2'));
    expect(seen.map((f) => [toHex(f.subarray(0, 6)), f[6]])).toEqual([
      ['02000000000b', 7],
      ['02000000000b', 8],
    ]);
    expect(stack.arp.stats().cache.flushed).toBe(2);
  });

  it('bounds the cache: evicts the oldest STALE entry, else the oldest INCOMPLETE one', () => {
    const { stack, send } = setup({ arp: { maxEntries: 2, maxIncomplete: 2 } });
    send(request('10.0.0.1', '10.0.0.2'));
    send(request('10.0.0.1', '10.0.0.3'));
    expect(stack.arp.entries().map((e) => e.state)).toEqual(['stale', 'stale']);
    expect(stack.arp.resolve(0x0a000004)).toBeUndefined();
    expect(stack.arp.resolve(0x0a000005)).toBeUndefined();
    expect(stack.arp.resolve(0x0a000006)).toBeUndefined();
    expect(stack.arp.stats().cache).toMatchObject({ entries: 2, evictions: 3, refusals: 0 });
    expect(stack.arp.entries().map((e) => e.key)).toEqual([0x0a000005, 0x0a000006]);
  });

  it('cancels every timer on close', () => {
    const { stack, clock } = setup();
    stack.arp.resolve(0x0a000002);
    expect(clock.pendingTimers).toBeGreaterThan(0);
    stack.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
