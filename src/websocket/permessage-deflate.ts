import { NetrxError } from '../runtime/index.js';
import { DEFAULT_MAX_FRAME_PAYLOAD, type WebSocketFailure } from '../wire/index.js';
import type { DeflateCodec, Deflater, Inflater } from './deflate-codec.js';
import type { PerMessageDeflateParams } from './extensions.js';

/**
 * permessage-deflate (RFC 7692 §7.2) for one connection, over an injected
 * `DeflateCodec`: the framing around raw DEFLATE, the per-role window bits
 * and context takeover rules, and the message size limit.
 *
 * Memory. Compression objects are what a deflate connection costs (with
 * node:zlib ~215 KiB for a deflater at window 15, 10-45 KiB for an
 * inflater), so the session creates each on the first compressed message in
 * its direction, never for an idle or uncompressed connection. Where context
 * takeover is off, the context dies with each message anyway, so the session
 * closes the object after each message (and after a failure) instead of
 * resetting it: an idle connection then holds nothing. Closing costs more
 * than resetting, since a new object's memory is fresh (node:zlib, window
 * 15, best of 3: a 1.4 KB JSON message deflates in 9.6 µs with a reset and
 * 16.8 µs freed and recreated, an 80-byte one 3.8 vs 10.3 µs; inflating
 * 3.1 vs 7.5 and 1.6 vs 5.2 µs). So give sessions a codec from
 * `createDeflateCodecPool`: there closing resets the object and keeps it for
 * the next message of any connection (10.2, 4.0, 3.5, 1.9 µs: the cost of a
 * reset). With context takeover the objects live as long as the connection:
 * the window is the state.
 */

/** `00 00 ff ff`: what a sync flush ends with; the sender strips it, the receiver puts it back (§7.2.1-2). */
const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

export type PerMessageDeflateRole = 'client' | 'server';

export interface PerMessageDeflateSessionOptions {
  /** What the handshake agreed (`acceptPerMessageDeflate` / `checkPerMessageDeflateResponse`). */
  readonly params: PerMessageDeflateParams;
  readonly role: PerMessageDeflateRole;
  readonly codec: DeflateCodec;
  /**
   * Largest decompressed message, in bytes (inclusive). Over it: the
   * `message-too-big` failure, 1009. Default 16 MiB, like the frame limit.
   */
  readonly maxMessageSize?: number;
  /** Messages shorter than this are not worth compressing (`shouldCompress`). Default 1024, as ws. */
  readonly threshold?: number;
  /** Compression level 0-9 for the deflater; default the codec's. */
  readonly level?: number;
  /** zlib memLevel 1-9 for the deflater; default the codec's. */
  readonly memLevel?: number;
}

/** What `inflate` produced for one piece: decompressed chunks, or why the connection must fail. */
export type PerMessageInflateResult =
  | { readonly ok: true; readonly chunks: readonly Uint8Array[]; readonly length: number }
  | { readonly ok: false; readonly failure: WebSocketFailure };

/** Shared by every session, so frozen (and its empty list with it). */
const NOTHING: PerMessageInflateResult = Object.freeze({
  ok: true,
  chunks: Object.freeze([]),
  length: 0,
});

export class PerMessageDeflateSession {
  private readonly codec: DeflateCodec;
  private readonly maxMessageSize: number;
  private readonly threshold: number;
  private readonly inflateWindowBits: number;
  private readonly deflateWindowBits: number;
  private readonly inflateKeepsContext: boolean;
  private readonly deflateKeepsContext: boolean;
  private readonly level: number | undefined;
  private readonly memLevel: number | undefined;

  private inflater: Inflater | undefined;
  private deflater: Deflater | undefined;
  /** Decompressed bytes of the message being received so far. */
  private messageLength = 0;
  /** Whether the message being received has had a compressed byte yet. */
  private messageStarted = false;
  private failure: { readonly ok: false; readonly failure: WebSocketFailure } | undefined;
  private closed = false;

  /** Throws `RangeError` on window bits outside 8-15 or a bad limit. */
  constructor(options: PerMessageDeflateSessionOptions) {
    const { params, role } = options;
    checkWindowBits(params.serverMaxWindowBits, 'serverMaxWindowBits');
    checkWindowBits(params.clientMaxWindowBits, 'clientMaxWindowBits');
    this.codec = options.codec;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_FRAME_PAYLOAD;
    if (!(this.maxMessageSize >= 0)) {
      throw new RangeError(`maxMessageSize must be >= 0: got ${String(this.maxMessageSize)}`);
    }
    this.threshold = options.threshold ?? 1024;
    this.level = options.level;
    this.memLevel = options.memLevel;
    // Each side compresses with its own parameters and decompresses with the peer's (§7.1).
    const mine = role === 'server' ? 'server' : 'client';
    const peers = role === 'server' ? 'client' : 'server';
    this.deflateWindowBits = params[`${mine}MaxWindowBits`];
    this.inflateWindowBits = params[`${peers}MaxWindowBits`];
    this.deflateKeepsContext = !params[`${mine}NoContextTakeover`];
    this.inflateKeepsContext = !params[`${peers}NoContextTakeover`];
  }

