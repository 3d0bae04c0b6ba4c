/**
 * The receive path's plain types (what an operation is, what it completes
 * with, what the path asks of its handle) and the indications it makes.
 */
import { ProtocolError, type NetrxError } from '../runtime/index.js';
import { CloseCode, type MaskFunction, type MaskIntoFunction } from '../wire/websocket/index.js';
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import type { BufferType, CloseStatus } from './actions.js';
import type { ResolvedProperties } from './properties.js';

/** What a receive operation completes with. */
export interface Indication {
  readonly bufferType: BufferType;
  readonly buffer: Uint8Array;
  /** A binary message handed out as its held pieces (`ReceiveOperation.pieces`); `buffer` is then empty. */
  readonly buffers?: readonly Uint8Array[];
  readonly close: CloseStatus | undefined;
  readonly error: NetrxError | undefined;
}

export interface ReceiveOperation {
  /** The caller's buffer, or undefined for component memory. */
  readonly buffer: Uint8Array | undefined;
  readonly context: unknown;
  /**
   * Without a buffer: an uncompressed binary message held as pieces of lent
   * chunks is handed out as those pieces, not gathered.
   */
  readonly pieces?: boolean;
  /** Bytes of `buffer` filled so far. */
  filled: number;
}

/**
 * What the receive path asks of its handle. One object serves every handle
 * (the handle is passed in), so these calls stay off the handle's public
 * surface and cost no memory per connection.
 */
export interface ReceiveHost<Owner> {
  /** A ping arrived: queue a pong with this (copied) payload. */
  receivedPing(owner: Owner, payload: Uint8Array): void;
  /** A valid close arrived. */
  receivedClose(owner: Owner, status: CloseStatus): void;
  /** The peer broke the protocol: send a close with `error.closeCode`. */
  receivedViolation(owner: Owner, error: ProtocolError): void;
  /** A whole message arrived (for traces and statistics). */
  receivedMessage(owner: Owner, text: boolean, size: number): void;
}

export interface ReceivePathOptions {
  readonly role: 'client' | 'server';
  readonly properties: ResolvedProperties;
  readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined;
  readonly mask: MaskFunction | undefined;
  readonly maskInto?: MaskIntoFunction | undefined;
  readonly allocate: ((size: number) => Uint8Array) | undefined;
}

/** The codec's failure codes (`frame-not-masked`) as netrx error codes (`ERR_WS_FRAME_NOT_MASKED`). */
export function wireCode(code: string): string {
  return `ERR_WS_${code.toUpperCase().replace(/-/g, '_')}`;
}

export function indication(bufferType: BufferType, buffer: Uint8Array): Indication {
  return { bufferType, buffer, close: undefined, error: undefined };
}

/** Receiving ends: a close frame arrived (`error` undefined) or the connection failed. */
export function closeIndication(close: CloseStatus, error: NetrxError | undefined): Indication {
  return { bufferType: 'close', buffer: EMPTY_BYTES, close, error };
}

export function connectionLost(): Indication {
  return {
    bufferType: 'close',
    buffer: EMPTY_BYTES,
    close: { code: CloseCode.AbnormalClosure, reason: '' },
    error: new ProtocolError(
      'ERR_WS_CONNECTION_LOST',
      'The transport ended before a close frame arrived',
      'remote',
    ),
  };
}
