import { ByteReader } from '../bytes/index.js';

/**
 * Event payloads are bytes, laid out by the descriptor's `fields`, little-endian
 * as ETW lays out its user data: integers at their width, `u64` as a bigint,
 * `bool` as one byte, `string` as a u16 byte length and UTF-8, `bytes` as a u32
 * length and the bytes. A payload from elsewhere is untrusted: decoding it
 * never throws.
 */
export type FieldType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'f64' | 'bool' | 'string' | 'bytes';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
}

export type FieldValue = number | bigint | boolean | string | Uint8Array;
export type PayloadValues = Readonly<Record<string, FieldValue>>;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

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
 * Encodes `values` in the order of `fields`; a missing or mistyped value
 * throws TypeError. Sized in a first pass and written into one exact
 * allocation: this runs for every traced event while someone listens.
 */
export function encodePayload(
  fields: readonly FieldSpec[],
  values: PayloadValues,
): Uint8Array<ArrayBuffer> {
  let size = 0;
  let strings: Uint8Array[] | undefined;
  for (const field of fields) {
    const value = values[field.name];
    size += WIDTH[field.type];
    if (field.type === 'string') {
      if (typeof value !== 'string') throw mistyped(field, value);
      const bytes = utf8.encode(value);
      if (bytes.length > 0xffff) {
        throw new RangeError(`Payload string ${JSON.stringify(field.name)} is over 65535 bytes`);
      }
      (strings ??= []).push(bytes);
      size += bytes.length;
    } else if (field.type === 'bytes') {
      if (!(value instanceof Uint8Array)) throw mistyped(field, value);
      size += value.length;
    }
  }
  const { view, out, start } = carve(size);
  let at = start;
  let nextString = 0;
  for (const field of fields) {
    const value = values[field.name];
    switch (field.type) {
      case 'u8':
        if (typeof value !== 'number') throw mistyped(field, value);
        view.setUint8(at, value);
        break;
      case 'u16':
        if (typeof value !== 'number') throw mistyped(field, value);
        view.setUint16(at, value, true);
        break;
      case 'u32':
        if (typeof value !== 'number') throw mistyped(field, value);
        view.setUint32(at, value, true);
        break;
      case 'i32':
        if (typeof value !== 'number') throw mistyped(field, value);
        view.setInt32(at, value, true);
        break;
      case 'f64':
        if (typeof value !== 'number') throw mistyped(field, value);
        view.setFloat64(at, value, true);
        break;
      case 'u64':
        if (typeof value !== 'bigint') throw mistyped(field, value);
        view.setBigUint64(at, value, true);
        break;
      case 'bool':
        if (typeof value !== 'boolean') throw mistyped(field, value);
        view.setUint8(at, value ? 1 : 0);
        break;
      case 'string': {
        const bytes = (strings as Uint8Array[])[nextString++] as Uint8Array;
        view.setUint16(at, bytes.length, true);
        out.set(bytes, at - start + 2);
        at += bytes.length;
        break;
      }
      case 'bytes': {
        const bytes = value as Uint8Array;
        view.setUint32(at, bytes.length, true);
        out.set(bytes, at - start + 4);
        at += bytes.length;
        break;
      }
    }
    at += WIDTH[field.type];
  }
  return out;
}

/**
 * Payloads are carved from 64 KiB slabs, as Node carves small Buffers from its
 * pool: allocating a tiny ArrayBuffer per event costs far more than writing
 * it. A region is never handed out twice, so payloads stay immutable; a slab
 * is freed when the last payload in it is.
 */
const SLAB_SIZE = 64 * 1024;
let slab = newSlab(SLAB_SIZE);

function newSlab(size: number): { bytes: Uint8Array<ArrayBuffer>; view: DataView; used: number } {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer), used: 0 };
}

function carve(size: number): { view: DataView; out: Uint8Array<ArrayBuffer>; start: number } {
  if (size > SLAB_SIZE / 8) {
    const own = newSlab(size);
    return { view: own.view, out: own.bytes, start: 0 };
  }
  if (slab.used + size > SLAB_SIZE) slab = newSlab(SLAB_SIZE);
  const start = slab.used;
  slab.used += size;
  return { view: slab.view, out: slab.bytes.subarray(start, start + size), start };
}

function mistyped(field: FieldSpec, value: unknown): TypeError {
  return new TypeError(
    `Payload field ${JSON.stringify(field.name)} must be ${field.type}: got ${typeof value}`,
  );
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
