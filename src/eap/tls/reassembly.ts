/**
 * TLS message reassembly and fragmentation for the EAP-TLS framing (RFC 5216
 * §2.1.5). Received fragments are collected until one without M arrives;
 * every length is checked as it comes: a TLS Message Length above the bound,
 * one that contradicts the data already received, or one that changes
 * between fragments is a lie and ends the reassembly with a reason (the
 * method then discards or fails; nothing throws, nothing grows past the
 * bound). Fragmenting cuts an outgoing TLS message to the send capacity,
 * L and the total length on the first fragment, M on all but the last.
 */
import { concat } from '../../bytes/index.js';
import {
  encodeTlsTypeData,
  TlsFlag,
  TLS_FRAMING_MAX_OVERHEAD,
  type TlsTypeData,
} from './framing.js';

/** Default bound on one reassembled TLS message (wpa_supplicant's limit too). */
export const DEFAULT_MAX_TLS_MESSAGE_LENGTH = 65536;
/** Most fragments one message may come in: a bound on work against 1-byte fragments. */
export const DEFAULT_MAX_TLS_FRAGMENTS = 256;

export interface TlsReassemblerOptions {
  /** Largest TLS message accepted, bytes; default 65536. */
  readonly maxMessageLength?: number;
  /** Most fragments per message; default 256. */
  readonly maxFragments?: number;
}

export type TlsReassemblyResult =
  /** A fragment with M: keep it, acknowledge it. */
  | { readonly kind: 'fragment'; readonly received: number }
  /** The whole message (a fresh buffer or, unfragmented, a copy: it outlives the packet). */
  | { readonly kind: 'message'; readonly data: Uint8Array<ArrayBuffer> }
  | { readonly kind: 'error'; readonly reason: string };

export class TlsReassembler {
  readonly maxMessageLength: number;
  readonly maxFragments: number;
  private chunks: Uint8Array[] = [];
  private received = 0;
  private declared: number | undefined;

  constructor(options: TlsReassemblerOptions = {}) {
    const max = options.maxMessageLength ?? DEFAULT_MAX_TLS_MESSAGE_LENGTH;
    const fragments = options.maxFragments ?? DEFAULT_MAX_TLS_FRAGMENTS;
    if (!Number.isInteger(max) || max < 1 || max > 0xffffffff) {
      throw new RangeError(`maxMessageLength must be 1..2^32-1: got ${max}`);
    }
    if (!Number.isInteger(fragments) || fragments < 1) {
      throw new RangeError(`maxFragments must be a positive whole number: got ${fragments}`);
    }
    this.maxMessageLength = max;
    this.maxFragments = fragments;
  }

  /** Bytes held for the message in progress (never more than `maxMessageLength`). */
  get buffered(): number {
    return this.received;
  }

  /** Whether a fragmented message is in progress. */
  get inProgress(): boolean {
    return this.chunks.length > 0;
  }

  reset(): void {
    this.chunks = [];
    this.received = 0;
    this.declared = undefined;
  }

  /** One received Type-Data that carries TLS data (ACKs and Starts are the method's business). */
  push(fragment: TlsTypeData): TlsReassemblyResult {
    const result = this.accept(fragment);
    if (result.kind === 'error') this.reset();
    return result;
  }

