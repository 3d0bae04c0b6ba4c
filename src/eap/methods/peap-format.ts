/**
 * PEAPv0's phase-2 packets (draft-kamath-pppext-peapv0-00, [MS-PEAP]): the
 * inner EAP packets travel as TLS application data with their Code,
 * Identifier and Length left out ("header compression": Type and Type-Data
 * only), except the Extensions type 33, which keeps its full header. Some
 * servers (FreeRADIUS's inner Identity Request) send the full header for
 * other types too, so both forms are accepted. Extensions carry TLVs; the
 * Result TLV (type 3, mandatory bit set: 0x8003, value 1 success, 2 failure)
 * ends phase 2. Decoding never throws: a malformed inner packet is a result.
 */
import {
  EapCode,
  EapType,
  encodeEap,
  isEapMessage,
  parseEap,
  type EapMessage,
} from '../../wire/eap.js';

/** The TLV types of the Extensions method this side reads. */
export const PeapTlvType = { Result: 3 } as const;
/** The Result TLV's Status (RFC-style numbering of [MS-PEAP] §2.2.8.1). */
export const PeapResultStatus = { Success: 1, Failure: 2 } as const;
/** The TLV header's mandatory bit. */
const MANDATORY = 0x8000;

export type PeapInnerResult =
  | { readonly ok: true; readonly packet: EapMessage; readonly fullHeader: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * One inner packet from the tunnel. `direction` is what the sender sends
 * (the authenticator reads Responses, the peer Requests); `identifier` fills
 * the header of a compressed packet (the peer: the outer Request's; the
 * authenticator: its last inner Request's). A full header is recognised by
 * its Code (the expected one) and a Length equal to the data's; the
 * Extensions type must come with one.
 */
export function decodePeapInner(
  data: Uint8Array,
  direction: 'request' | 'response',
  identifier: number,
): PeapInnerResult {
  if (data.length === 0) return { ok: false, reason: 'empty inner packet' };
  const code = direction === 'request' ? EapCode.Request : EapCode.Response;
  const full =
    data.length >= 5 &&
    data[0] === code &&
    (((data[2] as number) << 8) | (data[3] as number)) === data.length;
  let bytes: Uint8Array;
  if (full) {
    bytes = data;
  } else {
    if (data.length + 4 > 0xffff) return { ok: false, reason: 'inner packet too long' };
    // Deliberate copy: a compressed packet gets the header it was sent without.
    bytes = new Uint8Array(data.length + 4);
    bytes[0] = code;
    bytes[1] = identifier & 0xff;
    bytes[2] = (data.length + 4) >>> 8;
    bytes[3] = (data.length + 4) & 0xff;
    bytes.set(data, 4);
  }
  const parsed = parseEap(bytes);
  if (!parsed.ok) return { ok: false, reason: `malformed inner packet: ${parsed.failure.message}` };
  const packet = parsed.value;
  if (!isEapMessage(packet)) return { ok: false, reason: 'inner Success/Failure' };
  if (packet.code !== code) return { ok: false, reason: `inner packet is not a ${direction}` };
  if (packet.type === EapType.PeapExtensions && !full) {
    return { ok: false, reason: 'Extensions (type 33) without its EAP header' };
  }
  return { ok: true, packet, fullHeader: full };
}

/** An inner packet as PEAPv0 sends it: without its header, except for Extensions (type 33). */
export function encodePeapInner(packet: EapMessage): Uint8Array<ArrayBuffer> {
  const bytes = encodeEap(packet);
  return packet.type === EapType.PeapExtensions ? bytes : bytes.slice(4);
}

/** An Extensions packet carrying one Result TLV (M set, Status 1 or 2). */
export function resultTlvPacket(
  code: typeof EapCode.Request | typeof EapCode.Response,
  identifier: number,
  success: boolean,
): EapMessage {
  return {
    code,
    identifier,
    type: EapType.PeapExtensions,
    typeData: Uint8Array.of(
      (MANDATORY | PeapTlvType.Result) >>> 8,
      PeapTlvType.Result,
      0,
      2,
      0,
      success ? PeapResultStatus.Success : PeapResultStatus.Failure,
    ),
  };
}

export type PeapResultTlv =
  { readonly ok: true; readonly status: number } | { readonly ok: false; readonly reason: string };

/**
 * The Status of the Result TLV in an Extensions Type-Data. Other TLVs are
 * skipped unless mandatory (an unknown mandatory TLV is refused, as
 * [MS-PEAP] asks); a TLV that runs past the data is refused.
 */
export function parseResultTlv(typeData: Uint8Array): PeapResultTlv {
  let offset = 0;
  let status: number | undefined;
  while (offset < typeData.length) {
    if (offset + 4 > typeData.length) return { ok: false, reason: 'truncated TLV header' };
    const header = ((typeData[offset] as number) << 8) | (typeData[offset + 1] as number);
    const length = ((typeData[offset + 2] as number) << 8) | (typeData[offset + 3] as number);
    const type = header & 0x3fff;
    if (offset + 4 + length > typeData.length) {
      return { ok: false, reason: `TLV ${type} of ${length} bytes runs past the data` };
    }
    if (type === PeapTlvType.Result) {
      if (length !== 2) return { ok: false, reason: `Result TLV of ${length} bytes, not 2` };
      if (status !== undefined) return { ok: false, reason: 'two Result TLVs' };
      status = ((typeData[offset + 4] as number) << 8) | (typeData[offset + 5] as number);
    } else if ((header & MANDATORY) !== 0) {
      return { ok: false, reason: `unsupported mandatory TLV ${type}` };
    }
    offset += 4 + length;
  }
  return status === undefined ? { ok: false, reason: 'no Result TLV' } : { ok: true, status };
}
