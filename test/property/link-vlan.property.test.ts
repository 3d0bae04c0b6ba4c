/**
 * VLAN separation in the link stack, with the VLAN settings drawn: the
 * stack's segment (untagged or a VLAN id), each frame's tagging (none, a
 * priority tag, a tag with some id (C-tag or a lone S-tag), the same id
 * offloaded into `oob.vlan`, stacked tags, an offloaded tag plus an in-band one), the indication mode and the request (ARP, ping, UDP to a
 * closed port, ICMPv6 echo, NS, UDP over IPv6, UDP to an open echo socket).
 * Properties: a request is answered exactly when it is on the stack's
 * segment, and every frame the stack sends carries the stack's tag (or
 * none, untagged), whatever it is: replies, errors, ND, DAD, ARP, UDP.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStack } from '../../src/link/index.js';
import {
  arpPacket,
  createLinkPair,
  ethernetFrame,
  icmpv4Echo,
  icmpv6Message,
  ipv4Datagram,
  ipv6Packet,
  udp4,
  udp6,
  VirtualClock,
  vlanTagged,
} from '../../src/testing/index.js';
import { parseIpv6Address, parseMac } from '../../src/wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';

/** The VLAN id of a frame the stack sent: -1 untagged, -2 anything else (never expected). */
function sentVlan(frame: Uint8Array): number {
  const type = ((frame[12] as number) << 8) | (frame[13] as number);
  if (type === 0x0800 || type === 0x0806 || type === 0x86dd) return -1;
  if (type !== 0x8100) return -2;
  const inner = ((frame[16] as number) << 8) | (frame[17] as number);
  if (inner !== 0x0800 && inner !== 0x0806 && inner !== 0x86dd) return -2;
  return (((frame[14] as number) & 0x0f) << 8) | (frame[15] as number);
}

const REQUESTS: Record<string, () => Uint8Array> = {
  arp: () =>
    ethernetFrame(
      'ff:ff:ff:ff:ff:ff',
      PEER_MAC,
      0x0806,
      arpPacket({ operation: 1, senderMac: PEER_MAC, senderIp: '10.0.0.2', targetIp: '10.0.0.1' }),
    ),
  ping: () =>
    ethernetFrame(
      STACK_MAC,
      PEER_MAC,
      0x0800,
      ipv4Datagram({
        source: '10.0.0.2',
        destination: '10.0.0.1',
        protocol: 1,
        payload: icmpv4Echo(8, 1, 1, Uint8Array.of(1, 2)),
      }),
    ),
  udpClosed: () =>
    ethernetFrame(
      STACK_MAC,
      PEER_MAC,
      0x0800,
      ipv4Datagram({
        source: '10.0.0.2',
        destination: '10.0.0.1',
        protocol: 17,
        payload: udp4('10.0.0.2', 4000, '10.0.0.1', 9, Uint8Array.of(1)),
      }),
    ),
  udpEcho: () =>
    ethernetFrame(
      STACK_MAC,
      PEER_MAC,
      0x0800,
      ipv4Datagram({
        source: '10.0.0.2',
        destination: '10.0.0.1',
        protocol: 17,
        payload: udp4('10.0.0.2', 4000, '10.0.0.1', 7, Uint8Array.of(1)),
      }),
    ),
  ping6: () =>
    ethernetFrame(
      STACK_MAC,
      PEER_MAC,
      0x86dd,
      ipv6Packet({
        source: PEER_LL,
        destination: STACK_LL,
        nextHeader: 58,
        payload: icmpv6Message(PEER_LL, STACK_LL, {
          kind: 'echo-request',
          code: 0,
          identifier: 1,
          sequenceNumber: 1,
          data: Uint8Array.of(3),
        }),
      }),
    ),
  ns: () =>
    ethernetFrame(
      '33:33:ff:00:00:0a',
      PEER_MAC,
      0x86dd,
      ipv6Packet({
        source: PEER_LL,
        destination: 'ff02::1:ff00:a',
        nextHeader: 58,
        hopLimit: 255,
        payload: icmpv6Message(PEER_LL, 'ff02::1:ff00:a', {
          kind: 'neighbor-solicitation',
          code: 0,
          reserved: 0,
          targetAddress: parseIpv6Address(STACK_LL)!,
          options: [{ kind: 'source-link-layer-address', address: parseMac(PEER_MAC)! }],
        }),
      }),
    ),
  udp6Closed: () =>
    ethernetFrame(
      STACK_MAC,
      PEER_MAC,
      0x86dd,
      ipv6Packet({
        source: PEER_LL,
        destination: STACK_LL,
        nextHeader: 17,
        payload: udp6(PEER_LL, 4000, STACK_LL, 9, Uint8Array.of(1)),
      }),
    ),
};

