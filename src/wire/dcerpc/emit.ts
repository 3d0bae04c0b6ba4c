/**
 * Encoding connection-oriented DCE/RPC PDUs. Encoders write one buffer per
 * PDU, or, for a request or response, one buffer holding every fragment back
 * to back (one socket write), copying the stub once. Non-last fragments carry
 * a multiple of 8 stub bytes so NDR alignment survives reassembly. Bad
 * arguments (a fragment size under 1432, a field out of range) are caller
 * bugs: TypeError/RangeError.
 */
import { writeGuid } from '../lrec/guid.js';
import {
  DREP_LITTLE_ENDIAN,
  FAULT_LENGTH,
  MAX_FRAGMENT_LENGTH,
  PacketType,
  PfcFlag,
  REQUEST_HEADER_LENGTH,
  RESPONSE_HEADER_LENGTH,
  RPC_MINOR_VERSION,
  RPC_VERSION,
} from './constants.js';
import type { PresentationContext, SyntaxId } from './parse.js';

const NULL_SYNTAX: SyntaxId = { uuid: '00000000-0000-0000-0000-000000000000', major: 0, minor: 0 };

function writeHeader(
  view: DataView,
  at: number,
  type: number,
  flags: number,
  fragLength: number,
  callId: number,
): void {
  view.setUint8(at, RPC_VERSION);
  view.setUint8(at + 1, RPC_MINOR_VERSION);
  view.setUint8(at + 2, type);
  view.setUint8(at + 3, flags);
  view.setUint32(at + 4, DREP_LITTLE_ENDIAN, true); // 10 00 00 00
  view.setUint16(at + 8, fragLength, true);
  view.setUint16(at + 10, 0, true); // auth_length: netrx sends no auth trailer yet
  view.setUint32(at + 12, callId >>> 0, true);
}

function writeSyntax(out: Uint8Array, view: DataView, at: number, syntax: SyntaxId): void {
  writeGuid(out, at, syntax.uuid);
  view.setUint16(at + 16, syntax.major, true);
  view.setUint16(at + 18, syntax.minor, true);
}

function checkFragment(maxFrag: number, header: number): number {
  if (!Number.isInteger(maxFrag) || maxFrag < header + 8 || maxFrag > MAX_FRAGMENT_LENGTH) {
    throw new RangeError(`A fragment size is ${header + 8} to 65535 bytes: got ${maxFrag}`);
  }
  // Stub bytes per non-last fragment: a multiple of 8.
  return (maxFrag - header) & ~7;
}

/** The total length of `parts`. */
function partsLength(parts: readonly Uint8Array[]): number {
  let length = 0;
  for (const part of parts) length += part.length;
  return length;
}

/**
 * Writes `stub` (given as parts, so a caller's header and payload need no
 * concatenation) as fragments of at most `maxFrag` bytes; `writeFixed`
 * fills the type-specific fields of each fragment at `at + 16`.
 */
function fragmented(
  type: number,
  callId: number,
  headerLength: number,
  parts: readonly Uint8Array[],
  maxFrag: number,
  extraFlags: number,
  writeFixed: (view: DataView, at: number, allocHint: number) => void,
): Uint8Array<ArrayBuffer> {
  const perFragment = checkFragment(maxFrag, headerLength);
  const stubLength = partsLength(parts);
  const fragments = Math.max(1, Math.ceil(stubLength / perFragment));
  const out = new Uint8Array(stubLength + fragments * headerLength);
  const view = new DataView(out.buffer);
  let partIndex = 0;
  let partOffset = 0;
  let remaining = stubLength;
  let at = 0;
  for (let f = 0; f < fragments; f++) {
    const take = Math.min(perFragment, remaining);
    let flags = extraFlags;
    if (f === 0) flags |= PfcFlag.FIRST_FRAG;
    if (f === fragments - 1) flags |= PfcFlag.LAST_FRAG;
    writeHeader(view, at, type, flags, headerLength + take, callId);
    writeFixed(view, at, remaining);
    let write = at + headerLength;
    let left = take;
    while (left > 0) {
      const part = parts[partIndex] as Uint8Array;
      const n = Math.min(left, part.length - partOffset);
      out.set(part.subarray(partOffset, partOffset + n), write);
      write += n;
      left -= n;
      partOffset += n;
      if (partOffset === part.length) {
        partIndex++;
        partOffset = 0;
      }
    }
    // Skip empty parts so the next fragment starts on real bytes.
    while (partIndex < parts.length && (parts[partIndex] as Uint8Array).length === 0) partIndex++;
    remaining -= take;
    at = write;
  }
  return out;
}

export interface RequestInit {
  readonly callId: number;
  readonly contextId: number;
  readonly opnum: number;
  readonly stub: Uint8Array | readonly Uint8Array[];
}

/** A request, split into fragments of at most `maxFrag` bytes. */
export function encodeRequest(init: RequestInit, maxFrag: number): Uint8Array<ArrayBuffer> {
  const parts = init.stub instanceof Uint8Array ? [init.stub] : init.stub;
  return fragmented(
    PacketType.request,
    init.callId,
    REQUEST_HEADER_LENGTH,
    parts,
    maxFrag,
    0,
    (view, at, allocHint) => {
      view.setUint32(at + 16, allocHint, true);
      view.setUint16(at + 20, init.contextId, true);
      view.setUint16(at + 22, init.opnum, true);
    },
  );
}

