/**
 * What `netrx capture tail` prints and writes: one line per EVENT_BUFFER
 * item, and packet events (Microsoft-Windows-NDIS-PacketCapture event 1001,
 * "Packet Fragment") as pcapng Enhanced Packet Blocks, one Ethernet
 * interface per MiniportIfIndex. Pure: the command does the I/O.
 */
import { SYNTHETIC_PROVIDER_GUID } from '../../capture/index.js';
import { providerManifest } from '../../node/host/manifest.js';
import {
  PcapngWriter,
  decodeNdisPacket,
  formatIpv4Address,
  formatIpv6Address,
  formatMac,
  netrxHostFromActivityId,
  unixMsFromFiletime,
  unixNsFromFiletime,
  type NdisPacket,
  type NetEventItem,
} from '../../wire/index.js';

export interface TailCounters {
  received: number;
  lost: number;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A packet event, decoded (netrx's layout or Windows' ndiscap's: netrx/wire `decodeNdisPacket`). */
export interface PacketEvent extends NdisPacket {
  /** MiniportIfIndex. */
  readonly ifIndex: number;
  /** Nanoseconds since 1970, clamped to what pcapng holds. */
  readonly timestampNs: bigint;
  /** The event's FILETIME was before 1970 or past 2554: `timestampNs` is clamped. */
  readonly timestampClamped: boolean;
  /** The FILETIME as sent. */
  readonly filetime: bigint;
}

/** A packet event's fields, or undefined for any other event or one that does not decode. */
export function packetFragment(item: NetEventItem): PacketEvent | undefined {
  if (item.kind !== 'event') return undefined;
  const { header, userData } = item.record;
  const decoded = decodeNdisPacket(header, userData);
  if (decoded.kind !== 'packet') return undefined;
  const time = unixNsFromFiletime(header.timeStamp);
  return {
    ...decoded.packet,
    ifIndex: decoded.packet.miniportIfIndex,
    timestampNs: time.ns,
    timestampClamped: time.clamped,
    filetime: header.timeStamp,
  };
}

/** The comment a pcapng packet gets when its timestamp had to be clamped. */
export function clampedComment(packet: PacketEvent): string {
  return `netrx: event FILETIME ${packet.filetime} is outside 1970..2554; timestamp clamped`;
}

/** An ISO time for a FILETIME, or the raw ticks when no Date holds it (never throws). */
function timeText(filetime: bigint): string {
  const date = new Date(unixMsFromFiletime(filetime));
  return Number.isNaN(date.getTime()) ? `FILETIME(${filetime})` : date.toISOString();
}

/** netrx's own providers by GUID, with their event names by id (the host's manifest). */
let knownProviders: Map<string, { name: string; events: Map<number, string> }> | undefined;
function providerNames(): Map<string, { name: string; events: Map<number, string> }> {
  knownProviders ??= new Map(
    providerManifest().map((p) => [
      p.guid.toLowerCase(),
      { name: p.name, events: new Map(p.events.map((e) => [e.id, e.name])) },
    ]),
  );
  return knownProviders;
}

const IP_PROTOCOLS: Readonly<Record<number, string>> = {
  1: 'ICMP',
  6: 'TCP',
  17: 'UDP',
  58: 'ICMP6',
};

/**
 * The network layer of an Ethernet frame, tcpdump-like: `IP 192.0.2.1.5000 >
 * 192.0.2.2.53: UDP`, `IP6 2001:db8::1 > 2001:db8::2: ICMP6`; ports only
 * for TCP and UDP in a first (or only) fragment. One 802.1Q tag is skipped.
 * Empty for anything else, or a frame too short to say. Never throws.
 */
export function describeNetworkLayer(frame: Uint8Array): string {
  const view = dataView(frame);
  let at = 12;
  if (frame.length < at + 2) return '';
  let etherType = view.getUint16(at);
  if (etherType === 0x8100 && frame.length >= at + 6) {
    at += 4;
    etherType = view.getUint16(at);
  }
  at += 2;
  let family: string;
  let protocol: number;
  let source: string;
  let destination: string;
  let transport: number | undefined;
  if (etherType === 0x0800) {
    const headerLength = ((frame[at] ?? 0) & 0x0f) * 4;
    if ((frame[at] ?? 0) >> 4 !== 4 || headerLength < 20 || frame.length < at + headerLength) {
      return '';
    }
    family = 'IP';
    protocol = frame[at + 9] ?? 0;
    source = formatIpv4Address(frame, at + 12);
    destination = formatIpv4Address(frame, at + 16);
    const fragmentOffset = view.getUint16(at + 6) & 0x1fff;
    if (fragmentOffset === 0) transport = at + headerLength;
  } else if (etherType === 0x86dd) {
    if ((frame[at] ?? 0) >> 4 !== 6 || frame.length < at + 40) return '';
    family = 'IP6';
    protocol = frame[at + 6] ?? 0;
    source = formatIpv6Address(frame, at + 8);
    destination = formatIpv6Address(frame, at + 24);
    transport = at + 40;
  } else return '';
  const name = IP_PROTOCOLS[protocol] ?? `proto ${protocol}`;
  if (
    (protocol === 6 || protocol === 17) &&
    transport !== undefined &&
    frame.length >= transport + 4
  ) {
    const from = view.getUint16(transport);
    const to = view.getUint16(transport + 2);
    return `${family} ${source}.${from} > ${destination}.${to}: ${name}`;
  }
  return `${family} ${source} > ${destination}: ${name}`;
}

/**
 * One line for one item; counters are updated first, so each line shows the
 * running totals. An event from a JetStream session (capture fan-in) names
 * its host of origin after the time, `host=<name>`, read from its ActivityId;
 * a local session's or another LREC server's ActivityIds add nothing.
 */
export function formatItem(item: NetEventItem, counters: TailCounters): string {
  if (item.kind === 'lost') {
    counters.lost += item.lostEventCount;
    return `lost ${item.lostEventCount} events  [received ${counters.received}, lost ${counters.lost}]`;
  }
  if (item.kind === 'unknown') {
    return `item type ${item.dataType}, ${item.payload.length} bytes  [received ${counters.received}, lost ${counters.lost}]`;
  }
  counters.received++;
  const { header, userData } = item.record;
  const time = timeText(header.timeStamp);
  let detail: string;
  const packet = packetFragment(item);
  if (packet !== undefined) {
    const f = packet.fragment;
    const network = f.length >= 14 ? describeNetworkLayer(f) : '';
    detail =
      f.length >= 14
        ? `packet if=${packet.ifIndex} ${formatMac(f, 6)} > ${formatMac(f, 0)} ethertype 0x${dataView(f).getUint16(12).toString(16).padStart(4, '0')} length ${f.length}${network === '' ? '' : `, ${network}`}`
        : `packet if=${packet.ifIndex} length ${f.length}`;
  } else if (header.providerId === SYNTHETIC_PROVIDER_GUID && userData.length >= 8) {
    detail = `netrx-synthetic seq ${dataView(userData).getBigUint64(0, true)}`;
  } else {
    const known = providerNames().get(header.providerId.toLowerCase());
    const event = known?.events.get(header.id);
    detail =
      known === undefined
        ? `${header.providerId} id ${header.id} level ${header.level}, ${userData.length} bytes`
        : `${known.name} ${event ?? 'event'} (id ${header.id}) level ${header.level}, ${userData.length} bytes`;
  }
  const host = netrxHostFromActivityId(header.activityId);
  const origin = host === undefined ? '' : `host=${host} `;
  return `${time} ${origin}${detail}  [received ${counters.received}, lost ${counters.lost}]`;
}

/**
 * pcapng blocks for packet events: the section header first, an interface
 * per host of origin, ifIndex and link type. A fan-in session spans hosts
 * whose interface numbers overlap (every host has an ifIndex 2), so an
 * event from a netrx host (its ActivityId) gets that host's own interface,
 * named `HOST/netrx-ifN` (Wireshark's `frame.interface_name`); a local or
 * foreign server's events keep `netrx-ifN`.
 */
export class PacketEventPcapng {
  private readonly writer = new PcapngWriter();
  private readonly interfaces = new Map<string, number>();
  packets = 0;

  start(): Uint8Array {
    return this.writer.sectionHeader();
  }

  /** The blocks for `item` (none when it is not a packet event). */
  blocks(item: NetEventItem): Uint8Array[] {
    const packet = packetFragment(item);
    if (packet === undefined) return [];
    const out: Uint8Array[] = [];
    const host =
      item.kind === 'event' ? netrxHostFromActivityId(item.record.header.activityId) : undefined;
    const name = `${host === undefined ? '' : `${host}/`}netrx-if${packet.ifIndex}`;
    const key = `${name}/${packet.linkType}`;
    let id = this.interfaces.get(key);
    if (id === undefined) {
      id = this.interfaces.size;
      this.interfaces.set(key, id);
      out.push(
        this.writer.addInterface({
          linkType: packet.linkType,
          name,
          resolution: { base: 10, exponent: 9 },
        }),
      );
    }
    out.push(
      this.writer.packet({
        interfaceId: id,
        timestamp: packet.timestampNs,
        data: packet.fragment,
        originalLength: packet.originalLength,
        ...(packet.direction === undefined ? {} : { flags: { direction: packet.direction } }),
        ...(packet.timestampClamped ? { comments: [clampedComment(packet)] } : {}),
      }),
    );
    this.packets++;
    return out;
  }
}