type Tagging =
  | { readonly kind: 'none' }
  | { readonly kind: 'priority' }
  | { readonly kind: 'tag'; readonly vlan: number; readonly tpid: number }
  | { readonly kind: 'offloaded'; readonly vlan: number }
  | { readonly kind: 'stacked'; readonly vlan: number }
  | { readonly kind: 'offloaded-and-tagged'; readonly vlan: number };

const vlanId = fc.integer({ min: 1, max: 4094 });

describe('link stack: VLAN separation', () => {
  it('answers exactly the requests on its segment, and tags everything it sends', () => {
    const stackVlan = fc.option(fc.oneof(vlanId, fc.constantFrom(1, 10, 4094)), { nil: undefined });
    fc.assert(
      fc.property(
        stackVlan,
        fc.boolean(),
        fc.array(
          fc.tuple(
            fc.constantFrom(...Object.keys(REQUESTS)),
            fc.oneof(
              fc.constant<Tagging>({ kind: 'none' }),
              fc.constant<Tagging>({ kind: 'priority' }),
              fc.record({
                kind: fc.constant('tag' as const),
                vlan: fc.oneof(vlanId, fc.constantFrom(1, 10, 4094)),
                tpid: fc.constantFrom(0x8100, 0x88a8),
              }),
              fc.record({ kind: fc.constant('offloaded' as const), vlan: vlanId }),
              fc.record({ kind: fc.constant('stacked' as const), vlan: vlanId }),
              fc.record({ kind: fc.constant('offloaded-and-tagged' as const), vlan: vlanId }),
            ),
            fc.boolean(),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        (vlan, lookahead, requests) => {
          const clock = new VirtualClock();
          const pair = createLinkPair({
            a: { indication: lookahead ? 'lookahead' : 'full-packet' },
          });
          const stack = createStack({
            adapter: pair.a,
            clock,
            ...(vlan === undefined ? {} : { vlan }),
            ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
            limits: { ipv4: { icmpErrorBurst: 100 }, ipv6: { icmpErrorBurst: 100 } },
          });
          const echo = stack.udp.bind({ port: 7 });
          const sent: Uint8Array[] = [];
          pair.b.tap((frame) => sent.push(frame.slice()));
          pair.flush();
          clock.advance(1_000);
          pair.flush();
          const own = vlan ?? -1;
          const answers: boolean[] = [];
          const expected: boolean[] = [];
          for (const [name, tagging, sameAsStack] of requests) {
            const plain = (REQUESTS[name] as () => Uint8Array)();
            // Half the tagged frames use the stack's own id, so matches happen often.
            const id = (v: number) => (sameAsStack && own > 0 ? own : v);
            let frame = plain;
            let segment = -1;
            let oob: { vlan: { id: number; priority: number } } | undefined;
            switch (tagging.kind) {
              case 'none':
                break;
              case 'priority':
                frame = vlanTagged(plain, 0);
                break;
              case 'tag':
                frame = vlanTagged(plain, id(tagging.vlan), tagging.tpid);
                // A lone S-tag is a service tag: on no customer segment.
                segment = tagging.tpid === 0x88a8 ? -2 : id(tagging.vlan);
                break;
              case 'offloaded':
                oob = { vlan: { id: id(tagging.vlan), priority: 0 } };
                segment = id(tagging.vlan);
                break;
              case 'stacked':
                frame = vlanTagged(vlanTagged(plain, id(tagging.vlan)), 7, 0x88a8);
                segment = -2;
                break;
              case 'offloaded-and-tagged':
                // The offloaded tag is the outer one: a double-tagged frame.
                frame = vlanTagged(plain, id(tagging.vlan));
                oob = { vlan: { id: 7, priority: 0 } };
                segment = -2;
                break;
            }
            const before = sent.length;
            pair.a.indicate(frame, oob === undefined ? undefined : { oob });
            pair.a.receiveComplete();
            // The UDP echo's answer may wait for ARP: delivery to the socket is the answer.
            let delivered = false;
            if (name === 'udpEcho') {
              const got = echo.receive({ timeoutMs: 0 }).result;
              if (got?.status === 'data') {
                delivered = true;
                echo.send(got.data, got.meta);
              }
            }
            pair.flush();
            answers.push(delivered || sent.length > before);
            expected.push(segment === own);
          }
          expect(answers).toEqual(expected);
          // Everything sent, startup frames included, is on the stack's segment.
          expect(new Set(sent.map(sentVlan))).toEqual(new Set(sent.length > 0 ? [own] : []));
          stack.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});
