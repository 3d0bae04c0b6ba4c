/**
 * The bodies of the pcapng blocks the reader decodes: section header (SHB),
 * interface description (IDB) and the packet blocks (EPB, PB, SPB). The
 * reader (reader.ts) frames a block, checks its lengths and limits, and hands
 * the whole block here; these functions read it without side effects and
 * return what it declares or a `FormatFailure` for the reader to report, so a
 * malformed block leaves the reader's sections and interfaces as they were.
 */
import {
  BlockType,
  MIN_BLOCK_LENGTH,
  MIN_EPB_LENGTH,
  MIN_IDB_LENGTH,
  MIN_PB_LENGTH,
  MIN_SHB_LENGTH,
  MIN_SPB_LENGTH,
  OptionCode,
} from './constants.js';
import { decodeFlags, optionText, parseOptions, type RawOption } from './options.js';
import { PcapFailureCode, formatFailure, type FormatFailure } from './pcap-failure.js';
import { decodeTsResol, unitsToNanosecondsFn } from './timestamp.js';
import {
  MICROSECONDS,
  type ByteOrder,
  type PacketFlags,
  type PcapInterface,
  type PcapRecord,
  type PcapSection,
  type TimestampResolution,
} from './types.js';

/** A whole block (type to trailing length) and a view over it. */
export interface Block {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

/** An interface as the reader keeps it: its info and how to turn its timestamps into nanoseconds. */
export interface InterfaceState {
  readonly info: PcapInterface;
  readonly toNanoseconds: (units: bigint) => bigint;
  readonly offsetNanoseconds: bigint;
}

/** A section as the reader keeps it. */
export interface SectionState {
  readonly info: PcapSection;
  readonly interfaces: InterfaceState[];
  readonly little: boolean;
}

/** The smallest total length a block of `type` may have. */
export function minimumBlockLength(type: number): number {
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

function blockOptions(
  block: Block,
  start: number,
  little: boolean,
): { readonly list: readonly RawOption[] } | FormatFailure {
  const parsed = parseOptions(block.bytes, block.view, start, block.bytes.length - 4, little);
  if (!parsed.ok) return formatFailure(PcapFailureCode.BadOption, parsed.message, parsed.offset);
  return { list: parsed.options };
}

/** Reads an SHB as section number `index` (the caller has checked its version and the section limit). */
export function readSectionHeader(
  block: Block,
  little: boolean,
  index: number,
): PcapSection | FormatFailure {
  const options = blockOptions(block, 24, little);
  if ('failed' in options) return options;
  const info: {
    -readonly [K in keyof PcapSection]: PcapSection[K];
  } = {
    index,
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
  return info;
}

/** Reads an IDB as the next interface of `section` (the caller has checked the interface limit). */
export function readInterfaceDescription(
  block: Block,
  little: boolean,
  section: SectionState,
): InterfaceState | FormatFailure {
  const options = blockOptions(block, 16, little);
  if ('failed' in options) return options;
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
    const bad = (why: string): FormatFailure =>
      formatFailure(PcapFailureCode.BadOption, `IDB option ${option.code}: ${why}`, option.offset);
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
  return {
    info,
    toNanoseconds: unitsToNanosecondsFn(resolution),
    offsetNanoseconds: tsOffset * 1_000_000_000n,
  };
}

/** Reads an EPB, PB or SPB of `section` into a record (its data a view into the block). */
export function readPacketBlock(
  type: number,
  block: Block,
  little: boolean,
  section: SectionState,
  maxPacketLength: number,
): PcapRecord | FormatFailure {
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
  const name = type === BlockType.EnhancedPacket ? 'EPB' : type === BlockType.Packet ? 'PB' : 'SPB';
  const iface = section.interfaces[interfaceId];
  if (iface === undefined) {
    return formatFailure(
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
  if (capturedLength > maxPacketLength) {
    return formatFailure(
      PcapFailureCode.PacketTooLarge,
      `${name} claims ${capturedLength} captured bytes; the limit is ${maxPacketLength}`,
      type === BlockType.SimplePacket ? 8 : 20,
    );
  }
  const dataEnd = dataStart + capturedLength;
  const optionsStart = dataStart + ((capturedLength + 3) & ~3);
  if (optionsStart > room) {
    return formatFailure(
      PcapFailureCode.BadBlockLength,
      `${name} claims ${capturedLength} captured bytes but its block holds ${room - dataStart}`,
      type === BlockType.SimplePacket ? 8 : 20,
    );
  }
  let flags: PacketFlags | undefined;
  const comments: string[] = [];
  if (type !== BlockType.SimplePacket) {
    const options = blockOptions(block, optionsStart, little);
    if ('failed' in options) return options;
    for (const option of options.list) {
      if (option.code === OptionCode.Comment) comments.push(optionText(option.value));
      else if (option.code === OptionCode.EpbFlags) {
        if (option.value.length !== 4) {
          return formatFailure(
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
  return record;
}
