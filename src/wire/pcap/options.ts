import { OptionCode } from './constants.js';
import type { PacketFlags, ReceptionType } from './types.js';

/** One pcapng option: its code and its value as a view (padding excluded). */
export interface RawOption {
  readonly code: number;
  readonly value: Uint8Array;
  /** Offset of the option header within the block. */
  readonly offset: number;
}

export type OptionsParsed =
  | { readonly ok: true; readonly options: readonly RawOption[] }
  | { readonly ok: false; readonly message: string; readonly offset: number };

/**
 * The options of a block, from `start` to `end` (offsets into `block`). Stops
 * at opt_endofopt; an option whose padded value runs past `end` is an error.
 */
export function parseOptions(
  block: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  little: boolean,
): OptionsParsed {
  const options: RawOption[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 4) {
      return {
        ok: false,
        message: `${end - at} stray bytes where an option header was expected`,
        offset: at,
      };
    }
    const code = view.getUint16(at, little);
    const length = view.getUint16(at + 2, little);
    if (code === OptionCode.EndOfOpt) break;
    const padded = (length + 3) & ~3;
    if (padded > end - at - 4) {
      return {
        ok: false,
        message: `option ${code} claims ${length} bytes but only ${end - at - 4} remain in the block`,
        offset: at,
      };
    }
    options.push({ code, value: block.subarray(at + 4, at + 4 + length), offset: at });
    at += 4 + padded;
  }
  return { ok: true, options };
}

const utf8 = new TextDecoder('utf-8');

/** An option's UTF-8 text; malformed sequences become U+FFFD (never throws). */
export function optionText(value: Uint8Array): string {
  return utf8.decode(value);
}

const RECEPTION: readonly (ReceptionType | undefined)[] = [
  undefined,
  'unicast',
  'multicast',
  'broadcast',
  'promiscuous',
];

/** epb_flags / pack_flags word, decoded. */
export function decodeFlags(raw: number): PacketFlags {
  const direction = raw & 3;
  return {
    direction: direction === 1 ? 'inbound' : direction === 2 ? 'outbound' : undefined,
    receptionType: RECEPTION[(raw >>> 2) & 7],
    fcsLength: (raw >>> 5) & 0xf,
    linkErrors: raw >>> 16,
    raw: raw >>> 0,
  };
}

/** The epb_flags word for `flags`; `raw`, when given, supplies the bits not named. */
export function encodeFlags(flags: Partial<PacketFlags>): number {
  let word = (flags.raw ?? 0) >>> 0;
  if (flags.direction !== undefined || flags.raw === undefined) {
    word =
      (word & ~3) | (flags.direction === 'inbound' ? 1 : flags.direction === 'outbound' ? 2 : 0);
  }
  if (flags.receptionType !== undefined) {
    word = (word & ~(7 << 2)) | (RECEPTION.indexOf(flags.receptionType) << 2);
  }
  if (flags.fcsLength !== undefined) word = (word & ~(0xf << 5)) | ((flags.fcsLength & 0xf) << 5);
  if (flags.linkErrors !== undefined) word = (word & 0xffff) | ((flags.linkErrors & 0xffff) << 16);
  return word >>> 0;
}