export interface ResponseInit {
  readonly callId: number;
  readonly contextId: number;
  readonly stub: Uint8Array | readonly Uint8Array[];
}

/** A response, split into fragments of at most `maxFrag` bytes. */
export function encodeResponse(init: ResponseInit, maxFrag: number): Uint8Array<ArrayBuffer> {
  const parts = init.stub instanceof Uint8Array ? [init.stub] : init.stub;
  return fragmented(
    PacketType.response,
    init.callId,
    RESPONSE_HEADER_LENGTH,
    parts,
    maxFrag,
    0,
    (view, at, allocHint) => {
      view.setUint32(at + 16, allocHint, true);
      view.setUint16(at + 20, init.contextId, true);
      // cancel_count, reserved: 0
    },
  );
}

export interface FaultInit {
  readonly callId: number;
  readonly contextId: number;
  readonly status: number;
  /** The call was refused before it ran (PFC_DID_NOT_EXECUTE). */
  readonly didNotExecute: boolean;
}

export function encodeFault(init: FaultInit): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(FAULT_LENGTH);
  const view = new DataView(out.buffer);
  const flags =
    PfcFlag.FIRST_FRAG | PfcFlag.LAST_FRAG | (init.didNotExecute ? PfcFlag.DID_NOT_EXECUTE : 0);
  writeHeader(view, 0, PacketType.fault, flags, FAULT_LENGTH, init.callId);
  view.setUint32(16, 0, true); // alloc_hint: no stub follows
  view.setUint16(20, init.contextId, true);
  view.setUint32(24, init.status >>> 0, true);
  return out;
}

export interface BindInit {
  readonly kind: 'bind' | 'alter_context';
  readonly callId: number;
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroup: number;
  readonly contexts: readonly PresentationContext[];
}

/** A bind or alter_context with no auth trailer (the netrx client's). */
export function encodeBind(init: BindInit): Uint8Array<ArrayBuffer> {
  let length = 28;
  for (const context of init.contexts) length += 24 + context.transferSyntaxes.length * 20;
  if (length > MAX_FRAGMENT_LENGTH) throw new RangeError('The context list does not fit a PDU');
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  const type = init.kind === 'bind' ? PacketType.bind : PacketType.alter_context;
  writeHeader(view, 0, type, PfcFlag.FIRST_FRAG | PfcFlag.LAST_FRAG, length, init.callId);
  view.setUint16(16, init.maxXmitFrag, true);
  view.setUint16(18, init.maxRecvFrag, true);
  view.setUint32(20, init.assocGroup >>> 0, true);
  view.setUint8(24, init.contexts.length);
  let at = 28;
  for (const context of init.contexts) {
    view.setUint16(at, context.id, true);
    view.setUint8(at + 2, context.transferSyntaxes.length);
    writeSyntax(out, view, at + 4, context.abstractSyntax);
    at += 24;
    for (const syntax of context.transferSyntaxes) {
      writeSyntax(out, view, at, syntax);
      at += 20;
    }
  }
  return out;
}

export interface BindAckInit {
  readonly kind: 'bind_ack' | 'alter_context_resp';
  readonly callId: number;
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroup: number;
  /** The port as text (bind_ack); alter_context_resp sends an empty address. */
  readonly secondaryAddress: string;
  readonly results: readonly {
    readonly result: number;
    readonly reason: number;
    readonly transferSyntax?: SyntaxId;
  }[];
}

export function encodeBindAck(init: BindAckInit): Uint8Array<ArrayBuffer> {
  const address = init.secondaryAddress;
  for (let i = 0; i < address.length; i++) {
    if (address.charCodeAt(i) > 0x7e || address.charCodeAt(i) < 0x20) {
      throw new TypeError('The secondary address is printable ASCII');
    }
  }
  const addressLength = address.length === 0 ? 0 : address.length + 1; // with its NUL
  const resultsAt = (26 + addressLength + 3) & ~3;
  const length = resultsAt + 4 + init.results.length * 24;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  const type = init.kind === 'bind_ack' ? PacketType.bind_ack : PacketType.alter_context_resp;
  writeHeader(view, 0, type, PfcFlag.FIRST_FRAG | PfcFlag.LAST_FRAG, length, init.callId);
  view.setUint16(16, init.maxXmitFrag, true);
  view.setUint16(18, init.maxRecvFrag, true);
  view.setUint32(20, init.assocGroup >>> 0, true);
  view.setUint16(24, addressLength, true);
  for (let i = 0; i < address.length; i++) view.setUint8(26 + i, address.charCodeAt(i));
  view.setUint8(resultsAt, init.results.length);
  let at = resultsAt + 4;
  for (const entry of init.results) {
    view.setUint16(at, entry.result, true);
    view.setUint16(at + 2, entry.reason, true);
    writeSyntax(out, view, at + 4, entry.transferSyntax ?? NULL_SYNTAX);
    at += 24;
  }
  return out;
}

/** A bind_nak: the reason and the one protocol version netrx speaks (5.0), padded to 4. */
export function encodeBindNak(callId: number, reason: number): Uint8Array<ArrayBuffer> {
  const length = 24;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  writeHeader(view, 0, PacketType.bind_nak, PfcFlag.FIRST_FRAG | PfcFlag.LAST_FRAG, length, callId);
  view.setUint16(16, reason, true);
  view.setUint8(18, 1); // n_protocols
  view.setUint8(19, RPC_VERSION);
  view.setUint8(20, RPC_MINOR_VERSION);
  return out;
}
