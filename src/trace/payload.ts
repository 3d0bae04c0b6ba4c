import { allocFromSlab, ByteReader } from '../bytes/index.js';

/**
 * Event payloads are bytes, laid out by the descriptor's `fields`, little-endian
 * as ETW lays out its user data: integers at their width, `u64` as a bigint,
 * `bool` as one byte, `string` as a u16 byte length and UTF-8, `bytes` as a u32
 * length and the bytes. A payload from elsewhere is untrusted: decoding it
 * never throws. Encoding never throws either, because it runs inside data
 * paths (a trace about a failure must not become a second failure): a string
 * longer than its u16 length allows is cut at a character boundary and ends
 * with `TRUNCATION_MARK`; a missing or mistyped value is written as its
 * type's zero. Both are counted in the `PayloadFaults` the caller passes
 * (`TraceProvider.payloadFaults`).
 */
export type FieldType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'f64' | 'bool' | 'string' | 'bytes';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
}

export type FieldValue = number | bigint | boolean | string | Uint8Array;
export type PayloadValues = Readonly<Record<string, FieldValue>>;

/** What an encoder had to mend; counters the caller owns and reads. */
export interface PayloadFaults {
  /** Strings cut to fit their u16 length (and `bytes` cut to a u32 one). */
  truncated: number;
  /** Missing or mistyped values, written as the type's zero. */
  mistyped: number;
}

/** Ends a string field that was cut to fit the payload's 65,535-byte string limit. */
export const TRUNCATION_MARK = '…[truncated]';

/** The longest string field, in UTF-8 bytes (its length is a u16). */
export const MAX_STRING_BYTES = 0xffff;
const MAX_BYTES_FIELD = 0xffff_ffff;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const MARK_BYTES = utf8.encode(TRUNCATION_MARK);
const EMPTY = new Uint8Array(0);
/** Scratch for the two types written through DataView (f64, u64); copied out at once. */
const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);

const WIDTH: Readonly<Record<FieldType, number>> = {
  u8: 1,
  bool: 1,
  u16: 2,
  u32: 4,
  i32: 4,
  u64: 8,
  f64: 8,
  string: 2,
  bytes: 4,
};

/**
 * Encodes `values` in the order of `fields`. Sized in a first pass and
 * written into one region carved from the shared slab (`allocFromSlab`):
 * this runs for every traced event while someone listens. Never throws; see
 * the module comment for what it mends and counts in `faults`.
 */
export function encodePayload(
  fields: readonly FieldSpec[],
  values: PayloadValues,
  faults?: PayloadFaults,
): Uint8Array<ArrayBuffer> {
  let size = 0;
  let variable: Uint8Array[] | undefined;
  for (const field of fields) {
    const value = values[field.name];
    size += WIDTH[field.type];
    if (field.type === 'string') {
      let bytes: Uint8Array = EMPTY;
      if (typeof value === 'string') bytes = utf8.encode(value);
      else if (faults !== undefined) faults.mistyped++;
      if (bytes.length > MAX_STRING_BYTES) {
        bytes = truncateUtf8(bytes);
        if (faults !== undefined) faults.truncated++;
      }
      (variable ??= []).push(bytes);
      size += bytes.length;
    } else if (field.type === 'bytes') {
      let bytes: Uint8Array = EMPTY;
      if (value instanceof Uint8Array) bytes = value;
      else if (faults !== undefined) faults.mistyped++;
      if (bytes.length > MAX_BYTES_FIELD) {
        bytes = bytes.subarray(0, MAX_BYTES_FIELD);
        if (faults !== undefined) faults.truncated++;
      }
      (variable ??= []).push(bytes);
      size += bytes.length;
    } else if (!typeMatches(field.type, value) && faults !== undefined) {
      faults.mistyped++;
    }
  }
  const out = allocFromSlab(size);
  let at = 0;
  let nextVariable = 0;
  for (const field of fields) {
    const value = values[field.name];
    switch (field.type) {
      case 'u8':
      case 'bool':
        out[at] =
          field.type === 'bool' ? (value === true ? 1 : 0) : typeof value === 'number' ? value : 0;
        break;
      case 'u16':
        writeLittleEndian(out, at, typeof value === 'number' ? value & 0xffff : 0, 2);
        break;
      case 'u32':
      case 'i32':
        // ToUint32 and ToInt32 give the same four bytes.
        writeLittleEndian(out, at, typeof value === 'number' ? value >>> 0 : 0, 4);
        break;
      case 'f64':
        scratch.setFloat64(0, typeof value === 'number' ? value : 0, true);
        out.set(scratchBytes, at);
        break;
      case 'u64':
        scratch.setBigUint64(0, typeof value === 'bigint' ? BigInt.asUintN(64, value) : 0n, true);
        out.set(scratchBytes, at);
        break;
      case 'string': {
        const bytes = (variable as Uint8Array[])[nextVariable++] as Uint8Array;
        writeLittleEndian(out, at, bytes.length, 2);
        out.set(bytes, at + 2);
        at += bytes.length;
        break;
      }
      case 'bytes': {
        const bytes = (variable as Uint8Array[])[nextVariable++] as Uint8Array;
        writeLittleEndian(out, at, bytes.length, 4);
        out.set(bytes, at + 4);
        at += bytes.length;
        break;
      }
    }
    at += WIDTH[field.type];
  }
  return out;
}

