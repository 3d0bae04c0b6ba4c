/**
 * Packet events of Microsoft-Windows-NDIS-PacketCapture
 * {2ED6006E-4729-4609-B423-3EE7BCD678EF} as they arrive in an EventRecord's
 * user data: the layout Windows' ndiscap writes and the one netrx's own
 * packet-capture provider writes. Pure; never throws.
 *
 * Event 1001 "Packet Fragment", from the provider's manifest (as published
 * by OSSEM's ETW dictionary and read field by field by Microsoft's
 * etl2pcapng through TDH):
 *
 *     MiniportIfIndex u32 | LowerIfIndex u32 | FragmentSize u32 | Fragment[FragmentSize]
 *     then, on newer Windows builds: GftFlowEntryId u64 | GftOffloadInformation u64
 *
 * netrx writes the same four fields then its own OriginalSize u32 (the
 * length on the wire before truncation). What follows the fragment tells
 * them apart: 4 bytes is netrx's OriginalSize; 0 bytes (older Windows) or
 * 16 bytes (the two GFT u64s) is Windows; anything else is a newer layout
 * whose trailer is ignored. Windows records no original length, so, as
 * etl2pcapng does, it is inferred from the IPv4 total length or IPv6
 * payload length when the frame is Ethernet, and is the fragment size
 * otherwise.
 *
 * The keywords carry what the fields do not (etl2pcapng's constants from
 * the manifest): KW_SEND 0x1_0000_0000 and KW_RECEIVE 0x2_0000_0000 give the
 * direction (netrx also says it by opcode: Send 9, Receive 240);
 * KW_MEDIA_NATIVE_802_11 0x10000 means an 802.11 frame (LINKTYPE 105),
 * KW_MEDIA_WIRELESS_WAN 0x200 a raw IP packet (LINKTYPE 101), else
 * Ethernet. KW_PACKET_START/END split a packet over several events only
 * before Windows 8.1; every LREC server (Windows Server 2012 R2 and later)
 * writes one event per packet, so each event is one packet here.
 *
 * Event 1003 "VMSwitch Packet Fragment" (MiniportIfIndex, LowerIfIndex,
 * SourcePortId u32, SourcePortName, SourceNicName, SourceNicType as
 * NUL-terminated UTF-16LE, DestinationCount u32, Destination[…],
 * FragmentSize u32, Fragment, OOBDataSize u32, OOBData) is decoded when
 * DestinationCount is 0: the size of a Destination entry is not published,
 * so with destinations the event is `undecodable`. Event 1002 "Packet
 * Metadata" (MiniportIfIndex, LowerIfIndex, MetadataSize, Metadata) is
 * per-packet 802.11 metadata, not a packet: `metadata`.
 */

export const NDIS_PACKET_CAPTURE_PROVIDER_GUID = '2ed6006e-4729-4609-b423-3ee7bcd678ef';
export const NDIS_PACKET_FRAGMENT_EVENT = 1001;
export const NDIS_PACKET_METADATA_EVENT = 1002;
export const NDIS_VMSWITCH_PACKET_FRAGMENT_EVENT = 1003;

/** Keywords of the NDIS-PacketCapture manifest that change how a fragment is read. */
export const NdisCaptureKeyword = {
  MediaWirelessWan: 0x200n,
  MediaNative80211: 0x10000n,
  PacketStart: 0x4000_0000n,
  PacketEnd: 0x8000_0000n,
  Send: 0x1_0000_0000n,
  Receive: 0x2_0000_0000n,
} as const;

const OPCODE_SEND = 9;
const OPCODE_RECEIVE = 240;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_IEEE802_11 = 105;

export interface NdisPacket {
  readonly miniportIfIndex: number;
  readonly lowerIfIndex: number;
  /** A view into the user data (no copy). */
  readonly fragment: Uint8Array;
  /** The length on the wire: netrx's OriginalSize, else inferred, never below the fragment's. */
  readonly originalLength: number;
  readonly direction: 'inbound' | 'outbound' | undefined;
  /** LINKTYPE_* of the fragment: 1 Ethernet, 101 raw IP, 105 802.11. */
  readonly linkType: number;
  /** Which writer's layout the user data had. */
  readonly layout: 'netrx' | 'windows' | 'windows-gft' | 'windows-vmswitch' | 'other';
}

export type NdisPacketDecoded =
  | { readonly kind: 'packet'; readonly packet: NdisPacket }
  /** Not a packet event of this provider (another provider, or another event id). */
  | { readonly kind: 'not-packet' }
  /** Event 1002: metadata for the next packet. */
  | { readonly kind: 'metadata' }
  /** A packet event whose user data does not hold its own fields. */
  | { readonly kind: 'undecodable'; readonly reason: string };

export interface NdisEventIdentity {
  readonly providerId: string;
  readonly id: number;
  readonly opcode: number;
  readonly keyword: bigint;
}

