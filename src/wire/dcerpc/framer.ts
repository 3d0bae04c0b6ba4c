/**
 * Cutting a TCP byte stream into PDUs, and putting fragmented stubs back
 * together, both bounded.
 *
 * `PduFramer` holds at most one partial PDU (frag_length is a u16, and a
 * caller may set a lower `maxFragLength`, e.g. the negotiated max_recv_frag),
 * so a peer can never make it hold more than 64 KiB. A frag_length under 16
 * or above the limit cannot be resynchronised on a stream: the framer fails
 * for good and the connection must close.
 *
 * `StubAssembler` joins the stubs of a call's fragments (FIRST … LAST, one
 * call_id) up to `maxBytes`; alloc_hint is never trusted for allocation.
 */
import { decodeFailed, type DecodeFailure } from '../result.js';
import { COMMON_HEADER_LENGTH, MAX_FRAGMENT_LENGTH, PfcFlag } from './constants.js';
import { peekFragLength } from './parse.js';

export type FramerOutput =
  | { readonly ok: true; readonly pdus: readonly Uint8Array[] }
  /** `pdus`: the complete PDUs framed before the one that failed (handle them, then close). */
  | { readonly ok: false; readonly failure: DecodeFailure; readonly pdus: readonly Uint8Array[] };

export class PduFramer {
  /** The bytes of an incomplete PDU (copied: the caller may reuse its chunks). */
  private partial: Uint8Array | undefined;
  private failed: DecodeFailure | undefined;
  /** The first 16 bytes of the PDU that failed framing (a copy), so the refusal can name its call. */
  failedHeader: Uint8Array | undefined;
  maxFragLength: number;

  constructor(maxFragLength = MAX_FRAGMENT_LENGTH) {
    this.maxFragLength = maxFragLength;
  }

  /** Bytes held for an incomplete PDU: never more than `maxFragLength`. */
  get bufferedBytes(): number {
    return this.partial?.length ?? 0;
  }

  /**
   * Feeds bytes; returns the complete PDUs (views into `chunk` where a PDU
   * lies wholly inside it, valid until the caller reuses `chunk`).
   */
  push(chunk: Uint8Array): FramerOutput {
    if (this.failed !== undefined) return { ok: false, failure: this.failed, pdus: [] };
    const pdus: Uint8Array[] = [];
    let bytes = chunk;
    if (this.partial !== undefined) {
      const joined = new Uint8Array(this.partial.length + chunk.length);
      joined.set(this.partial);
      joined.set(chunk, this.partial.length);
      this.partial = undefined;
      bytes = joined;
    }
    let at = 0;
    while (at < bytes.length) {
      const rest = bytes.subarray(at);
      const fragLength = peekFragLength(rest);
      if (fragLength !== undefined) {
        if (fragLength < COMMON_HEADER_LENGTH || fragLength > this.maxFragLength) {
          this.failed = decodeFailed(
            'bad-frag-length',
            `frag_length ${fragLength} is outside 16..${this.maxFragLength}`,
            at + 8,
          ).failure;
          this.failedHeader = rest.slice(0, COMMON_HEADER_LENGTH);
          return { ok: false, failure: this.failed, pdus };
        }
        if (rest.length >= fragLength) {
          pdus.push(rest.subarray(0, fragLength));
          at += fragLength;
          continue;
        }
      }
      // Copied: `chunk` belongs to the caller and the socket reuses nothing, but be safe.
      this.partial = rest.slice();
      break;
    }
    return { ok: true, pdus };
  }
}

export type AssembleResult =
  | { readonly status: 'complete'; readonly stub: Uint8Array }
  | { readonly status: 'more' }
  | { readonly status: 'failed'; readonly failure: DecodeFailure };

export class StubAssembler {
  private readonly maxBytes: number;
  private parts: Uint8Array[] = [];
  private length = 0;
  private callId: number | undefined;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get inProgress(): boolean {
    return this.callId !== undefined;
  }

  get bufferedBytes(): number {
    return this.length;
  }

  reset(): void {
    this.parts = [];
    this.length = 0;
    this.callId = undefined;
  }

  /** Adds one fragment's stub. The stub view is copied only when the call spans fragments. */
  add(callId: number, flags: number, stub: Uint8Array): AssembleResult {
    const first = (flags & PfcFlag.FIRST_FRAG) !== 0;
    const last = (flags & PfcFlag.LAST_FRAG) !== 0;
    if (this.callId === undefined) {
      if (!first) {
        return this.fail('bad-fragment', `Call ${callId}: a fragment without PFC_FIRST_FRAG`);
      }
    } else if (first || callId !== this.callId) {
      return this.fail(
        'bad-fragment',
        `Call ${callId} started while call ${this.callId} was still being reassembled`,
      );
    }
    if (this.length + stub.length > this.maxBytes) {
      return this.fail('too-large', `Call ${callId}: the stub exceeds ${this.maxBytes} bytes`);
    }
    if (first && last) return { status: 'complete', stub };
    this.callId = callId;
    this.parts.push(stub.slice()); // the framer's view dies with the chunk: keep a copy
    this.length += stub.length;
    if (!last) return { status: 'more' };
    const whole = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      whole.set(part, at);
      at += part.length;
    }
    this.reset();
    return { status: 'complete', stub: whole };
  }

  private fail(code: string, message: string): AssembleResult {
    this.reset();
    return { status: 'failed', failure: decodeFailed(code, message).failure };
  }
}
