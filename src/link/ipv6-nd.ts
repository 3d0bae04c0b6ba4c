/**
 * Neighbor Discovery for the IPv6 binding (RFC 4861) and the DAD probe
 * (RFC 4862 §5.4.2). Solicitations for a PREFERRED own address are answered
 * with a solicited NA (S and O set, Target Link-Layer Address option), or
 * an unsolicited one to all-nodes when the solicitation came from `::`.
 * Messages need hop limit 255 and code 0 and are validated as RFC 4861
 * §7.1 says; the neighbour cache learns from source and target link-layer
 * address options. An advertisement for an address the cache has no entry
 * for is dropped (RFC 4861 §7.2.5: no entry is created), counted as
 * `unsolicited-advertisement`. Every frame goes out on the binding's segment.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import {
  Icmpv6Type,
  ipv6MulticastMac,
  isIpv6SolicitedNode,
  isIpv6Unspecified,
  NdOptionType,
  solicitedNodeMulticast,
  type Icmpv6Packet,
  type Ipv6Packet,
} from '../wire/index.js';
import type { Indication } from './indication.js';
import {
  ALL_NODES,
  ALL_NODES_MAC,
  ipv6Key,
  UNSPECIFIED,
  type Ipv6OwnAddress,
} from './ipv6-address.js';
import {
  fillIcmpv6Checksum,
  icmpv6At,
  NEXT_HEADER_ICMPV6,
  writeIpv6Frame,
  type Ipv6Host,
} from './ipv6-host.js';
import { macNumber, writeMacNumber } from './mac.js';

const ND_HOP_LIMIT = 255;
/** NS/NA fixed part: type, code, checksum, reserved/flags, target. */
const ND_FIXED = 24;
/** A link-layer address option for Ethernet: type, length 1, six bytes. */
const LINK_LAYER_OPTION = 8;

/**
 * The link-layer address option of `wanted` type among the options of `icmp`
 * as a 48-bit number: -1 if there is none, -2 if the options are malformed
 * or the address is a group address or all zeros (never a neighbour's: a
 * cache entry holding one would send unicast traffic to the whole segment).
 */
function linkLayerOption(icmp: Icmpv6Packet, wanted: number): number {
  const bytes = icmp.bytes;
  const end = bytes.length;
  let found = -1;
  let cursor = ND_FIXED;
  while (cursor < end) {
    if (cursor + 2 > end) return -2;
    const units = bytes[cursor + 1] as number;
    if (units === 0 || cursor + units * 8 > end) return -2;
    if (bytes[cursor] === wanted && units === 1) {
      if (((bytes[cursor + 2] as number) & 1) !== 0) return -2;
      found = macNumber(bytes, cursor + 2);
      if (found === 0) return -2;
    }
    cursor += units * 8;
  }
  return found;
}

/** Checks RFC 4861 §7.1.1/§7.1.2 common to NS and NA; returns the drop reason, or undefined. */
function ndInvalid(ip: Ipv6Packet, icmp: Icmpv6Packet): 'bad-hop-limit' | 'bad-nd' | undefined {
  if (ip.hopLimit !== ND_HOP_LIMIT) return 'bad-hop-limit';
  if (icmp.code !== 0 || icmp.bytes.length < ND_FIXED || icmp.targetAddress[0] === 0xff) {
    return 'bad-nd';
  }
  return undefined;
}

/** A Neighbor Solicitation (accepted by the binding: checksum verified). */
export function receiveSolicitation(
  host: Ipv6Host,
  ind: Indication,
  ip: Ipv6Packet,
  icmp: Icmpv6Packet,
): 'accepted' | 'not-accepted' {
  host.counters.solicitationsReceived++;
  const size = ind.packetSize;
  const invalid = ndInvalid(ip, icmp);
  if (invalid !== undefined) return host.drop(invalid, size);
  const sourceLinkLayer = linkLayerOption(icmp, NdOptionType.SourceLinkLayerAddress);
  if (sourceLinkLayer === -2) return host.drop('bad-nd', size);
  const fromUnspecified = isIpv6Unspecified(ip.sourceAddress);
  if (fromUnspecified && (!isIpv6SolicitedNode(ip.destinationAddress) || sourceLinkLayer >= 0)) {
    return host.drop('bad-nd', size);
  }
  const own = host.findOwn(icmp.targetAddress, 0);
  if (own === undefined) return host.ignore('not-for-us');
  if (own.state === 'tentative') {
    // RFC 4862 §5.4.3: another node is probing the same address.
    if (fromUnspecified) host.dadFailed(own);
    return 'accepted';
  }
  if (own.state !== 'preferred') return 'accepted';
  if (!fromUnspecified && sourceLinkLayer >= 0) {
    host.cache.learn(ipv6Key(ip.sourceAddress), sourceLinkLayer, false, true, true);
  }
  sendAdvertisement(host, ind, ip, own.address, fromUnspecified, sourceLinkLayer);
  return 'accepted';
}