const NOT_PACKET: NdisPacketDecoded = { kind: 'not-packet' };
const METADATA: NdisPacketDecoded = { kind: 'metadata' };

function undecodable(reason: string): NdisPacketDecoded {
  return { kind: 'undecodable', reason };
}

/** Decodes a packet event's user data; anything else is `not-packet`. Never throws. */
export function decodeNdisPacket(
  header: NdisEventIdentity,
  userData: Uint8Array,
): NdisPacketDecoded {
  if (header.providerId !== NDIS_PACKET_CAPTURE_PROVIDER_GUID) return NOT_PACKET;
  if (header.id === NDIS_PACKET_METADATA_EVENT) return METADATA;
  const view = new DataView(userData.buffer, userData.byteOffset, userData.byteLength);
  let at: number;
  let vmswitch = false;
  if (header.id === NDIS_PACKET_FRAGMENT_EVENT) {
    at = 8;
  } else if (header.id === NDIS_VMSWITCH_PACKET_FRAGMENT_EVENT) {
    vmswitch = true;
    at = 12;
    for (let s = 0; s < 3; s++) {
      const end = utf16End(userData, at);
      if (end === undefined) return undecodable('a VMSwitch name is not terminated');
      at = end;
    }
    if (userData.length < at + 4) return undecodable('the VMSwitch event ends early');
    if (view.getUint32(at, true) !== 0) {
      return undecodable('VMSwitch destinations have no published layout');
    }
    at += 4;
  } else {
    return NOT_PACKET;
  }
  if (userData.length < at + 4) return undecodable('the packet event ends before FragmentSize');
  const size = view.getUint32(at, true);
  const start = at + 4;
  if (size > userData.length - start) {
    return undecodable(`FragmentSize ${size} runs past the event's ${userData.length} bytes`);
  }
  const fragment = userData.subarray(start, start + size);
  const trailer = userData.length - start - size;
  const linkType =
    (header.keyword & NdisCaptureKeyword.MediaNative80211) !== 0n
      ? LINKTYPE_IEEE802_11
      : (header.keyword & NdisCaptureKeyword.MediaWirelessWan) !== 0n
        ? LINKTYPE_RAW
        : LINKTYPE_ETHERNET;
  let layout: NdisPacket['layout'];
  let original: number;
  if (vmswitch) {
    layout = 'windows-vmswitch';
    original = inferOriginalLength(fragment, linkType);
  } else if (trailer === 4) {
    layout = 'netrx';
    original = view.getUint32(start + size, true);
  } else {
    layout = trailer === 0 ? 'windows' : trailer === 16 ? 'windows-gft' : 'other';
    original = inferOriginalLength(fragment, linkType);
  }
  const direction =
    (header.keyword & NdisCaptureKeyword.Send) !== 0n
      ? 'outbound'
      : (header.keyword & NdisCaptureKeyword.Receive) !== 0n
        ? 'inbound'
        : header.opcode === OPCODE_SEND
          ? 'outbound'
          : header.opcode === OPCODE_RECEIVE
            ? 'inbound'
            : undefined;
  return {
    kind: 'packet',
    packet: {
      miniportIfIndex: view.getUint32(0, true),
      lowerIfIndex: userData.length >= 8 ? view.getUint32(4, true) : 0,
      fragment,
      originalLength: Math.max(original, size),
      direction,
      linkType,
      layout,
    },
  };
}

/** The offset after a NUL-terminated UTF-16LE string starting at `at`, if it ends in the data. */
function utf16End(data: Uint8Array, at: number): number | undefined {
  for (let i = at; i + 1 < data.length; i += 2) {
    if (data[i] === 0 && data[i + 1] === 0) return i + 2;
  }
  return undefined;
}

/**
 * The length on the wire a truncated fragment came from, from its IP
 * header (etl2pcapng's inference), or the fragment's own length.
 */
function inferOriginalLength(fragment: Uint8Array, linkType: number): number {
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.byteLength);
  let ip = -1;
  let linkHeader = 0;
  if (linkType === LINKTYPE_ETHERNET && fragment.length >= 14) {
    const etherType = view.getUint16(12);
    if (etherType === 0x0800 || etherType === 0x86dd) {
      ip = 14;
      linkHeader = 14;
    }
  } else if (linkType === LINKTYPE_RAW && fragment.length >= 1) {
    ip = 0;
  }
  if (ip < 0) return fragment.length;
  const version = (fragment[ip] ?? 0) >> 4;
  if (version === 4 && fragment.length >= ip + 20) {
    return linkHeader + view.getUint16(ip + 2);
  }
  if (version === 6 && fragment.length >= ip + 40) {
    return linkHeader + 40 + view.getUint16(ip + 4);
  }
  return fragment.length;
}
