/**
 * The compression seam of permessage-deflate (RFC 7692). The core never
 * compresses by itself: a host injects a `DeflateCodec` (netrx/node provides
 * one over `node:zlib`), so the engine stays free of Node and a test can use
 * any raw-DEFLATE implementation.
 *
 * Both directions are synchronous and work on raw DEFLATE (no zlib header).
 * The core owns the RFC 7692 framing around them: it appends the
 * `00 00 ff ff` tail before the last inflate of a message, strips it after a
 * sync-flushed deflate, and calls `reset()` between messages when context
 * takeover is off.
 */

/** What an `Inflater.inflate` call produced. */
export type InflateResult =
  | { readonly ok: true; readonly chunks: readonly Uint8Array[]; readonly length: number }
  | {
      readonly ok: false;
      /** `too-big`: the output passed `maxOutputLength`; `corrupt`: not valid DEFLATE data. */
      readonly reason: 'too-big' | 'corrupt';
      readonly message: string;
    };

export interface Inflater {
  /**
   * Decompresses `data` (a piece of one message's compressed payload),
   * flushing everything it can (`Z_SYNC_FLUSH`). Returns the produced bytes;
   * they may be views of memory the inflater reuses only after the next call.
   * Stops with `too-big` as soon as more than `maxOutputLength` bytes would
   * be produced by this call, without producing them (zip-bomb bound).
   *
   * `endOfMessage` marks the last piece of a message, to which the core has
   * appended the `00 00 ff ff` tail. The inflater must then check that the
   * DEFLATE data ended cleanly and return `corrupt` if not: either at a
   * block boundary just after the tail's empty stored block, or at the end
   * of a final block (BFINAL) followed by nothing but the tail, optionally
   * after the single `00` octet of RFC 7692 §7.2.3.4. A stream cut short
   * (also inside a final block), or followed by anything else, is corrupt.
   * Without that check a truncated message is delivered short with no error
   * and the inflater is left inside a block for the next message (issue 8).
   * An inflater that ignores the flag cannot detect truncation.
   */
  inflate(data: Uint8Array, maxOutputLength: number, endOfMessage?: boolean): InflateResult;
  /** Forgets the sliding window (no context takeover). */
  reset(): void;
  /** Frees native memory; the inflater is unusable afterwards. */
  close(): void;
}

export interface Deflater {
  /**
   * Compresses `data` and sync-flushes (`Z_SYNC_FLUSH`), so the output ends
   * with the empty stored block `00 00 ff ff`. The returned bytes belong to
   * the caller.
   */
  deflate(data: Uint8Array): Uint8Array;
  /** Forgets the sliding window (no context takeover). */
  reset(): void;
  /** Frees native memory; the deflater is unusable afterwards. */
  close(): void;
}

export interface InflaterOptions {
  /** LZ77 window, 8-15 (the peer's negotiated `*_max_window_bits`). */
  readonly windowBits: number;
}

export interface DeflaterOptions {
  /** LZ77 window, 9-15 (zlib cannot produce 8-bit windows; raise 8 to 9). */
  readonly windowBits: number;
  /** Compression level 0-9; default chosen by the codec. */
  readonly level?: number;
  /** zlib memLevel 1-9; lower uses less memory per connection. */
  readonly memLevel?: number;
}

/** A factory for inflaters and deflaters: what a host injects. */
export interface DeflateCodec {
  createInflater(options: InflaterOptions): Inflater;
  createDeflater(options: DeflaterOptions): Deflater;
  /**
   * The inflaters' output is never written again once handed out (also
   * after later calls, a reset, a close or a pool's reuse), so views of it
   * stay valid for as long as anyone holds them. The receive path then
   * keeps the inflated pieces of a large message as views and gathers them
   * once at its end, instead of copying each into a buffer that doubles.
   * Default false: `inflate`'s chunks are valid until the next call only.
   */
  readonly stableOutput?: boolean;
}
