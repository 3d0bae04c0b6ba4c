/**
 * EAP-TTLS phase-2 AVPs (RFC 5281 §10, Diameter's format, RFC 6733 §4.1):
 * AVP Code (4 octets), Flags (V 0x80: a Vendor-ID follows; M 0x40:
 * mandatory), AVP Length (3 octets, header included, padding not), the
 * Vendor-ID when V is set, the data, padding to a multiple of four.
 * Parsing never throws: malformed AVPs are a result with a reason.
 */

export const TtlsAvpFlag = { Vendor: 0x80, Mandatory: 0x40 } as const;

/** RADIUS attribute numbers as AVP codes (RFC 5281 §10.1): the ones TTLS/PAP uses. */
export const TtlsAvpCode = { UserName: 1, UserPassword: 2 } as const;

export interface TtlsAvp {
  readonly code: number;
  readonly flags: number;
  readonly vendorId?: number;
  /** A view of the input. */
  readonly data: Uint8Array;
}

export type TtlsAvpsResult =
  | { readonly ok: true; readonly avps: readonly TtlsAvp[] }
  | { readonly ok: false; readonly reason: string };

/** Bound on AVPs in one message: a bound on work against tiny AVPs. */
export const MAX_TTLS_AVPS = 64;

export function parseTtlsAvps(bytes: Uint8Array): TtlsAvpsResult {
  const avps: TtlsAvp[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (avps.length >= MAX_TTLS_AVPS)
      return { ok: false, reason: `more than ${MAX_TTLS_AVPS} AVPs` };
    if (offset + 8 > bytes.length) return { ok: false, reason: 'truncated AVP header' };
    const code =
      (((bytes[offset] as number) << 24) |
        ((bytes[offset + 1] as number) << 16) |
        ((bytes[offset + 2] as number) << 8) |
        (bytes[offset + 3] as number)) >>>
      0;
    const flags = bytes[offset + 4] as number;
    const length =
      ((bytes[offset + 5] as number) << 16) |
      ((bytes[offset + 6] as number) << 8) |
      (bytes[offset + 7] as number);
    const vendor = (flags & TtlsAvpFlag.Vendor) !== 0;
    const header = vendor ? 12 : 8;
    if (length < header)
      return { ok: false, reason: `AVP ${code} Length ${length} below its header` };
    if (offset + length > bytes.length) {
      return { ok: false, reason: `AVP ${code} of ${length} bytes runs past the data` };
    }
    const vendorId = vendor
      ? (((bytes[offset + 8] as number) << 24) |
          ((bytes[offset + 9] as number) << 16) |
          ((bytes[offset + 10] as number) << 8) |
          (bytes[offset + 11] as number)) >>>
        0
      : undefined;
    avps.push({
      code,
      flags,
      ...(vendorId === undefined ? {} : { vendorId }),
      data: bytes.subarray(offset + header, offset + length),
    });
    // The padding after the last AVP may be left out.
    offset += (length + 3) & ~3;
  }
  return { ok: true, avps };
}

/** One AVP, padded to four octets (the padding is not in its Length). */
export function encodeTtlsAvp(avp: TtlsAvp): Uint8Array<ArrayBuffer> {
  const vendor = avp.vendorId !== undefined;
  const header = vendor ? 12 : 8;
  const length = header + avp.data.length;
  if (length > 0xffffff) throw new RangeError(`AVP of ${length} bytes exceeds 2^24-1`);
  const out = new Uint8Array((length + 3) & ~3);
  out[0] = avp.code >>> 24;
  out[1] = (avp.code >>> 16) & 0xff;
  out[2] = (avp.code >>> 8) & 0xff;
  out[3] = avp.code & 0xff;
  out[4] = (avp.flags & ~TtlsAvpFlag.Vendor) | (vendor ? TtlsAvpFlag.Vendor : 0);
  out[5] = length >>> 16;
  out[6] = (length >>> 8) & 0xff;
  out[7] = length & 0xff;
  if (vendor) {
    const v = avp.vendorId;
    out[8] = v >>> 24;
    out[9] = (v >>> 16) & 0xff;
    out[10] = (v >>> 8) & 0xff;
    out[11] = v & 0xff;
  }
  out.set(avp.data, header);
  return out;
}

/** AVPs one after another. */
export function encodeTtlsAvps(avps: readonly TtlsAvp[]): Uint8Array<ArrayBuffer> {
  const parts = avps.map(encodeTtlsAvp);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
