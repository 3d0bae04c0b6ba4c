// What `netrx capture tail` prints per item: netrx's own providers by name
// (not GUID), and packet lines with the network layer, tcpdump-like.
import { describe, expect, it } from 'vitest';
import { describeNetworkLayer, formatItem } from '../../src/cli/commands/capture-format.js';
import { RADIUS_PROVIDER } from '../../src/radius/events.js';
import {
  FILETIME_UNIX_EPOCH,
  NDIS_PACKET_CAPTURE_PROVIDER_GUID,
  encodeEventBuffer,
  parseEventBuffer,
  type NetEventItem,
  type NetEventItemInit,
} from '../../src/wire/index.js';

const T0 = FILETIME_UNIX_EPOCH + 17_000_000_000_000_000n;

function item(init: NetEventItemInit): NetEventItem {
  const parsed = parseEventBuffer(encodeEventBuffer([init]));
  if (!parsed.ok || parsed.value[0] === undefined) throw new Error('bad buffer');
  return parsed.value[0];
}

/** netrx's 1001 layout around `fragment`: ifIndex 7. */
function packet(fragment: Uint8Array): NetEventItem {
  const u = new Uint8Array(12 + fragment.length + 4);
  const v = new DataView(u.buffer);
  v.setUint32(0, 7, true);
  v.setUint32(4, 7, true);
  v.setUint32(8, fragment.length, true);
  u.set(fragment, 12);
  v.setUint32(12 + fragment.length, fragment.length, true);
  return item({
    kind: 'event',
    record: { providerId: NDIS_PACKET_CAPTURE_PROVIDER_GUID, id: 1001, level: 4, timeStamp: T0 },
    userData: u,
  });
}

const MACS = [2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa];

function ipv4(protocol: number, body: number[], fragmentOffset = 0): Uint8Array {
  const header = [0x45, 0, 0, 20 + body.length, 0, 0, fragmentOffset >> 8, fragmentOffset & 0xff];
  header.push(64, protocol, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7);
  return Uint8Array.from([...MACS, 0x08, 0x00, ...header, ...body]);
}

function ipv6(next: number, body: number[]): Uint8Array {
  const src = [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 1];
  const dst = [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 2];
  const header = [0x60, 0, 0, 0, 0, body.length, next, 64, ...src, ...dst];
  return Uint8Array.from([...MACS, 0x86, 0xdd, ...header, ...body]);
}

const UDP_5000_TO_53 = [0x13, 0x88, 0x00, 0x35, 0, 8, 0, 0];
const TCP_40000_TO_443 = [0x9c, 0x40, 0x01, 0xbb, ...Array<number>(16).fill(0)];

describe('capture tail lines', () => {
  it("names netrx's own providers and their events instead of printing GUIDs", () => {
    const line = formatItem(
      item({
        kind: 'event',
        record: { providerId: RADIUS_PROVIDER.guid, id: 1, level: 3, timeStamp: T0 },
        userData: new Uint8Array(5),
      }),
      { received: 0, lost: 0 },
    );
    expect(line).toContain('netrx-radius RadiusPacketDropped (id 1) level 3, 5 bytes');
    expect(line).not.toContain(RADIUS_PROVIDER.guid);
    // A provider netrx does not know still shows its GUID.
    const other = formatItem(
      item({
        kind: 'event',
        record: { providerId: '11111111-2222-3333-4444-555555555555', id: 9, timeStamp: T0 },
        userData: new Uint8Array(0),
      }),
      { received: 0, lost: 0 },
    );
    expect(other).toContain('11111111-2222-3333-4444-555555555555 id 9');
  });

  it('packet lines carry IPv4/IPv6 source > destination, the protocol and TCP/UDP ports', () => {
    expect(formatItem(packet(ipv4(17, UDP_5000_TO_53)), { received: 0, lost: 0 })).toContain(
      'ethertype 0x0800 length 42, IP 192.0.2.1.5000 > 198.51.100.7.53: UDP',
    );
    expect(describeNetworkLayer(ipv4(6, TCP_40000_TO_443))).toBe(
      'IP 192.0.2.1.40000 > 198.51.100.7.443: TCP',
    );
    expect(describeNetworkLayer(ipv4(1, [8, 0, 0, 0]))).toBe('IP 192.0.2.1 > 198.51.100.7: ICMP');
    // A later fragment has no transport header: no ports.
    expect(describeNetworkLayer(ipv4(17, UDP_5000_TO_53, 100))).toBe(
      'IP 192.0.2.1 > 198.51.100.7: UDP',
    );
    expect(describeNetworkLayer(ipv6(17, UDP_5000_TO_53))).toBe(
      'IP6 2001:db8::1.5000 > 2001:db8::2.53: UDP',
    );
    expect(describeNetworkLayer(ipv6(58, [128, 0, 0, 0]))).toBe(
      'IP6 2001:db8::1 > 2001:db8::2: ICMP6',
    );
    // ARP, and frames too short to hold their header: nothing added, nothing thrown.
    expect(describeNetworkLayer(Uint8Array.from([...MACS, 0x08, 0x06, 0, 1]))).toBe('');
    expect(describeNetworkLayer(ipv4(17, UDP_5000_TO_53).subarray(0, 30))).toBe('');
    expect(describeNetworkLayer(ipv6(17, []).subarray(0, 40))).toBe('');
  });
});
