/**
 * The framing EAP-TLS (RFC 5216 §3.1), PEAP and EAP-TTLS (RFC 5281 §9.1)
 * share: after the EAP Type octet comes one Flags octet — L (0x80: a
 * four-octet TLS Message Length follows), M (0x40: more fragments follow),
 * S (0x20: EAP-TLS Start) and, for PEAP and TTLS, a version in the low three
 * bits — then the TLS data. An empty message (Flags only, no data, no L) is a
 * fragment acknowledgement. Parsing never throws: a malformed Type-Data is a
 * result the method discards (722).
 */

export const TlsFlag = {
  LengthIncluded: 0x80,
  MoreFragments: 0x40,
  Start: 0x20,
} as const;

/** The low three bits: the PEAP/TTLS version (reserved, zero, in EAP-TLS). */
export const TLS_VERSION_MASK = 0x07;
/** Flags (1) plus TLS Message Length (4). */
export const TLS_FRAMING_MAX_OVERHEAD = 5;

/** One EAP-TLS-style Type-Data, parsed. `data` is a view of the input. */
export interface TlsTypeData {
  /** The whole Flags octet. */
  readonly flags: number;
  readonly start: boolean;
  readonly more: boolean;
  /** The TLS Message Length when L is set. */
  readonly totalLength: number | undefined;
  /** The version bits (PEAP/TTLS). */
  readonly version: number;
  readonly data: Uint8Array;
}

export type TlsTypeDataResult =
  | { readonly ok: true; readonly value: TlsTypeData }
  | { readonly ok: false; readonly reason: string };

export function parseTlsTypeData(typeData: Uint8Array): TlsTypeDataResult {
  const flags = typeData[0];
  if (flags === undefined) return { ok: false, reason: 'no Flags octet' };
  const lengthIncluded = (flags & TlsFlag.LengthIncluded) !== 0;
  let offset = 1;
  let totalLength: number | undefined;
  if (lengthIncluded) {
    if (typeData.length < 5)
      return { ok: false, reason: 'L set but no four-octet TLS Message Length' };
    // >>> 0: the top octet may be ≥ 0x80 and the length must stay unsigned.
    totalLength =
      (((typeData[1] as number) << 24) |
        ((typeData[2] as number) << 16) |
        ((typeData[3] as number) << 8) |
        (typeData[4] as number)) >>>
      0;
    offset = 5;
  }
  return {
    ok: true,
    value: {
      flags,
      start: (flags & TlsFlag.Start) !== 0,
      more: (flags & TlsFlag.MoreFragments) !== 0,
      totalLength,
      version: flags & TLS_VERSION_MASK,
      data: typeData.subarray(offset),
    },
  };
}

/** Whether a parsed Type-Data is a fragment ACK: no data, no L, no M, no S. */
export function isTlsAck(value: TlsTypeData): boolean {
  return (
    value.data.length === 0 &&
    (value.flags & (TlsFlag.LengthIncluded | TlsFlag.MoreFragments | TlsFlag.Start)) === 0
  );
}

/** Builds a Type-Data: Flags, the length when given, the data. */
export function encodeTlsTypeData(
  flags: number,
  totalLength: number | undefined,
  data: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const header = totalLength === undefined ? 1 : 5;
  const out = new Uint8Array(header + data.length);
  out[0] =
    (flags & ~TlsFlag.LengthIncluded) | (totalLength === undefined ? 0 : TlsFlag.LengthIncluded);
  if (totalLength !== undefined) {
    if (!Number.isInteger(totalLength) || totalLength < 0 || totalLength > 0xffffffff) {
      throw new RangeError(`TLS Message Length must be 0..2^32-1: got ${totalLength}`);
    }
    out[1] = totalLength >>> 24;
    out[2] = (totalLength >>> 16) & 0xff;
    out[3] = (totalLength >>> 8) & 0xff;
    out[4] = totalLength & 0xff;
  }
  out.set(data, header);
  return out;
}
