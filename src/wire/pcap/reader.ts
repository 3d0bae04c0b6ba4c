/**
 * The pcap/pcapng reader: input framing (chunks pushed, records pulled),
 * format detection, classic pcap record framing and pcapng block framing
 * (lengths, byte order, version) with the reader's limits. The classic
 * header and records are decoded in pcap-file.ts, the bodies of pcapng
 * blocks in pcapng-blocks.ts; the failure codes are in pcap-failure.ts
 * (re-exported here).
 */
import type { DecodeFailure } from '../result.js';
import { ChunkQueue } from './chunk-queue.js';
import {
  BlockType,
  BYTE_ORDER_MAGIC,
  DEFAULT_MAX_BLOCK_LENGTH,
  DEFAULT_MAX_INTERFACES,
  DEFAULT_MAX_PACKET_LENGTH,
  DEFAULT_MAX_SECTIONS,
  PCAP_FILE_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_RECORD_HEADER_LENGTH,
  PCAPNG_VERSION_MAJOR,
  PCAPNG_VERSION_MINOR,
} from './constants.js';
import { PcapFailureCode, type FormatFailure } from './pcap-failure.js';
import { readPcapFileHeader, readPcapRecord } from './pcap-file.js';
import {
  minimumBlockLength,
  readInterfaceDescription,
  readPacketBlock,
  readSectionHeader,
  type Block,
  type SectionState,
} from './pcapng-blocks.js';
import {
  type CaptureFormat,
  type PcapFileInfo,
  type PcapInterface,
  type PcapRecord,
  type PcapSection,
} from './types.js';

export { PcapFailureCode } from './pcap-failure.js';

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
    const bytes = this.queue.peek(PCAP_FILE_HEADER_LENGTH);
    if (bytes === undefined) return NEED_MORE;
    const header = readPcapFileHeader(bytes, this.pcapLittle, this.pcapNano);
    if ('failed' in header) return this.failFormat(header);
    this.pcapSnapLength = header.snapLength;
    this.pcapLinkType = header.linkType;
    this.sectionInfos.push(header.section);
    this.allInterfaces.push(header.iface);
    this.queue.skip(PCAP_FILE_HEADER_LENGTH);
    this.state = 'pcap';
    return undefined;
  }

  private readPcapRecord(): PcapReadResult | undefined {
    const header = this.queue.peek(PCAP_RECORD_HEADER_LENGTH);
    if (header === undefined) return NEED_MORE;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const capturedLength = view.getUint32(8, this.pcapLittle);
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
    const bytes = this.queue.peek(total) as Uint8Array;
    this.queue.skip(total);
    return {
      kind: 'record',
      record: readPcapRecord(
        bytes,
        capturedLength,
        this.pcapLittle,
        this.pcapNano,
        this.pcapLinkType,
      ),
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
    const minimum = minimumBlockLength(type);
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

  private block(total: number): Block {
    const bytes = this.queue.peek(total) as Uint8Array;
    return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  private finish(total: number, result: PcapReadResult | undefined): PcapReadResult | undefined {
    if (result === undefined || result.kind === 'record') this.queue.skip(total);
    return result;
  }

  private failFormat(failure: FormatFailure): PcapReadResult {
    return this.fail(failure.code, failure.message, failure.at);
  }

  private sectionHeader(block: Block, little: boolean): PcapReadResult | undefined {
    if (this.sections.length >= this.maxSections) {
      return this.fail(
        PcapFailureCode.TooManySections,
        `more than ${this.maxSections} sections`,
        0,
      );
    }
    const info = readSectionHeader(block, little, this.sections.length);
    if ('failed' in info) return this.failFormat(info);
    this.sections.push({ info, interfaces: [], little });
    this.sectionInfos.push(info);
    return undefined;
  }

  private interfaceDescription(block: Block, little: boolean): PcapReadResult | undefined {
    const section = this.sections[this.sections.length - 1] as SectionState;
    if (this.allInterfaces.length >= this.maxInterfaces) {
      return this.fail(
        PcapFailureCode.TooManyInterfaces,
        `more than ${this.maxInterfaces} interfaces`,
        0,
      );
    }
    const iface = readInterfaceDescription(block, little, section);
    if ('failed' in iface) return this.failFormat(iface);
    section.interfaces.push(iface);
    (section.info as unknown as Mutable).interfaces.push(iface.info);
    this.allInterfaces.push(iface.info);
    return undefined;
  }

  private packet(type: number, block: Block, little: boolean): PcapReadResult | undefined {
    const section = this.sections[this.sections.length - 1] as SectionState;
    const record = readPacketBlock(type, block, little, section, this.maxPacketLength);
    if ('failed' in record) return this.failFormat(record);
    return { kind: 'record', record };
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
