import { describe, expect, it } from 'vitest';
import { fullGc, isOptimized, optimize } from '../../test/support/v8-optimization.js';
import * as wire from './index.js';

/**
 * The views are made per datagram and die young. V8 reaches the hidden class
 * ("map") a view gets from its constructor only through a weak transition,
 * so a full GC that finds no live view collects the map and deoptimises
 * every function compiled against it ("weak objects"): each major GC of a
 * long-running host threw the receive path's optimised code away. Each view
 * class keeps one instance of its own alive (view-shapes.ts). No view made
 * here is kept: the readers return a number.
 */
const bytes = new Uint8Array(64);
const readers: Array<[string, (b: Uint8Array) => number]> = [
  ['ArpPacket', (b) => wire.ArpPacket.unchecked(b).hardwareType],
  ['EapolPacket', (b) => wire.EapolPacket.unchecked(b).packetType],
  ['EthernetFrame', (b) => wire.EthernetFrame.unchecked(b).etherType],
  ['Icmpv4Packet', (b) => wire.Icmpv4Packet.unchecked(b).type],
  ['Icmpv6Packet', (b) => wire.Icmpv6Packet.unchecked(b).type],
  ['Ipv4Packet', (b) => wire.Ipv4Packet.unchecked(b).protocol],
  ['Ipv6Packet', (b) => wire.Ipv6Packet.unchecked(b).flowLabel],
  ['UdpDatagram', (b) => wire.UdpDatagram.unchecked(b).destinationPort],
  ['VxlanPacket', (b) => wire.VxlanPacket.unchecked(b).flags],
];

describe('wire views survive a full GC', () => {
  it.each(readers)('%s: code reading through a fresh view stays optimised', (_, read) => {
    optimize(read, () => void read(bytes));
    expect(isOptimized(read)).toBe(true);
    fullGc();
    fullGc();
    expect(isOptimized(read)).toBe(true);
    read(bytes);
    expect(isOptimized(read)).toBe(true);
  });
});
