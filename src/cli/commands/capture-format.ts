/**
 * What `netrx capture tail` prints and writes: one line per EVENT_BUFFER
 * item, and packet events (Microsoft-Windows-NDIS-PacketCapture event 1001,
 * "Packet Fragment") as pcapng Enhanced Packet Blocks, one Ethernet
 * interface per MiniportIfIndex. Pure: the command does the I/O.
 */
import { SYNTHETIC_PROVIDER_GUID } from '../../capture/index.js';
import { PACKET_CAPTURE_PROVIDER_GUID } from '../../link/index.js';
import {
  FILETIME_UNIX_EPOCH,
  PcapngWriter,
  formatMac,
  unixMsFromFiletime,
  type NetEventItem,
} from '../../wire/index.js';

const PACKET_FRAGMENT_EVENT = 1001;
const LINKTYPE_ETHERNET = 1;

export interface TailCounters {
  received: number;
  lost: number;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A packet event's fields, or undefined for any other event. */
export function packetFragment(
  item: NetEventItem,
):
  | { ifIndex: number; fragment: Uint8Array; originalLength: number; timestampNs: bigint }
  | undefined {
  if (item.kind !== 'event') return undefined;
  const { header, userData } = item.record;
  if (header.providerId !== PACKET_CAPTURE_PROVIDER_GUID || header.id !== PACKET_FRAGMENT_EVENT) {
    return undefined;
  }
  if (userData.length < 12) return undefined;
  const view = dataView(userData);
  const size = view.getUint32(8, true);
  if (12 + size > userData.length) return undefined;
  // netrx's OriginalSize after the fragment; a provider that writes NDIS's layout alone has none.
  const original = 12 + size + 4 <= userData.length ? view.getUint32(12 + size, true) : size;
  return {
    ifIndex: view.getUint32(0, true),
    fragment: userData.subarray(12, 12 + size),
    originalLength: Math.max(original, size),
    timestampNs: (header.timeStamp - FILETIME_UNIX_EPOCH) * 100n,
  };
}

/** One line for one item; counters are updated first, so each line shows the running totals. */
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
  const time = new Date(unixMsFromFiletime(header.timeStamp)).toISOString();
  let detail: string;
  const packet = packetFragment(item);
  if (packet !== undefined) {
    const f = packet.fragment;
    detail =
      f.length >= 14
        ? `packet if=${packet.ifIndex} ${formatMac(f, 6)} > ${formatMac(f, 0)} ethertype 0x${dataView(f).getUint16(12).toString(16).padStart(4, '0')} length ${f.length}`
        : `packet if=${packet.ifIndex} length ${f.length}`;
  } else if (header.providerId === SYNTHETIC_PROVIDER_GUID && userData.length >= 8) {
    detail = `netrx-synthetic seq ${dataView(userData).getBigUint64(0, true)}`;
  } else {
    detail = `${header.providerId} id ${header.id} level ${header.level}, ${userData.length} bytes`;
  }
  return `${time} ${detail}  [received ${counters.received}, lost ${counters.lost}]`;
}

/** pcapng blocks for packet events: the section header first, an interface per ifIndex. */
export class PacketEventPcapng {
  private readonly writer = new PcapngWriter();
  private readonly interfaces = new Map<number, number>();
  packets = 0;

  start(): Uint8Array {
    return this.writer.sectionHeader();
  }

  /** The blocks for `item` (none when it is not a packet event). */
  blocks(item: NetEventItem): Uint8Array[] {
    const packet = packetFragment(item);
    if (packet === undefined) return [];
    const out: Uint8Array[] = [];
    let id = this.interfaces.get(packet.ifIndex);
    if (id === undefined) {
      id = this.interfaces.size;
      this.interfaces.set(packet.ifIndex, id);
      out.push(
        this.writer.addInterface({
          linkType: LINKTYPE_ETHERNET,
          name: `netrx-if${packet.ifIndex}`,
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
      }),
    );
    this.packets++;
    return out;
  }
}
