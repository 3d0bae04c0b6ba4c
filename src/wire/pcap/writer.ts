import { ByteWriter } from '../../bytes/index.js';
import {
  BlockType,
  BYTE_ORDER_MAGIC,
  DEFAULT_MAX_PACKET_LENGTH,
  LINKTYPE_FCS_SHIFT,
  LINKTYPE_P_BIT,
  OptionCode,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  PCAPNG_VERSION_MAJOR,
  PCAPNG_VERSION_MINOR,
} from './constants.js';
import { encodeFlags } from './options.js';
import { encodeTsResol, isValidResolution, nanosecondsToUnits } from './timestamp.js';
import {
  MICROSECONDS,
  type ByteOrder,
  type PacketFlags,
  type TimestampResolution,
} from './types.js';

/** A packet handed to a writer. */
export interface PacketToWrite {
  /** Nanoseconds since 1970-01-01 UTC (rounded down to the file's resolution). */
  readonly timestamp: bigint;
  /** The frame; cut to the snapshot length if longer. */
  readonly data: Uint8Array;
  /** Length on the wire; defaults to `data.length`. */
  readonly originalLength?: number;
}

/** A packet handed to a pcapng writer: adds interface, flags and comments. */
export interface PcapngPacketToWrite extends PacketToWrite {
  /** Interface id within the current section; default 0. */
  readonly interfaceId?: number;
  /** epb_flags; omitted when undefined. */
  readonly flags?: Partial<PacketFlags>;
  /** One opt_comment per string. */
  readonly comments?: readonly string[];
  /** epb_dropcount: packets lost between the previous packet and this one; omitted when undefined. */
  readonly dropCount?: bigint;
}

/**
 * An Interface Statistics Block's fields (pcapng ISB). Counters are totals
 * since the capture began, as the format defines them; each is omitted when
 * undefined.
 */
export interface InterfaceStatisticsToWrite {
  /** Interface id within the current section; default 0. */
  readonly interfaceId?: number;
  /** When the statistics were taken: nanoseconds since 1970-01-01 UTC. */
  readonly timestamp: bigint;
  /** isb_starttime, isb_endtime: nanoseconds since 1970. */
  readonly startTime?: bigint;
  readonly endTime?: bigint;
  /** isb_ifrecv: packets the interface received. */
  readonly received?: bigint;
  /** isb_ifdrop: packets the interface dropped for lack of resources. */
  readonly dropped?: bigint;
  /** isb_filteraccept: packets the capture filter accepted. */
  readonly filterAccepted?: bigint;
  /** isb_osdrop: packets the operating system dropped. */
  readonly osDropped?: bigint;
  /** isb_usrdeliv: packets delivered to the user (written). */
  readonly delivered?: bigint;
  /** One opt_comment per string. */
  readonly comments?: readonly string[];
}

const U64_MAX = 0xffffffffffffffffn;

function u64(name: string, value: bigint): bigint {
  if (value < 0n || value > U64_MAX) {
    throw new RangeError(`${name} must fit an unsigned 64-bit integer: got ${value}`);
  }
  return value;
}