function typeMatches(type: FieldType, value: unknown): boolean {
  if (type === 'u64') return typeof value === 'bigint';
  if (type === 'bool') return typeof value === 'boolean';
  return typeof value === 'number';
}

/** `value` (an unsigned integer below 2^32) as `width` little-endian bytes at `out[at]`. */
function writeLittleEndian(out: Uint8Array, at: number, value: number, width: 2 | 4): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  if (width === 4) {
    out[at + 2] = (value >>> 16) & 0xff;
    out[at + 3] = (value >>> 24) & 0xff;
  }
}

/**
 * The longest prefix of `bytes` that ends on a UTF-8 character boundary and
 * leaves room for the mark, followed by the mark: exactly what fits in a
 * string field. One copy, only for a string that was too long anyway.
 */
function truncateUtf8(bytes: Uint8Array): Uint8Array {
  let cut = MAX_STRING_BYTES - MARK_BYTES.length;
  // Back off continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
  const out = new Uint8Array(cut + MARK_BYTES.length);
  out.set(bytes.subarray(0, cut));
  out.set(MARK_BYTES, cut);
  return out;
}

export type DecodedPayload =
  | { readonly ok: true; readonly values: PayloadValues }
  | { readonly ok: false; readonly reason: string };

/** Decodes a payload laid out by `fields`; never throws. Trailing bytes are ignored (newer versions may add fields). */
export function decodePayload(fields: readonly FieldSpec[], payload: Uint8Array): DecodedPayload {
  const r = new ByteReader(payload);
  const values: Record<string, FieldValue> = {};
  for (const field of fields) {
    const need = (count: number) => r.canRead(count);
    switch (field.type) {
      case 'u8':
      case 'bool':
        if (!need(1)) return truncated(field);
        values[field.name] = field.type === 'u8' ? r.u8() : r.u8() !== 0;
        break;
      case 'u16':
        if (!need(2)) return truncated(field);
        values[field.name] = r.u16le();
        break;
      case 'u32':
      case 'i32':
        if (!need(4)) return truncated(field);
        values[field.name] = field.type === 'u32' ? r.u32le() : r.i32le();
        break;
      case 'u64':
        if (!need(8)) return truncated(field);
        values[field.name] = r.u64le();
        break;
      case 'f64': {
        if (!need(8)) return truncated(field);
        const cell = r.bytesView(8);
        values[field.name] = new DataView(cell.buffer, cell.byteOffset, 8).getFloat64(0, true);
        break;
      }
      case 'string': {
        if (!need(2)) return truncated(field);
        const length = r.u16le();
        if (!need(length)) return truncated(field);
        values[field.name] = utf8Decoder.decode(r.bytesView(length));
        break;
      }
      case 'bytes': {
        if (!need(4)) return truncated(field);
        const length = r.u32le();
        if (!need(length)) return truncated(field);
        values[field.name] = r.bytesView(length);
        break;
      }
    }
  }
  return { ok: true, values };
}

function truncated(field: FieldSpec): DecodedPayload {
  return {
    ok: false,
    reason: `payload ends inside field ${JSON.stringify(field.name)} (${field.type})`,
  };
}
