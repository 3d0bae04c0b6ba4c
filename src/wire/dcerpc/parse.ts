/**
 * Decoding connection-oriented DCE/RPC PDUs (C706 12.6, MS-RPCE 2.2.2) from
 * untrusted bytes. Nothing here throws: every function returns a `Decoded`
 * whose failure code is one of `truncated`, `bad-version`, `unsupported-drep`,
 * `bad-frag-length`, `bad-auth-length`, `bad-context-list`, `bad-body`
 * (docs/errors.md). Every count read from the wire (contexts, transfer
 * syntaxes, results, the secondary address) is checked against frag_length
 * before anything is read or allocated, so a lying PDU costs at most the
 * bytes it actually sent.
 */
import { readGuid } from '../lrec/guid.js';
import { decodeFailed, decoded, type Decoded } from '../result.js';
import {
  AUTH_TRAILER_LENGTH,
  COMMON_HEADER_LENGTH,
  DREP_LITTLE_ENDIAN,
  FAULT_LENGTH,
  PacketType,
  PfcFlag,
  REQUEST_HEADER_LENGTH,
  RESPONSE_HEADER_LENGTH,
  RPC_VERSION,
} from './constants.js';

export interface PduHeader {
  readonly type: number;
  readonly minorVersion: number;
  readonly flags: number;
  readonly drep: number;
  readonly fragLength: number;
  readonly authLength: number;
  readonly callId: number;
}

/** A p_syntax_id_t: interface or transfer syntax UUID with its version. */
export interface SyntaxId {
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
}

export interface PresentationContext {
  readonly id: number;
  readonly abstractSyntax: SyntaxId;
  readonly transferSyntaxes: readonly SyntaxId[];
}

export interface ContextResultEntry {
  readonly result: number;
  readonly reason: number;
  readonly transferSyntax: SyntaxId;
}

/** sec_trailer and the token after it. */
export interface AuthTrailer {
  readonly authType: number;
  readonly authLevel: number;
  readonly padLength: number;
  readonly contextId: number;
  readonly token: Uint8Array;
}

interface WithAuth {
  readonly auth: AuthTrailer | undefined;
}

export type Pdu =
  | ({
      readonly kind: 'bind' | 'alter_context';
      readonly header: PduHeader;
      readonly maxXmitFrag: number;
      readonly maxRecvFrag: number;
      readonly assocGroup: number;
      readonly contexts: readonly PresentationContext[];
    } & WithAuth)
  | ({
      readonly kind: 'bind_ack' | 'alter_context_resp';
      readonly header: PduHeader;
      readonly maxXmitFrag: number;
      readonly maxRecvFrag: number;
      readonly assocGroup: number;
      readonly secondaryAddress: string;
      readonly results: readonly ContextResultEntry[];
    } & WithAuth)
  | { readonly kind: 'bind_nak'; readonly header: PduHeader; readonly reason: number }
  | ({
      readonly kind: 'request';
      readonly header: PduHeader;
      readonly allocHint: number;
      readonly contextId: number;
      readonly opnum: number;
      readonly object: string | undefined;
      /** A view into the decoded bytes (no copy). */
      readonly stub: Uint8Array;
    } & WithAuth)
  | ({
      readonly kind: 'response';
      readonly header: PduHeader;
      readonly allocHint: number;
      readonly contextId: number;
      readonly cancelCount: number;
      readonly stub: Uint8Array;
    } & WithAuth)
  | {
      readonly kind: 'fault';
      readonly header: PduHeader;
      readonly allocHint: number;
      readonly contextId: number;
      readonly cancelCount: number;
      readonly status: number;
    }
  | { readonly kind: 'other'; readonly header: PduHeader; readonly body: Uint8Array };

/**
 * True when drep[0] says big-endian integers (its high nibble is 0, C706
 * 14.1). netrx speaks little-endian NDR only, but must still find where a
 * big-endian PDU ends and which call it is, to refuse it clearly.
 */
export function isBigEndianDrep(bytes: Uint8Array): boolean {
  return bytes.length > 4 && ((bytes[4] as number) & 0xf0) === 0;
}

/**
 * The frag_length of the PDU starting at `bytes[0]`, for a stream framer:
 * undefined while fewer than 10 bytes are there. Read in the byte order
 * drep names, so a big-endian PDU is framed right (and then refused).
 * Validates nothing else.
 */
export function peekFragLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 10) return undefined;
  const b8 = bytes[8] as number;
  const b9 = bytes[9] as number;
  return isBigEndianDrep(bytes) ? (b8 << 8) | b9 : b8 | (b9 << 8);
}

/**
 * The PDU type and call_id of a header that may not decode (wrong version,
 * big-endian, lying lengths), so a refusal can name the call: undefined under
 * 16 bytes.
 */
