import type { DecodeFailure } from '../result.js';
import { ChunkQueue } from './chunk-queue.js';
import {
  BlockType,
  BYTE_ORDER_MAGIC,
  DEFAULT_MAX_BLOCK_LENGTH,
  DEFAULT_MAX_INTERFACES,
  DEFAULT_MAX_PACKET_LENGTH,
  DEFAULT_MAX_SECTIONS,
  LINKTYPE_FCS_SHIFT,
  LINKTYPE_MASK,
  LINKTYPE_P_BIT,
  LINKTYPE_R_BIT,
  LINKTYPE_RESERVED3_MASK,
  MIN_BLOCK_LENGTH,
  MIN_EPB_LENGTH,
  MIN_IDB_LENGTH,
  MIN_PB_LENGTH,
  MIN_SHB_LENGTH,
  MIN_SPB_LENGTH,
  OptionCode,
  PCAP_FILE_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_RECORD_HEADER_LENGTH,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  PCAPNG_VERSION_MAJOR,
  PCAPNG_VERSION_MINOR,
} from './constants.js';
import { decodeFlags, optionText, parseOptions, type RawOption } from './options.js';
import { decodeTsResol, unitsToNanosecondsFn } from './timestamp.js';
import {
  MICROSECONDS,
  NANOSECONDS,
  type ByteOrder,
  type CaptureFormat,
  type PacketFlags,
  type PcapFileInfo,
  type PcapInterface,
  type PcapRecord,
  type PcapSection,
  type TimestampResolution,
} from './types.js';

/**
 * Every failure code the reader reports. Stable; match on these, not on messages.
 */
export const PcapFailureCode = {
  /** The first four bytes are neither a pcap magic (either order, µs or ns) nor a pcapng SHB. */
  NotACapture: 'not-a-capture',
  /** The input ended inside a file header, record or block (or was empty). */
  Truncated: 'truncated',
  /** pcap version other than 2.4, or pcapng SHB version other than 1.0 (1.2 is read as 1.0). */
  BadVersion: 'bad-version',
  /** pcap LinkType field with its reserved bits (Reserved3 or R) set. */
  BadLinkType: 'bad-link-type',
  /** A captured length above `maxPacketLength`. */
  PacketTooLarge: 'packet-too-large',
  /** A pcap record whose captured length exceeds the file's SnapLen. */
  CaplenExceedsSnaplen: 'caplen-exceeds-snaplen',
  /** A pcapng block length that is not a multiple of 4, below the type's minimum, disagrees with its trailing copy, or cannot hold the packet it claims. */
  BadBlockLength: 'bad-block-length',
  /** A pcapng block longer than `maxBlockLength`. */
  BlockTooLarge: 'block-too-large',
  /** An SHB whose byte-order magic is neither 0x1A2B3C4D nor 0x4D3C2B1A. */
  BadByteOrder: 'bad-byte-order',
  /** An option that overruns its block, has the wrong length for its code, or repeats where it must not. */
  BadOption: 'bad-option',
  /** A packet before any IDB in its section, or naming an interface the section does not have. */
  UnknownInterface: 'unknown-interface',
  /** More IDBs than `maxInterfaces`. */
  TooManyInterfaces: 'too-many-interfaces',
  /** More SHBs than `maxSections`. */
  TooManySections: 'too-many-sections',
} as const;
export type PcapFailureCode = (typeof PcapFailureCode)[keyof typeof PcapFailureCode];

export interface PcapReaderOptions {
  /** Largest captured length accepted per packet. Default 262144 (256 KiB), as libpcap and Wireshark. */
  readonly maxPacketLength?: number;
  /** Largest pcapng block accepted (any type). Default 16 MiB. */
  readonly maxBlockLength?: number;
  /** Interfaces remembered over all sections. Default 65536. */
  readonly maxInterfaces?: number;
  /** Sections remembered. Default 65536. */
  readonly maxSections?: number;
}

