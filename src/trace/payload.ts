import { ByteReader, ByteWriter } from '../bytes/index.js';

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

/** Encodes `values` in the order of `fields`; a missing or mistyped value throws TypeError. */
export function encodePayload(
  fields: readonly FieldSpec[],
  values: PayloadValues,
): Uint8Array<ArrayBuffer> {
  const w = ByteWriter.growable(64, 16 * 1024 * 1024);
  for (const field of fields) {
    const value = values[field.name];
    const wrong = () =>
      new TypeError(
        `Payload field ${JSON.stringify(field.name)} must be ${field.type}: got ${typeof value}`,
      );
    switch (field.type) {
      case 'u8':
      case 'u16':
      case 'u32':
      case 'i32':
      case 'f64': {
        if (typeof value !== 'number') throw wrong();
        if (field.type === 'u8') w.u8(value);
        else if (field.type === 'u16') w.u16le(value);
        else if (field.type === 'u32') w.u32le(value);
        else if (field.type === 'i32') w.i32le(value);
        else {
          const cell = new DataView(new ArrayBuffer(8));
          cell.setFloat64(0, value, true);
          w.bytes(new Uint8Array(cell.buffer));
        }
        break;
      }
      case 'u64':
        if (typeof value !== 'bigint') throw wrong();
        w.u64le(value);
        break;
      case 'bool':
        if (typeof value !== 'boolean') throw wrong();
        w.u8(value ? 1 : 0);
        break;
      case 'string': {
        if (typeof value !== 'string') throw wrong();
        const bytes = utf8.encode(value);
        if (bytes.length > 0xffff)
          throw new RangeError(`Payload string ${field.name} is over 65535 bytes`);
        w.u16le(bytes.length).bytes(bytes);
        break;
      }
      case 'bytes':
        if (!(value instanceof Uint8Array)) throw wrong();
        w.u32le(value.length).bytes(value);
        break;
    }
  }
  // One copy out of the growable scratch, so the payload owns exactly its bytes.
  return w.finish().slice();
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