export function peekCall(bytes: Uint8Array): { type: number; callId: number } | undefined {
  if (bytes.length < COMMON_HEADER_LENGTH) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, COMMON_HEADER_LENGTH);
  return { type: view.getUint8(2), callId: view.getUint32(12, !isBigEndianDrep(bytes)) };
}

/** The common header of the PDU at `bytes[0]`; `bytes` must hold the whole PDU (frag_length). */
export function parsePduHeader(bytes: Uint8Array): Decoded<PduHeader> {
  if (bytes.length < COMMON_HEADER_LENGTH) {
    return decodeFailed('truncated', `A PDU header is 16 bytes: got ${bytes.length}`, 0);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  const minorVersion = view.getUint8(1);
  if (version !== RPC_VERSION || minorVersion > 1) {
    return decodeFailed('bad-version', `RPC version ${version}.${minorVersion} is not 5.0/5.1`, 0);
  }
  const drep = view.getUint8(4);
  // Integer representation is the high nibble of drep[0]; character (low nibble) must be ASCII.
  if (drep !== DREP_LITTLE_ENDIAN) {
    return decodeFailed(
      'unsupported-drep',
      `Data representation 0x${drep.toString(16)} is not little-endian ASCII (0x10)`,
      4,
    );
  }
  const fragLength = view.getUint16(8, true);
  if (fragLength < COMMON_HEADER_LENGTH || fragLength > bytes.length) {
    return decodeFailed(
      'bad-frag-length',
      `frag_length ${fragLength} is outside 16..${bytes.length} (the bytes received)`,
      8,
    );
  }
  const authLength = view.getUint16(10, true);
  return decoded({
    type: view.getUint8(2),
    minorVersion,
    flags: view.getUint8(3),
    drep,
    fragLength,
    authLength,
    callId: view.getUint32(12, true),
  });
}

function readSyntax(view: DataView, bytes: Uint8Array, offset: number): SyntaxId {
  return {
    uuid: readGuid(bytes, offset),
    major: view.getUint16(offset + 16, true),
    minor: view.getUint16(offset + 18, true),
  };
}

/**
 * Splits off the auth trailer: returns where the body ends (before the
 * padding and the trailer) and the trailer, or a failure when auth_length
 * cannot fit after `bodyStart`.
 */
function splitAuth(
  view: DataView,
  bytes: Uint8Array,
  header: PduHeader,
  bodyStart: number,
): Decoded<{ bodyEnd: number; auth: AuthTrailer | undefined }> {
  if (header.authLength === 0) return decoded({ bodyEnd: header.fragLength, auth: undefined });
  const trailerAt = header.fragLength - header.authLength - AUTH_TRAILER_LENGTH;
  if (trailerAt < bodyStart) {
    return decodeFailed(
      'bad-auth-length',
      `auth_length ${header.authLength} does not fit a ${header.fragLength}-byte PDU`,
      10,
    );
  }
  const padLength = view.getUint8(trailerAt + 2);
  if (trailerAt - padLength < bodyStart) {
    return decodeFailed('bad-auth-length', `auth_pad_length ${padLength} exceeds the body`, 10);
  }
  return decoded({
    bodyEnd: trailerAt - padLength,
    auth: {
      authType: view.getUint8(trailerAt),
      authLevel: view.getUint8(trailerAt + 1),
      padLength,
      contextId: view.getUint32(trailerAt + 4, true),
      token: bytes.subarray(trailerAt + AUTH_TRAILER_LENGTH, header.fragLength),
    },
  });
}

/** Decodes the one PDU at the start of `bytes` (exactly frag_length bytes are used). */
export function parsePdu(bytes: Uint8Array): Decoded<Pdu> {
  const parsedHeader = parsePduHeader(bytes);
  if (!parsedHeader.ok) return parsedHeader;
  const header = parsedHeader.value;
  const end = header.fragLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset, end);
  const short = (need: number, what: string): Decoded<never> =>
    decodeFailed('truncated', `${what} needs ${need} bytes; frag_length is ${end}`, 8);
  switch (header.type) {
    case PacketType.bind:
    case PacketType.alter_context: {
      if (end < 28) return short(28, 'A bind');
      const count = view.getUint8(24);
      const contexts: PresentationContext[] = [];
      let offset = 28;
      for (let i = 0; i < count; i++) {
        if (offset + 24 > end) {
          return decodeFailed('bad-context-list', `Context ${i} of ${count} is cut off`, offset);
        }
        const id = view.getUint16(offset, true);
        const transferCount = view.getUint8(offset + 2);
        if (transferCount === 0) {
          return decodeFailed(
            'bad-context-list',
            `Context ${id} offers no transfer syntax`,
            offset,
          );
        }
        const need = offset + 24 + transferCount * 20;
        if (need > end) {
          return decodeFailed(
            'bad-context-list',
            `Context ${id} claims ${transferCount} transfer syntaxes past frag_length`,
            offset,
          );
        }
        const abstractSyntax = readSyntax(view, bytes, offset + 4);
        const transferSyntaxes: SyntaxId[] = [];
        for (let t = 0; t < transferCount; t++) {
          transferSyntaxes.push(readSyntax(view, bytes, offset + 24 + t * 20));
        }
        contexts.push({ id, abstractSyntax, transferSyntaxes });
        offset = need;
      }
      const split = splitAuth(view, bytes, header, offset);
      if (!split.ok) return split;
      return decoded({
        kind: header.type === PacketType.bind ? 'bind' : 'alter_context',
        header,
        maxXmitFrag: view.getUint16(16, true),
        maxRecvFrag: view.getUint16(18, true),
        assocGroup: view.getUint32(20, true),
        contexts,
        auth: split.value.auth,
      });
    }
    case PacketType.bind_ack:
    case PacketType.alter_context_resp: {
      if (end < 26) return short(26, 'A bind_ack');
      const addressLength = view.getUint16(24, true);
      let offset = 26 + addressLength;
      if (offset > end) return short(offset, 'The secondary address');
      let secondaryAddress = '';
      for (let i = 26; i < 26 + addressLength - 1; i++) {
        secondaryAddress += String.fromCharCode(view.getUint8(i));
      }
      offset = (offset + 3) & ~3;
      if (offset + 4 > end) return short(offset + 4, 'The result list');
      const count = view.getUint8(offset);
      offset += 4;
      if (offset + count * 24 > end) {
        return decodeFailed('bad-context-list', `${count} results do not fit`, offset - 4);
      }
      const results: ContextResultEntry[] = [];
      for (let i = 0; i < count; i++, offset += 24) {
        results.push({
          result: view.getUint16(offset, true),
          reason: view.getUint16(offset + 2, true),
          transferSyntax: readSyntax(view, bytes, offset + 4),
        });
      }
      const split = splitAuth(view, bytes, header, offset);
      if (!split.ok) return split;
      return decoded({
        kind: header.type === PacketType.bind_ack ? 'bind_ack' : 'alter_context_resp',
        header,
        maxXmitFrag: view.getUint16(16, true),
        maxRecvFrag: view.getUint16(18, true),
        assocGroup: view.getUint32(20, true),
        secondaryAddress,
        results,
        auth: split.value.auth,
      });
    }
    case PacketType.bind_nak: {
      if (end < 18) return short(18, 'A bind_nak');
      return decoded({ kind: 'bind_nak', header, reason: view.getUint16(16, true) });
    }
    case PacketType.request: {
      const hasObject = (header.flags & PfcFlag.OBJECT_UUID) !== 0;
      const stubStart = REQUEST_HEADER_LENGTH + (hasObject ? 16 : 0);
      if (end < stubStart) return short(stubStart, 'A request');
      const split = splitAuth(view, bytes, header, stubStart);
      if (!split.ok) return split;
      return decoded({
        kind: 'request',
        header,
        allocHint: view.getUint32(16, true),
        contextId: view.getUint16(20, true),
        opnum: view.getUint16(22, true),
        object: hasObject ? readGuid(bytes, REQUEST_HEADER_LENGTH) : undefined,
        stub: bytes.subarray(stubStart, split.value.bodyEnd),
        auth: split.value.auth,
      });
    }
    case PacketType.response: {
      if (end < RESPONSE_HEADER_LENGTH) return short(RESPONSE_HEADER_LENGTH, 'A response');
      const split = splitAuth(view, bytes, header, RESPONSE_HEADER_LENGTH);
      if (!split.ok) return split;
      return decoded({
        kind: 'response',
        header,
        allocHint: view.getUint32(16, true),
        contextId: view.getUint16(20, true),
        cancelCount: view.getUint8(22),
        stub: bytes.subarray(RESPONSE_HEADER_LENGTH, split.value.bodyEnd),
        auth: split.value.auth,
      });
    }
    case PacketType.fault: {
      if (end < FAULT_LENGTH - 4) return short(FAULT_LENGTH - 4, 'A fault');
      return decoded({
        kind: 'fault',
        header,
        allocHint: view.getUint32(16, true),
        contextId: view.getUint16(20, true),
        cancelCount: view.getUint8(22),
        status: view.getUint32(24, true),
      });
    }
    default:
      return decoded({ kind: 'other', header, body: bytes.subarray(COMMON_HEADER_LENGTH, end) });
  }
}