export type PcapReadResult =
  | { readonly kind: 'record'; readonly record: PcapRecord }
  /** Push more bytes (or call `end()`), then call `next()` again. */
  | { readonly kind: 'need-more' }
  /** `end()` was called and the input ended cleanly at a record boundary. */
  | { readonly kind: 'end' }
  /** The input is malformed; every later `next()` returns the same failure. */
  | { readonly kind: 'error'; readonly failure: DecodeFailure };

interface InterfaceState {
  readonly info: PcapInterface;
  readonly toNanoseconds: (units: bigint) => bigint;
  readonly offsetNanoseconds: bigint;
}

interface SectionState {
  readonly info: PcapSection;
  readonly interfaces: InterfaceState[];
  readonly little: boolean;
}

interface Mutable {
  interfaces: PcapInterface[];
}

type State = 'start' | 'pcap-header' | 'pcap' | 'pcapng' | 'failed';

const NEED_MORE: PcapReadResult = { kind: 'need-more' };
const END: PcapReadResult = { kind: 'end' };

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    throw new RangeError(`${name} must be an integer from 1 to 2147483647: got ${value}`);
  }
  return value;
}

/**
 * A streaming, sans-I/O reader of pcap and pcapng. Feed it bytes with `push`,
 * pull records with `next` until it answers `need-more`, and call `end` when
 * the input is complete. The format is detected from the first four bytes.
 *
 * Memory: the reader keeps references to pushed chunks until their bytes are
 * consumed and copies only a record or block that spans chunks, so beyond the
 * caller's own chunks it holds at most one block (≤ `maxBlockLength`). Every
 * length is checked against the limits before anything is allocated. Records'
 * `data` are views into the pushed chunks: a caller that reuses its chunk
 * buffers must copy what it keeps.
 *
 * Malformed input never throws: `next` returns `{ kind: 'error', failure }`
 * with a `PcapFailureCode` and the file offset. Misuse (push after `end`)
 * throws a `RangeError`.
 */
export class PcapReader {
  private readonly queue = new ChunkQueue();
  private readonly maxPacketLength: number;
  private readonly maxBlockLength: number;
  private readonly maxInterfaces: number;
  private readonly maxSections: number;
  private state: State = 'start';
  private ended = false;
  private failed: DecodeFailure | undefined;
  private format: CaptureFormat | undefined;
  private readonly sections: SectionState[] = [];
  private readonly sectionInfos: PcapSection[] = [];
  private readonly allInterfaces: PcapInterface[] = [];
  // pcap: decoded once from the file header.
  private pcapLittle = false;
  private pcapNano = false;
  private pcapSnapLength = 0;
  private pcapLinkType = 0;

  constructor(options: PcapReaderOptions = {}) {
    this.maxPacketLength = checkLimit(
      'maxPacketLength',
      options.maxPacketLength,
      DEFAULT_MAX_PACKET_LENGTH,
    );
    this.maxBlockLength = checkLimit(
      'maxBlockLength',
      options.maxBlockLength,
      DEFAULT_MAX_BLOCK_LENGTH,
    );
    this.maxInterfaces = checkLimit('maxInterfaces', options.maxInterfaces, DEFAULT_MAX_INTERFACES);
    this.maxSections = checkLimit('maxSections', options.maxSections, DEFAULT_MAX_SECTIONS);
  }