  private accept(fragment: TlsTypeData): TlsReassemblyResult {
    const { data, more, totalLength } = fragment;
    if (totalLength !== undefined) {
      if (totalLength > this.maxMessageLength) {
        return {
          kind: 'error',
          reason: `TLS Message Length ${totalLength} exceeds the limit of ${this.maxMessageLength}`,
        };
      }
      if (this.declared !== undefined && totalLength !== this.declared) {
        return {
          kind: 'error',
          reason: `TLS Message Length changed from ${this.declared} to ${totalLength} between fragments`,
        };
      }
      if (this.declared === undefined && this.received > 0 && totalLength < this.received) {
        return {
          kind: 'error',
          reason: `TLS Message Length ${totalLength} is below the ${this.received} bytes already received`,
        };
      }
      this.declared = totalLength;
    }
    if (more && data.length === 0) {
      return { kind: 'error', reason: 'a fragment with M set carries no data' };
    }
    const received = this.received + data.length;
    const limit = this.declared ?? this.maxMessageLength;
    if (received > limit) {
      return {
        kind: 'error',
        reason:
          this.declared === undefined
            ? `TLS message exceeds the limit of ${this.maxMessageLength} bytes`
            : `fragments carry ${received} bytes, more than the TLS Message Length ${this.declared}`,
      };
    }
    if (more) {
      if (this.declared !== undefined && received === this.declared) {
        return {
          kind: 'error',
          reason: `M set although the TLS Message Length ${this.declared} is reached`,
        };
      }
      if (this.chunks.length + 1 >= this.maxFragments) {
        return { kind: 'error', reason: `TLS message in more than ${this.maxFragments} fragments` };
      }
      // Deliberate copy: the fragment is a view of a packet the framework reuses.
      this.chunks.push(data.slice());
      this.received = received;
      return { kind: 'fragment', received };
    }
    if (this.declared !== undefined && received !== this.declared) {
      return {
        kind: 'error',
        reason: `last fragment ends at ${received} bytes, TLS Message Length said ${this.declared}`,
      };
    }
    const message = this.chunks.length === 0 ? data.slice() : concat([...this.chunks, data]);
    this.reset();
    return { kind: 'message', data: message };
  }
}

export interface TlsFragmenterOptions {
  /** Version bits (PEAP/TTLS) OR-ed into every Flags octet. */
  readonly versionBits?: number;
  /** Put L and the length on an unfragmented message too (FreeRADIUS `include_length`); default true. */
  readonly lengthOnUnfragmented?: boolean;
}

/** Cuts one outgoing TLS message into Type-Data fragments, one per `next` call. */
export class TlsFragmenter {
  private readonly message: Uint8Array;
  private readonly versionBits: number;
  private readonly lengthOnUnfragmented: boolean;
  private offset = 0;
  private started = false;

  constructor(message: Uint8Array, options: TlsFragmenterOptions = {}) {
    this.message = message;
    this.versionBits = (options.versionBits ?? 0) & 0x07;
    this.lengthOnUnfragmented = options.lengthOnUnfragmented ?? true;
  }

  /** Whether the last fragment has been produced. */
  get done(): boolean {
    return this.started && this.offset >= this.message.length;
  }

  get total(): number {
    return this.message.length;
  }

  /**
   * The next fragment as Type-Data of at most `capacity` bytes (the send
   * capacity minus the EAP header). RangeError when `capacity` cannot carry
   * the framing and one data byte.
   */
  next(capacity: number): { readonly typeData: Uint8Array<ArrayBuffer>; readonly more: boolean } {
    if (capacity < TLS_FRAMING_MAX_OVERHEAD + 1) {
      throw new RangeError(
        `a TLS fragment needs at least ${TLS_FRAMING_MAX_OVERHEAD + 1} bytes of Type-Data: got ${capacity}`,
      );
    }
    const first = !this.started;
    this.started = true;
    const remaining = this.message.length - this.offset;
    if (first) {
      const header = this.lengthOnUnfragmented ? 5 : 1;
      if (remaining + header <= capacity) {
        this.offset = this.message.length;
        return {
          typeData: encodeTlsTypeData(
            this.versionBits,
            this.lengthOnUnfragmented ? this.message.length : undefined,
            this.message,
          ),
          more: false,
        };
      }
      const chunk = capacity - TLS_FRAMING_MAX_OVERHEAD;
      this.offset = chunk;
      return {
        typeData: encodeTlsTypeData(
          this.versionBits | TlsFlag.MoreFragments,
          this.message.length,
          this.message.subarray(0, chunk),
        ),
        more: true,
      };
    }
    const chunk = Math.min(remaining, capacity - 1);
    const more = remaining > chunk;
    const data = this.message.subarray(this.offset, this.offset + chunk);
    this.offset += chunk;
    return {
      typeData: encodeTlsTypeData(
        this.versionBits | (more ? TlsFlag.MoreFragments : 0),
        undefined,
        data,
      ),
      more,
    };
  }
}