function u32(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${name} must be an unsigned 32-bit integer: got ${value}`);
  }
  return value;
}

/** Writes 32-bit words and 16-bit halves in one byte order. */
class OrderedWriter {
  readonly out = ByteWriter.growable(256, 0x7fffffff);
  constructor(private readonly little: boolean) {}
  u16(value: number): this {
    if (this.little) this.out.u16le(value);
    else this.out.u16(value);
    return this;
  }
  u32(value: number): this {
    if (this.little) this.out.u32le(value);
    else this.out.u32(value);
    return this;
  }
  u64(value: bigint): this {
    if (this.little) this.out.u64le(value);
    else this.out.u64(value);
    return this;
  }
  bytes(data: Uint8Array): this {
    this.out.bytes(data);
    return this;
  }
  pad(): this {
    const extra = (4 - (this.out.offset % 4)) % 4;
    if (extra > 0) this.out.zeros(extra);
    return this;
  }
  /** The written bytes as one array of their own. */
  finish(): Uint8Array<ArrayBuffer> {
    // Deliberate copy into an exactly sized buffer: the growable one is reused by nobody,
    // but handing out its slack would pin it.
    return new Uint8Array(this.out.finish());
  }
}

export interface PcapWriterOptions {
  /** LINKTYPE_* value (1 = Ethernet). */
  readonly linkType: number;
  /** SnapLen; default 262144. Longer frames are cut to it. Must not be 0. */
  readonly snapLength?: number;
  /** Write nanosecond timestamps (magic a1b23c4d); default microseconds. */
  readonly nanoseconds?: boolean;
  /** Default 'little'. */
  readonly byteOrder?: ByteOrder;
  /** Octets of FCS on every frame (even, 0–30): sets the P bit and FCS len. */
  readonly fcsLength?: number;
}

/** Classic pcap writer: `header()` once, then `record()` per packet. No I/O. */
export class PcapWriter {
  readonly linkType: number;
  readonly snapLength: number;
  readonly nanoseconds: boolean;
  readonly byteOrder: ByteOrder;
  readonly fcsLength: number | undefined;

  constructor(options: PcapWriterOptions) {
    if (!Number.isInteger(options.linkType) || options.linkType < 0 || options.linkType > 0xffff) {
      throw new RangeError(`linkType must be from 0 to 65535: got ${options.linkType}`);
    }
    const fcs = options.fcsLength;
    if (fcs !== undefined && (!Number.isInteger(fcs) || fcs < 0 || fcs > 30 || fcs % 2 !== 0)) {
      throw new RangeError(`fcsLength must be an even number of octets from 0 to 30: got ${fcs}`);
    }
    this.linkType = options.linkType;
    this.snapLength = u32('snapLength', options.snapLength ?? DEFAULT_MAX_PACKET_LENGTH);
    if (this.snapLength === 0) throw new RangeError('snapLength must not be 0');
    this.nanoseconds = options.nanoseconds ?? false;
    this.byteOrder = options.byteOrder ?? 'little';
    this.fcsLength = fcs;
  }

  /** The 24-byte file header. */
  header(): Uint8Array<ArrayBuffer> {
    const w = new OrderedWriter(this.byteOrder === 'little');
    const fcs =
      this.fcsLength === undefined
        ? 0
        : (LINKTYPE_P_BIT | ((this.fcsLength / 2) << LINKTYPE_FCS_SHIFT)) >>> 0;
    w.u32(this.nanoseconds ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS)
      .u16(PCAP_VERSION_MAJOR)
      .u16(PCAP_VERSION_MINOR)
      .u32(0)
      .u32(0)
      .u32(this.snapLength)
      .u32((fcs | this.linkType) >>> 0);
    return w.finish();
  }

  /** One packet record (16-byte header and the data, unpadded). */
  record(packet: PacketToWrite): Uint8Array<ArrayBuffer> {
    const ts = packet.timestamp;
    if (ts < 0n || ts >= 0x1_0000_0000n * 1_000_000_000n) {
      throw new RangeError(`pcap timestamps must be from 1970 to 2106: got ${ts} ns`);
    }
    const seconds = ts / 1_000_000_000n;
    const fraction = ts % 1_000_000_000n;
    const data =
      packet.data.length > this.snapLength ? packet.data.subarray(0, this.snapLength) : packet.data;
    const originalLength = u32('originalLength', packet.originalLength ?? packet.data.length);
    const w = new OrderedWriter(this.byteOrder === 'little');
    w.u32(Number(seconds))
      .u32(Number(this.nanoseconds ? fraction : fraction / 1000n))
      .u32(data.length)
      .u32(originalLength)
      .bytes(data);
    return w.finish();
  }
}

export interface PcapngWriterOptions {
  /** Default 'little'. */
  readonly byteOrder?: ByteOrder;
  /** shb_userappl; default "netrx". Empty string omits it. */
  readonly userApplication?: string;
  readonly hardware?: string;
  readonly os?: string;
  readonly comments?: readonly string[];
}

export interface InterfaceToWrite {
  readonly linkType: number;
  /** 0 (default) means unlimited. */
  readonly snapLength?: number;
  readonly name?: string;
  readonly description?: string;
  /** if_tsresol; default microseconds (then the option is omitted). */
  readonly resolution?: TimestampResolution;
  /** if_tsoffset in seconds; omitted when 0 or undefined. */
  readonly tsOffset?: bigint;
  /** if_fcslen in octets. */
  readonly fcsLength?: number;
  readonly comments?: readonly string[];
}

const utf8 = new TextEncoder();

interface WriterInterface {
  readonly snapLength: number;
  readonly resolution: TimestampResolution;
  readonly offsetNanoseconds: bigint;
}

/**
 * pcapng writer: `sectionHeader()` starts a section (call it first; calling it
 * again starts a new section with no interfaces), `addInterface()` writes an
 * IDB whose id is its position in the section, `packet()` writes an EPB.
 * Every method returns the bytes of one block. No I/O.
 */
export class PcapngWriter {
  readonly byteOrder: ByteOrder;
  private readonly little: boolean;
  private readonly options: PcapngWriterOptions;
  private interfaces: WriterInterface[] | undefined;

  constructor(options: PcapngWriterOptions = {}) {
    this.byteOrder = options.byteOrder ?? 'little';
    this.little = this.byteOrder === 'little';
    this.options = options;
  }

  /** Interfaces added to the current section. */
  get interfaceCount(): number {
    return this.interfaces?.length ?? 0;
  }

  /** A Section Header Block, version 1.0, section length unknown (-1). */
  sectionHeader(): Uint8Array<ArrayBuffer> {
    this.interfaces = [];
    const o = this.options;
    return this.block(BlockType.SectionHeader, (w) => {
      w.u32(BYTE_ORDER_MAGIC)
        .u16(PCAPNG_VERSION_MAJOR)
        .u16(PCAPNG_VERSION_MINOR)
        .u64(-1n & 0xffffffffffffffffn);
      const options: [number, Uint8Array][] = [];
      for (const c of o.comments ?? []) options.push([OptionCode.Comment, utf8.encode(c)]);
      if (o.hardware !== undefined) options.push([OptionCode.ShbHardware, utf8.encode(o.hardware)]);
      if (o.os !== undefined) options.push([OptionCode.ShbOs, utf8.encode(o.os)]);
      const app = o.userApplication ?? 'netrx';
      if (app !== '') options.push([OptionCode.ShbUserAppl, utf8.encode(app)]);
      this.writeOptions(w, options);
    });
  }

  /** An Interface Description Block. */
  addInterface(iface: InterfaceToWrite): Uint8Array<ArrayBuffer> {
    const interfaces = this.requireSection();
    if (!Number.isInteger(iface.linkType) || iface.linkType < 0 || iface.linkType > 0xffff) {
      throw new RangeError(`linkType must be from 0 to 65535: got ${iface.linkType}`);
    }
    const snapLength = u32('snapLength', iface.snapLength ?? 0);
    const resolution = iface.resolution ?? MICROSECONDS;
    if (!isValidResolution(resolution)) {
      throw new RangeError(
        `resolution must be base 10 or 2 with an exponent from 0 to 127: got ${resolution.base}^-${resolution.exponent}`,
      );
    }
    const tsOffset = iface.tsOffset ?? 0n;
    if (tsOffset < -(2n ** 63n) || tsOffset >= 2n ** 63n) {
      throw new RangeError(`tsOffset must fit a signed 64-bit integer: got ${tsOffset}`);
    }
    const fcs = iface.fcsLength;
    if (fcs !== undefined && (!Number.isInteger(fcs) || fcs < 0 || fcs > 255)) {
      throw new RangeError(`fcsLength must be from 0 to 255: got ${fcs}`);
    }
    const bytes = this.block(BlockType.InterfaceDescription, (w) => {
      w.u16(iface.linkType).u16(0).u32(snapLength);
      const options: [number, Uint8Array][] = [];
      for (const c of iface.comments ?? []) options.push([OptionCode.Comment, utf8.encode(c)]);
      if (iface.name !== undefined) options.push([OptionCode.IfName, utf8.encode(iface.name)]);
      if (iface.description !== undefined) {
        options.push([OptionCode.IfDescription, utf8.encode(iface.description)]);
      }
      if (resolution.base !== 10 || resolution.exponent !== 6) {
        options.push([OptionCode.IfTsResol, Uint8Array.of(encodeTsResol(resolution))]);
      }
      if (fcs !== undefined) options.push([OptionCode.IfFcsLen, Uint8Array.of(fcs)]);
      if (tsOffset !== 0n) {
        const value = new Uint8Array(8);
        new DataView(value.buffer).setBigInt64(0, tsOffset, this.little);
        options.push([OptionCode.IfTsOffset, value]);
      }
      this.writeOptions(w, options);
    });
    interfaces.push({ snapLength, resolution, offsetNanoseconds: tsOffset * 1_000_000_000n });
    return bytes;
  }

  /** An Enhanced Packet Block. */
  packet(packet: PcapngPacketToWrite): Uint8Array<ArrayBuffer> {
    const interfaces = this.requireSection();
    const interfaceId = packet.interfaceId ?? 0;
    const iface = interfaces[interfaceId];
    if (iface === undefined) {
      throw new RangeError(
        `interface ${interfaceId} has not been added to this section (it has ${interfaces.length})`,
      );
    }
    const units = nanosecondsToUnits(packet.timestamp - iface.offsetNanoseconds, iface.resolution);
    if (units < 0n || units > 0xffffffffffffffffn) {
      throw new RangeError(
        `timestamp ${packet.timestamp} ns does not fit the interface's 64-bit units`,
      );
    }
    const snap = iface.snapLength;
    const data =
      snap !== 0 && packet.data.length > snap ? packet.data.subarray(0, snap) : packet.data;
    const originalLength = u32('originalLength', packet.originalLength ?? packet.data.length);
    if (
      packet.dropCount !== undefined &&
      (packet.dropCount < 0n || packet.dropCount > 0xffffffffffffffffn)
    ) {
      throw new RangeError(
        `dropCount must fit an unsigned 64-bit integer: got ${packet.dropCount}`,
      );
    }
    return this.block(BlockType.EnhancedPacket, (w) => {
      w.u32(interfaceId)
        .u32(Number(units >> 32n))
        .u32(Number(units & 0xffffffffn))
        .u32(data.length)
        .u32(originalLength)
        .bytes(data)
        .pad();
      const options: [number, Uint8Array][] = [];
      if (packet.flags !== undefined) {
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, encodeFlags(packet.flags), this.little);
        options.push([OptionCode.EpbFlags, value]);
      }
      for (const c of packet.comments ?? []) options.push([OptionCode.Comment, utf8.encode(c)]);
      if (packet.dropCount !== undefined) {
        const value = new Uint8Array(8);
        new DataView(value.buffer).setBigUint64(0, packet.dropCount, this.little);
        options.push([OptionCode.EpbDropCount, value]);
      }
      this.writeOptions(w, options);
    });
  }

  /**
   * An Interface Statistics Block for an interface of this section. Its
   * timestamps are in the interface's units (as an EPB's); RangeError when
   * a time or counter does not fit, or the interface is unknown.
   */
  statistics(stats: InterfaceStatisticsToWrite): Uint8Array<ArrayBuffer> {
    const interfaceId = stats.interfaceId ?? 0;
    const iface = this.requireInterface(interfaceId);
    const units = (name: string, ns: bigint) =>
      u64(name, nanosecondsToUnits(ns - iface.offsetNanoseconds, iface.resolution));
    const time = units('timestamp', stats.timestamp);
    const options: [number, Uint8Array][] = [];
    for (const c of stats.comments ?? []) options.push([OptionCode.Comment, utf8.encode(c)]);
    const timeOption = (code: number, name: string, ns: bigint | undefined) => {
      if (ns === undefined) return;
      const t = units(name, ns);
      const value = new Uint8Array(8);
      const view = new DataView(value.buffer);
      view.setUint32(0, Number(t >> 32n), this.little);
      view.setUint32(4, Number(t & 0xffffffffn), this.little);
      options.push([code, value]);
    };
    const counter = (code: number, name: string, n: bigint | undefined) => {
      if (n === undefined) return;
      const value = new Uint8Array(8);
      new DataView(value.buffer).setBigUint64(0, u64(name, n), this.little);
      options.push([code, value]);
    };
    timeOption(OptionCode.IsbStartTime, 'startTime', stats.startTime);
    timeOption(OptionCode.IsbEndTime, 'endTime', stats.endTime);
    counter(OptionCode.IsbIfRecv, 'received', stats.received);
    counter(OptionCode.IsbIfDrop, 'dropped', stats.dropped);
    counter(OptionCode.IsbFilterAccept, 'filterAccepted', stats.filterAccepted);
    counter(OptionCode.IsbOsDrop, 'osDropped', stats.osDropped);
    counter(OptionCode.IsbUsrDeliv, 'delivered', stats.delivered);
    return this.block(BlockType.InterfaceStatistics, (w) => {
      w.u32(interfaceId)
        .u32(Number(time >> 32n))
        .u32(Number(time & 0xffffffffn));
      this.writeOptions(w, options);
    });
  }

  private requireInterface(interfaceId: number): WriterInterface {
    const interfaces = this.requireSection();
    const iface = interfaces[interfaceId];
    if (iface === undefined) {
      throw new RangeError(
        `interface ${interfaceId} has not been added to this section (it has ${interfaces.length})`,
      );
    }
    return iface;
  }

  private requireSection(): WriterInterface[] {
    if (this.interfaces === undefined) {
      throw new RangeError('Call sectionHeader() before writing interfaces or packets');
    }
    return this.interfaces;
  }

  private writeOptions(w: OrderedWriter, options: readonly [number, Uint8Array][]): void {
    if (options.length === 0) return;
    for (const [code, value] of options) {
      if (value.length > 0xffff) {
        throw new RangeError(`option ${code} is ${value.length} bytes; the limit is 65535`);
      }
      w.u16(code).u16(value.length).bytes(value).pad();
    }
    w.u16(OptionCode.EndOfOpt).u16(0);
  }

  private block(type: number, body: (w: OrderedWriter) => void): Uint8Array<ArrayBuffer> {
    const w = new OrderedWriter(this.little);
    w.u32(type).u32(0);
    body(w);
    w.pad();
    const total = w.out.offset + 4;
    w.u32(total);
    const bytes = w.finish();
    new DataView(bytes.buffer).setUint32(4, total, this.little);
    return bytes;
  }
}