  /** Adds bytes. They are not copied; keep them unchanged until their records are done with. */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new RangeError('Cannot push to a pcap reader after end()');
    if (this.state === 'failed') return;
    this.queue.push(chunk);
  }

  /** Marks the end of input: an incomplete record left over becomes a `truncated` failure. */
  end(): void {
    this.ended = true;
  }

  /** The failure, once the reader has failed. */
  get failure(): DecodeFailure | undefined {
    return this.failed;
  }

  /** Bytes consumed so far: the file offset of the next record or block. */
  get position(): number {
    return this.queue.position;
  }

  /** Bytes pushed and not yet consumed. */
  get buffered(): number {
    return this.queue.available;
  }

  /** What the file has declared so far: format, sections and interfaces (live arrays). */
  get info(): PcapFileInfo {
    return { format: this.format, sections: this.sectionInfos, interfaces: this.allInterfaces };
  }

  /** The next record, or why there is none yet. */
  next(): PcapReadResult {
    for (;;) {
      let result: PcapReadResult | undefined;
      switch (this.state) {
        case 'failed':
          return { kind: 'error', failure: this.failed as DecodeFailure };
        case 'start':
          result = this.readMagic();
          break;
        case 'pcap-header':
          result = this.readPcapHeader();
          break;
        case 'pcap':
          result = this.readPcapRecord();
          break;
        case 'pcapng':
          result = this.readBlock();
          break;
      }
      if (result === NEED_MORE) return this.ended ? this.atEnd() : NEED_MORE;
      if (result !== undefined) return result;
    }
  }

  private atEnd(): PcapReadResult {
    const available = this.queue.available;
    if (available === 0 && (this.state === 'pcap' || this.state === 'pcapng')) return END;
    const what =
      this.state === 'start' || this.state === 'pcap-header'
        ? 'the file header'
        : this.state === 'pcap'
          ? 'a packet record'
          : 'a block';
    return this.fail(
      PcapFailureCode.Truncated,
      available === 0 && this.queue.position === 0
        ? 'empty input: no capture file header'
        : `input ends inside ${what}: ${available} bytes left over`,
      0,
    );
  }

  private fail(code: PcapFailureCode, message: string, at: number): PcapReadResult {
    const failure: DecodeFailure = { code, message, offset: this.queue.position + at };
    this.failed = failure;
    this.state = 'failed';
    this.queue.clear();
    return { kind: 'error', failure };
  }

  // ---------------------------------------------------------------- detection

  private readMagic(): PcapReadResult | undefined {
    const head = this.queue.peek(4);
    if (head === undefined) return NEED_MORE;
    const magic = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    const swapped = ((head[3]! << 24) | (head[2]! << 16) | (head[1]! << 8) | head[0]!) >>> 0;
    if (magic === BlockType.SectionHeader) {
      this.format = 'pcapng';
      this.state = 'pcapng';
      return undefined;
    }
    for (const [value, little] of [
      [magic, false],
      [swapped, true],
    ] as const) {
      if (value === PCAP_MAGIC_MICROSECONDS || value === PCAP_MAGIC_NANOSECONDS) {
        this.format = 'pcap';
        this.pcapLittle = little;
        this.pcapNano = value === PCAP_MAGIC_NANOSECONDS;
        this.state = 'pcap-header';
        return undefined;
      }
    }
    const hint =
      head[0] === 0x1f && head[1] === 0x8b
        ? ' (gzip-compressed: decompress it first)'
        : magic === 0xa1b2cd34 || swapped === 0xa1b2cd34
          ? ' (the modified pcap format of old Linux patches is not supported)'
          : '';
    return this.fail(
      PcapFailureCode.NotACapture,
      `not a pcap or pcapng file: magic 0x${magic.toString(16).padStart(8, '0')}${hint}`,
      0,
    );
  }

  // ---------------------------------------------------------------- pcap

  private readPcapHeader(): PcapReadResult | undefined {
    const header = this.queue.peek(PCAP_FILE_HEADER_LENGTH);
    if (header === undefined) return NEED_MORE;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const little = this.pcapLittle;
    const major = view.getUint16(4, little);
    const minor = view.getUint16(6, little);
    if (major !== PCAP_VERSION_MAJOR || minor !== PCAP_VERSION_MINOR) {
      return this.fail(
        PcapFailureCode.BadVersion,
        `unsupported pcap version ${major}.${minor}: only 2.4 is defined`,
        4,
      );
    }
    // SnapLen 0 breaks a writer's MUST, but libpcap and Wireshark read such files;
    // it is taken as "no limit" (maxPacketLength still applies).
    const snapLength = view.getUint32(16, little);
    const field = view.getUint32(20, little);
    if ((field & (LINKTYPE_RESERVED3_MASK | LINKTYPE_R_BIT)) !== 0) {
      return this.fail(
        PcapFailureCode.BadLinkType,
        `pcap LinkType field 0x${field.toString(16).padStart(8, '0')} has reserved bits set`,
        20,
      );
    }
    this.pcapSnapLength = snapLength;
    this.pcapLinkType = field & LINKTYPE_MASK;
    const resolution = this.pcapNano ? NANOSECONDS : MICROSECONDS;
    const fcs = field & LINKTYPE_P_BIT ? { fcsLength: (field >>> LINKTYPE_FCS_SHIFT) * 2 } : {};
    const iface: PcapInterface = {
      sectionIndex: 0,
      id: 0,
      linkType: this.pcapLinkType,
      snapLength,
      resolution,
      tsOffset: 0n,
      ...fcs,
    };
    this.sectionInfos.push({
      index: 0,
      byteOrder: little ? 'little' : 'big',
      versionMajor: major,
      versionMinor: minor,
      sectionLength: -1n,
      interfaces: [iface],
    });
    this.allInterfaces.push(iface);
    this.queue.skip(PCAP_FILE_HEADER_LENGTH);
    this.state = 'pcap';
    return undefined;
  }

  private readPcapRecord(): PcapReadResult | undefined {
    const header = this.queue.peek(PCAP_RECORD_HEADER_LENGTH);
    if (header === undefined) return NEED_MORE;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const little = this.pcapLittle;
    const capturedLength = view.getUint32(8, little);
    if (capturedLength > this.maxPacketLength) {
      return this.fail(
        PcapFailureCode.PacketTooLarge,
        `pcap record claims ${capturedLength} captured bytes; the limit is ${this.maxPacketLength}`,
        8,
      );
    }
    if (this.pcapSnapLength !== 0 && capturedLength > this.pcapSnapLength) {
      return this.fail(
        PcapFailureCode.CaplenExceedsSnaplen,
        `pcap record claims ${capturedLength} captured bytes, more than the file's SnapLen ${this.pcapSnapLength}`,
        8,
      );
    }
    const total = PCAP_RECORD_HEADER_LENGTH + capturedLength;
    if (this.queue.available < total) return NEED_MORE;
    const seconds = BigInt(view.getUint32(0, little));
    const fraction = BigInt(view.getUint32(4, little));
    const originalLength = view.getUint32(12, little);
    const record = this.queue.peek(total) as Uint8Array;
    const data = record.subarray(PCAP_RECORD_HEADER_LENGTH);
    this.queue.skip(total);
    const nano = this.pcapNano;
    return {
      kind: 'record',
      record: {
        sectionIndex: 0,
        interfaceId: 0,
        linkType: this.pcapLinkType,
        timestamp: seconds * 1_000_000_000n + (nano ? fraction : fraction * 1000n),
        timestampUnits: seconds * (nano ? 1_000_000_000n : 1_000_000n) + fraction,
        resolution: nano ? NANOSECONDS : MICROSECONDS,
        capturedLength,
        originalLength,
        data,
        source: 'pcap-record',
      },
    };
  }

  // ---------------------------------------------------------------- pcapng

  private readBlock(): PcapReadResult | undefined {
    const head = this.queue.peek(8);
    if (head === undefined) return NEED_MORE;
    const headView = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const isShb = headView.getUint32(0) === BlockType.SectionHeader;
    let little: boolean;
    if (isShb) {
      const bom = this.queue.peek(4, 8);
      if (bom === undefined) return NEED_MORE;
      const bomView = new DataView(bom.buffer, bom.byteOffset, bom.byteLength);
      if (bomView.getUint32(0, true) === BYTE_ORDER_MAGIC) little = true;
      else if (bomView.getUint32(0, false) === BYTE_ORDER_MAGIC) little = false;
      else {
        return this.fail(
          PcapFailureCode.BadByteOrder,
          `SHB byte-order magic 0x${bomView.getUint32(0).toString(16).padStart(8, '0')} is neither 1a2b3c4d nor 4d3c2b1a`,
          8,
        );
      }
    } else {
      little = (this.sections[this.sections.length - 1] as SectionState).little;
    }
    const type = headView.getUint32(0, little);
    const total = headView.getUint32(4, little);
    const minimum = minimumLength(type);
    if (total % 4 !== 0 || total < minimum) {
      return this.fail(
        PcapFailureCode.BadBlockLength,
        `block type 0x${type.toString(16)} has total length ${total}: it must be a multiple of 4 and at least ${minimum}`,
        4,
      );
    }
    if (total > this.maxBlockLength) {
      return this.fail(
        PcapFailureCode.BlockTooLarge,
        `block type 0x${type.toString(16)} is ${total} bytes long; the limit is ${this.maxBlockLength}`,
        4,
      );
    }
    if (isShb) {
      // Check the version before waiting for the body: a 2.x section may not be laid out as 1.x.
      const version = this.queue.peek(4, 12);
      if (version === undefined) return NEED_MORE;
      const versionView = new DataView(version.buffer, version.byteOffset, version.byteLength);
      const major = versionView.getUint16(0, little);
      const minor = versionView.getUint16(2, little);
      // 1.2 was written by some old tools for files identical to 1.0; libpcap and
      // Wireshark read it as 1.0, and so does this reader.
      if (major !== PCAPNG_VERSION_MAJOR || (minor !== PCAPNG_VERSION_MINOR && minor !== 2)) {
        return this.fail(
          PcapFailureCode.BadVersion,
          `unsupported pcapng section version ${major}.${minor}: only 1.0 (and its alias 1.2) is defined`,
          12,
        );
      }
    }
    if (this.queue.available < total) return NEED_MORE;
    const trailer = this.queue.peek(4, total - 4) as Uint8Array;
    const trailing = new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0, little);
    if (trailing !== total) {
      return this.fail(
        PcapFailureCode.BadBlockLength,
        `block type 0x${type.toString(16)}: trailing length ${trailing} differs from leading length ${total}`,
        total - 4,
      );
    }
    switch (type) {
      case BlockType.SectionHeader:
        return this.finish(total, this.sectionHeader(this.block(total), little));
      case BlockType.InterfaceDescription:
        return this.finish(total, this.interfaceDescription(this.block(total), little));
      case BlockType.EnhancedPacket:
      case BlockType.Packet:
      case BlockType.SimplePacket:
        return this.finish(total, this.packet(type, this.block(total), little));
      default:
        // NRB, ISB, DSB, custom and unknown blocks: skipped by length, never copied.
        this.queue.skip(total);
        return undefined;
    }
  }

  private block(total: number): { bytes: Uint8Array; view: DataView } {
    const bytes = this.queue.peek(total) as Uint8Array;
    return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  private finish(total: number, result: PcapReadResult | undefined): PcapReadResult | undefined {
    if (result === undefined || result.kind === 'record') this.queue.skip(total);
    return result;
  }

  private options(
    block: { bytes: Uint8Array; view: DataView },
    start: number,
    little: boolean,
  ): { readonly list: readonly RawOption[] } | { readonly error: PcapReadResult } {
    const parsed = parseOptions(block.bytes, block.view, start, block.bytes.length - 4, little);
    if (!parsed.ok) {
      return { error: this.fail(PcapFailureCode.BadOption, parsed.message, parsed.offset) };
    }
    return { list: parsed.options };
  }

  private sectionHeader(
    block: { bytes: Uint8Array; view: DataView },
    little: boolean,
  ): PcapReadResult | undefined {
    if (this.sections.length >= this.maxSections) {
      return this.fail(
        PcapFailureCode.TooManySections,
        `more than ${this.maxSections} sections`,
        0,
      );
    }
    const options = this.options(block, 24, little);
    if ('error' in options) return options.error;
    const info: {
      -readonly [K in keyof PcapSection]: PcapSection[K];
    } = {
      index: this.sections.length,
      byteOrder: (little ? 'little' : 'big') satisfies ByteOrder,
      versionMajor: block.view.getUint16(12, little),
      versionMinor: block.view.getUint16(14, little),
      sectionLength: block.view.getBigInt64(16, little),
      interfaces: [],
    };
    const comments: string[] = [];
    for (const option of options.list) {
      if (option.code === OptionCode.Comment) comments.push(optionText(option.value));
      else if (option.code === OptionCode.ShbHardware) info.hardware = optionText(option.value);
      else if (option.code === OptionCode.ShbOs) info.os = optionText(option.value);
      else if (option.code === OptionCode.ShbUserAppl) {
        info.userApplication = optionText(option.value);
      }
    }
    if (comments.length > 0) info.comments = comments;
    this.sections.push({ info, interfaces: [], little });
    this.sectionInfos.push(info);
    return undefined;
  }

  private interfaceDescription(
    block: { bytes: Uint8Array; view: DataView },
    little: boolean,
  ): PcapReadResult | undefined {
    const section = this.sections[this.sections.length - 1] as SectionState;
    if (this.allInterfaces.length >= this.maxInterfaces) {
      return this.fail(
        PcapFailureCode.TooManyInterfaces,
        `more than ${this.maxInterfaces} interfaces`,
        0,
      );
    }
    const options = this.options(block, 16, little);
    if ('error' in options) return options.error;
    let resolution: TimestampResolution = MICROSECONDS;
    let sawResolution = false;
    let tsOffset = 0n;
    const info: {
      -readonly [K in keyof PcapInterface]: PcapInterface[K];
    } = {
      sectionIndex: section.info.index,
      id: section.interfaces.length,
      linkType: block.view.getUint16(8, little),
      snapLength: block.view.getUint32(12, little),
      resolution,
      tsOffset,
    };
    const comments: string[] = [];
    for (const option of options.list) {
      const value = option.value;
      const bad = (why: string): PcapReadResult =>
        this.fail(PcapFailureCode.BadOption, `IDB option ${option.code}: ${why}`, option.offset);
      switch (option.code) {
        case OptionCode.Comment:
          comments.push(optionText(value));
          break;
        case OptionCode.IfName:
          info.name = optionText(value);
          break;
        case OptionCode.IfDescription:
          info.description = optionText(value);
          break;
        case OptionCode.IfTsResol:
          if (value.length !== 1) return bad(`if_tsresol has length ${value.length}, not 1`);
          if (sawResolution) return bad('if_tsresol appears more than once');
          sawResolution = true;
          resolution = decodeTsResol(value[0]!);
          break;
        case OptionCode.IfTsOffset:
          if (value.length !== 8) return bad(`if_tsoffset has length ${value.length}, not 8`);
          tsOffset = new DataView(value.buffer, value.byteOffset, 8).getBigInt64(0, little);
          break;
        case OptionCode.IfFcsLen:
          if (value.length !== 1) return bad(`if_fcslen has length ${value.length}, not 1`);
          info.fcsLength = value[0]!;
          break;
        default:
          break;
      }
    }
    info.resolution = resolution;
    info.tsOffset = tsOffset;
    if (comments.length > 0) info.comments = comments;
    section.interfaces.push({
      info,
      toNanoseconds: unitsToNanosecondsFn(resolution),
      offsetNanoseconds: tsOffset * 1_000_000_000n,
    });
    (section.info as unknown as Mutable).interfaces.push(info);
    this.allInterfaces.push(info);
    return undefined;
  }

  private packet(
    type: number,
    block: { bytes: Uint8Array; view: DataView },
    little: boolean,
  ): PcapReadResult | undefined {
    const section = this.sections[this.sections.length - 1] as SectionState;
    const { bytes, view } = block;
    const room = bytes.length - 4;
    let interfaceId: number;
    let capturedLength = 0;
    let originalLength: number;
    let units: bigint | undefined;
    let dataStart: number;
    if (type === BlockType.SimplePacket) {
      interfaceId = 0;
      originalLength = view.getUint32(8, little);
      dataStart = 12;
    } else {
      interfaceId =
        type === BlockType.EnhancedPacket ? view.getUint32(8, little) : view.getUint16(8, little);
      units = (BigInt(view.getUint32(12, little)) << 32n) | BigInt(view.getUint32(16, little));
      capturedLength = view.getUint32(20, little);
      originalLength = view.getUint32(24, little);
      dataStart = 28;
    }
    const name =
      type === BlockType.EnhancedPacket ? 'EPB' : type === BlockType.Packet ? 'PB' : 'SPB';
    const iface = section.interfaces[interfaceId];
    if (iface === undefined) {
      return this.fail(
        PcapFailureCode.UnknownInterface,
        section.interfaces.length === 0
          ? `${name} before any IDB in section ${section.info.index}`
          : `${name} names interface ${interfaceId}; section ${section.info.index} has ${section.interfaces.length}`,
        8,
      );
    }
    if (type === BlockType.SimplePacket) {
      const snap = iface.info.snapLength;
      capturedLength = snap !== 0 && snap < originalLength ? snap : originalLength;
    }
    if (capturedLength > this.maxPacketLength) {
      return this.fail(
        PcapFailureCode.PacketTooLarge,
        `${name} claims ${capturedLength} captured bytes; the limit is ${this.maxPacketLength}`,
        type === BlockType.SimplePacket ? 8 : 20,
      );
    }
    const dataEnd = dataStart + capturedLength;
    const optionsStart = dataStart + ((capturedLength + 3) & ~3);
    if (optionsStart > room) {
      return this.fail(
        PcapFailureCode.BadBlockLength,
        `${name} claims ${capturedLength} captured bytes but its block holds ${room - dataStart}`,
        type === BlockType.SimplePacket ? 8 : 20,
      );
    }
    let flags: PacketFlags | undefined;
    const comments: string[] = [];
    if (type !== BlockType.SimplePacket) {
      const options = this.options(block, optionsStart, little);
      if ('error' in options) return options.error;
      for (const option of options.list) {
        if (option.code === OptionCode.Comment) comments.push(optionText(option.value));
        else if (option.code === OptionCode.EpbFlags) {
          if (option.value.length !== 4) {
            return this.fail(
              PcapFailureCode.BadOption,
              `${name} flags option has length ${option.value.length}, not 4`,
              option.offset,
            );
          }
          const v = option.value;
          flags = decodeFlags(new DataView(v.buffer, v.byteOffset, 4).getUint32(0, little));
        }
      }
    }
    const record: {
      -readonly [K in keyof PcapRecord]: PcapRecord[K];
    } = {
      sectionIndex: section.info.index,
      interfaceId,
      linkType: iface.info.linkType,
      timestamp:
        units === undefined ? undefined : iface.toNanoseconds(units) + iface.offsetNanoseconds,
      timestampUnits: units,
      resolution: iface.info.resolution,
      capturedLength,
      originalLength,
      data: bytes.subarray(dataStart, dataEnd),
      source: type === BlockType.EnhancedPacket ? 'epb' : type === BlockType.Packet ? 'pb' : 'spb',
    };
    if (flags !== undefined) record.flags = flags;
    if (comments.length > 0) record.comments = comments;
    return { kind: 'record', record };
  }
}