  /**
   * Decompresses the next piece of one compressed message's payload (pieces
   * may be split at any byte; `last` marks the message's final piece).
   * Chunks are valid until the next call. A failure is final: the connection
   * must be failed with its `closeCode` (`message-too-big` 1009 once the
   * message passes `maxMessageSize`, counting every piece; `inflate-failed`
   * 1007 on data that is not DEFLATE), and later calls return it again.
   *
   * Why 1007: RFC 7692 §8 says only to fail the connection. The frames were
   * well formed, so it is not RFC 6455's 1002 (protocol error); what is wrong
   * is the message's data, which §7.4.1 gives 1007 ("data within a message
   * that was not consistent with the type of the message"), as for bad UTF-8.
   * ws sends 1007 too.
   * Throws only if the session was closed.
   */
  inflate(piece: Uint8Array, last: boolean): PerMessageInflateResult {
    if (this.closed) throw closedError();
    if (this.failure !== undefined) return this.failure;
    if (piece.length > 0) this.messageStarted = true;
    if (!this.messageStarted) {
      // Not even the 0x00 of an empty message (§7.2.3.6): nothing to inflate,
      // and feeding the tail alone would leave the inflater inside a stored block.
      return NOTHING;
    }
    if (piece.length === 0 && !last) return NOTHING;
    const inflater = (this.inflater ??= this.codec.createInflater({
      windowBits: this.inflateWindowBits,
    }));
    // One codec call per piece: a codec may reuse its output memory on the next call.
    const result = inflater.inflate(
      last ? withTail(piece) : piece,
      this.maxMessageSize - this.messageLength,
      last, // the inflater checks that the DEFLATE data ended cleanly (truncation is corrupt)
    );
    if (!result.ok) {
      this.releaseInflater();
      this.failure =
        result.reason === 'too-big'
          ? failed(
              'message-too-big',
              1009,
              `The decompressed message is over the limit of ${this.maxMessageSize} bytes`,
            )
          : failed('inflate-failed', 1007, `Cannot decompress the message: ${result.message}`);
      return this.failure;
    }
    this.messageLength += result.length;
    if (last) {
      this.messageLength = 0;
      this.messageStarted = false;
      if (!this.inflateKeepsContext) this.releaseInflater();
    }
    return result;
  }

  /**
   * Compresses a whole message into the payload to send with RSV1 set: the
   * sync-flushed DEFLATE data without its `00 00 ff ff` tail (§7.2.1). An
   * empty message is the single byte `00` (§7.2.3.6), as ws and browsers
   * send it. The bytes belong to the caller.
   */
  deflate(message: Uint8Array): Uint8Array {
    if (this.closed) throw closedError();
    if (message.length === 0) return Uint8Array.of(0x00);
    const deflater = (this.deflater ??= this.codec.createDeflater({
      // zlib cannot deflate with an 8-bit window; 9 never reaches past 250 bytes (zlib-codec.ts).
      windowBits: Math.max(9, this.deflateWindowBits),
      ...(this.level === undefined ? {} : { level: this.level }),
      ...(this.memLevel === undefined ? {} : { memLevel: this.memLevel }),
    }));
    let compressed: Uint8Array;
    try {
      compressed = deflater.deflate(message);
    } finally {
      if (!this.deflateKeepsContext) {
        this.deflater = undefined;
        deflater.close();
      }
    }
    if (!endsWithTail(compressed)) {
      throw new NetrxError(
        'ERR_WS_DEFLATE_CODEC',
        'The deflate codec broke its contract: its output does not end with 00 00 ff ff',
      );
    }
    return compressed.subarray(0, compressed.length - TAIL.length);
  }

  /**
   * The window bits this side deflates with when it keeps no context
   * between messages (`*_no_context_takeover` for its role), else
   * undefined. Such a session's output depends only on the message and this
   * number (and the level, which a server gives all its sessions), so a
   * prepared message compresses once per value and shares the bytes.
   */
  get sharedDeflateWindowBits(): number | undefined {
    return this.deflateKeepsContext ? undefined : Math.max(9, this.deflateWindowBits);
  }

  /** Whether inflated chunks stay valid after the next call (`DeflateCodec.stableOutput`). */
  get stableOutput(): boolean {
    return this.codec.stableOutput === true;
  }

  /** Whether a message of `length` bytes is worth compressing (`length >= threshold`). */
  shouldCompress(length: number): boolean {
    return length >= this.threshold;
  }

  /** Frees both compression objects. Idempotent; the session is unusable afterwards. */
  close(): void {
    this.closed = true;
    this.releaseInflater();
    const deflater = this.deflater;
    this.deflater = undefined;
    deflater?.close();
  }

  private releaseInflater(): void {
    const inflater = this.inflater;
    this.inflater = undefined;
    inflater?.close();
  }
}

/** `piece` followed by the tail, in one array: a deliberate copy of the last piece. */
function withTail(piece: Uint8Array): Uint8Array {
  if (piece.length === 0) return TAIL;
  const joined = new Uint8Array(piece.length + TAIL.length);
  joined.set(piece);
  joined.set(TAIL, piece.length);
  return joined;
}

function endsWithTail(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return (
    n >= 4 &&
    bytes[n - 4] === 0 &&
    bytes[n - 3] === 0 &&
    bytes[n - 2] === 0xff &&
    bytes[n - 1] === 0xff
  );
}

function failed(
  code: string,
  closeCode: number,
  message: string,
): { readonly ok: false; readonly failure: WebSocketFailure } {
  return { ok: false, failure: { code, closeCode, message } };
}

function closedError(): NetrxError {
  return new NetrxError(
    'ERR_WS_DEFLATE_CLOSED',
    'Cannot use a permessage-deflate session after close()',
  );
}

function checkWindowBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 8 || bits > 15) {
    throw new RangeError(`${what} must be an integer from 8 to 15: got ${String(bits)}`);
  }
}