/** A Neighbor Advertisement (accepted by the binding: checksum verified). */
export function receiveAdvertisement(
  host: Ipv6Host,
  ind: Indication,
  ip: Ipv6Packet,
  icmp: Icmpv6Packet,
): 'accepted' | 'not-accepted' {
  host.counters.advertisementsReceived++;
  const size = ind.packetSize;
  const invalid = ndInvalid(ip, icmp);
  if (invalid !== undefined) return host.drop(invalid, size);
  const solicited = icmp.solicitedFlag;
  const override = icmp.overrideFlag;
  if (solicited && ip.destinationAddress[0] === 0xff) return host.drop('bad-nd', size);
  const targetLinkLayer = linkLayerOption(icmp, NdOptionType.TargetLinkLayerAddress);
  if (targetLinkLayer === -2) return host.drop('bad-nd', size);
  const own = host.findOwn(icmp.targetAddress, 0);
  if (own !== undefined) {
    if (own.state === 'tentative') host.dadFailed(own);
    else if (own.state === 'preferred') host.conflict(own);
    return 'accepted';
  }
  const key = ipv6Key(icmp.targetAddress);
  const entry = host.cache.get(key);
  if (entry === undefined) return host.drop('unsolicited-advertisement', size);
  if (targetLinkLayer >= 0) {
    host.cache.learn(key, targetLinkLayer, solicited, override, false);
    return 'accepted';
  }
  if (entry.mac === undefined) return host.drop('bad-nd', size);
  if (solicited) host.cache.learn(key, macNumber(entry.mac, 0), true, false, false);
  return 'accepted';
}

/** A Neighbor Advertisement for `target` answering the NS in `ip`. One frame. */
function sendAdvertisement(
  host: Ipv6Host,
  ind: Indication,
  ip: Ipv6Packet,
  target: Uint8Array,
  toAllNodes: boolean,
  sourceLinkLayer: number,
): void {
  const length = ND_FIXED + LINK_LAYER_OPTION;
  const frame = allocFrame(host.linkHeader + 40 + length);
  const at = writeIpv6Frame(
    host,
    frame,
    toAllNodes ? ALL_NODES_MAC : undefined,
    ind,
    length,
    NEXT_HEADER_ICMPV6,
    ND_HOP_LIMIT,
    target,
    toAllNodes ? ALL_NODES : ip.sourceAddress,
  );
  // To the link-layer address the solicitation named, if it named one.
  if (!toAllNodes && sourceLinkLayer >= 0) writeMacNumber(frame, 0, sourceLinkLayer);
  const icmp = icmpv6At(frame, at, length);
  icmp.setType(Icmpv6Type.NeighborAdvertisement);
  // S (solicited) unless to all-nodes, and O (override).
  icmp.setRest(toAllNodes ? 0x20000000 : 0x60000000);
  icmp.setTargetAddress(target);
  writeLinkLayerOption(icmp, NdOptionType.TargetLinkLayerAddress, host.mac);
  fillIcmpv6Checksum(frame, at, icmp);
  host.counters.advertisementsSent++;
  host.send(frame);
}

/** An NS for `target`: multicast to its solicited-node group, or unicast to `unicast` (a probe). */
export function sendSolicitation(
  host: Ipv6Host,
  target: Uint8Array,
  unicast: Uint8Array | undefined,
): void {
  const source = host.sourceFor(target);
  if (source === undefined) return;
  const group = solicitedNodeMulticast(target);
  const length = ND_FIXED + LINK_LAYER_OPTION;
  const frame = allocFrame(host.linkHeader + 40 + length);
  const at = writeIpv6Frame(
    host,
    frame,
    unicast ?? ipv6MulticastMac(group),
    undefined,
    length,
    NEXT_HEADER_ICMPV6,
    ND_HOP_LIMIT,
    source,
    unicast === undefined ? group : target,
  );
  const icmp = icmpv6At(frame, at, length);
  icmp.setType(Icmpv6Type.NeighborSolicitation);
  icmp.setTargetAddress(target);
  writeLinkLayerOption(icmp, NdOptionType.SourceLinkLayerAddress, host.mac);
  fillIcmpv6Checksum(frame, at, icmp);
  host.counters.solicitationsSent++;
  host.send(frame);
}

/** DAD probe: an NS from `::` to the solicited-node group, no options (RFC 4862 §5.4.2). */
export function sendDadProbe(host: Ipv6Host, own: Ipv6OwnAddress): void {
  const frame = allocFrame(host.linkHeader + 40 + ND_FIXED);
  const at = writeIpv6Frame(
    host,
    frame,
    ipv6MulticastMac(own.group),
    undefined,
    ND_FIXED,
    NEXT_HEADER_ICMPV6,
    ND_HOP_LIMIT,
    UNSPECIFIED,
    own.group,
  );
  const icmp = icmpv6At(frame, at, ND_FIXED);
  icmp.setType(Icmpv6Type.NeighborSolicitation);
  icmp.setTargetAddress(own.address);
  fillIcmpv6Checksum(frame, at, icmp);
  host.counters.dadProbes++;
  host.send(frame);
}

/** Writes a link-layer address option right after the NS/NA fixed part. */
function writeLinkLayerOption(icmp: Icmpv6Packet, type: number, mac: Uint8Array): void {
  icmp.bytes[ND_FIXED] = type;
  icmp.bytes[ND_FIXED + 1] = 1; // in units of 8 bytes
  icmp.bytes.set(mac, ND_FIXED + 2);
}