function minimumLength(type: number): number {
  switch (type) {
    case BlockType.SectionHeader:
      return MIN_SHB_LENGTH;
    case BlockType.InterfaceDescription:
      return MIN_IDB_LENGTH;
    case BlockType.EnhancedPacket:
      return MIN_EPB_LENGTH;
    case BlockType.Packet:
      return MIN_PB_LENGTH;
    case BlockType.SimplePacket:
      return MIN_SPB_LENGTH;
    default:
      return MIN_BLOCK_LENGTH;
  }
}

/** A whole capture held in memory, read at once. */
export interface Capture {
  readonly info: PcapFileInfo;
  readonly records: readonly PcapRecord[];
}

/**
 * Reads a complete capture held in memory (records are views into `bytes`).
 * Never throws on bad bytes: a malformed file gives `{ ok: false, failure }`.
 */
export function readCapture(
  bytes: Uint8Array,
  options?: PcapReaderOptions,
):
  | { readonly ok: true; readonly value: Capture }
  | { readonly ok: false; readonly failure: DecodeFailure; readonly partial: Capture } {
  const reader = new PcapReader(options);
  reader.push(bytes);
  reader.end();
  const records: PcapRecord[] = [];
  for (;;) {
    const result = reader.next();
    if (result.kind === 'record') records.push(result.record);
    else if (result.kind === 'error') {
      return { ok: false, failure: result.failure, partial: { info: reader.info, records } };
    } else return { ok: true, value: { info: reader.info, records } };
  }
}
