/**
 * GUIDs in Windows byte order (MS-DTYP 2.3.4.2): Data1 u32, Data2 u16 and
 * Data3 u16 little-endian, then Data4's eight bytes as written. Text form is
 * lower-case 8-4-4-4-12; braces (`{…}`, the form MS-LREC's session GUIDs use)
 * are accepted on input and never produced.
 */

export const GUID_LENGTH = 16;
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

const GUID_TEXT =
  /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;

/** True for 8-4-4-4-12 hex, with or without both braces. */
export function isGuid(text: string): boolean {
  const match = GUID_TEXT.exec(text);
  return match !== null && text.startsWith('{') === text.endsWith('}');
}

/** The 16 bytes of `text` in Windows order. TypeError when it is not a GUID. */
export function guidToBytes(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(GUID_LENGTH);
  writeGuid(out, 0, text);
  return out;
}

/** Writes `guid` (text, or 16 bytes already in Windows order) at `out[offset]`. */
export function writeGuid(out: Uint8Array, offset: number, guid: string | Uint8Array): void {
  if (typeof guid !== 'string') {
    if (guid.length !== GUID_LENGTH) {
      throw new TypeError(`A GUID is ${GUID_LENGTH} bytes: got ${guid.length}`);
    }
    out.set(guid, offset);
    return;
  }
  const match = GUID_TEXT.exec(guid);
  if (match === null || guid.startsWith('{') !== guid.endsWith('}')) {
    throw new TypeError(`Not a GUID (8-4-4-4-12 hex digits): ${JSON.stringify(guid)}`);
  }
  const hex = match.slice(1).join('');
  const byte = (i: number) => parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  // Data1, Data2, Data3 are little-endian; Data4 is a byte array.
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  for (let i = 0; i < GUID_LENGTH; i++) out[offset + i] = byte(order[i] as number);
}

/** Reads 16 bytes at `bytes[offset]` (the caller checked the length) as lower-case text. */
export function readGuid(bytes: Uint8Array, offset: number): string {
  const h = (i: number) => ((bytes[offset + i] as number) + 0x100).toString(16).slice(1);
  return (
    h(3) +
    h(2) +
    h(1) +
    h(0) +
    '-' +
    h(5) +
    h(4) +
    '-' +
    h(7) +
    h(6) +
    '-' +
    h(8) +
    h(9) +
    '-' +
    h(10) +
    h(11) +
    h(12) +
    h(13) +
    h(14) +
    h(15)
  );
}
