/**
 * RADIUS over a byte stream (RFC 6613 §2.1, used by RadSec, RFC 6614): a
 * TCP or TLS connection carries packets back to back, each delimited only
 * by its own Length field (octets 2–3). The framer cuts the stream into
 * packets, sans-I/O: chunks in through `push`, whole packets out through
 * the callback, in order.
 *
 * Bounded: it holds at most one partial packet, in one buffer of
 * `maxPacketLength` octets allocated once. A Length below 20 or above
 * `maxPacketLength` cannot be resynchronised on a stream (there is no
 * packet boundary to look for), so the framer fails for good and the
 * transport closes the connection (RFC 6613 §2.6.4: "the connection MUST
 * be closed"). It never throws on bad bytes.
 *
 * Zero-copy where it can be: a packet that lies whole inside one chunk is
 * delivered as a view of that chunk; only a packet split across chunks is
 * copied (into the framer's buffer, reused for the next one). Packets are
 * views: the callee copies what it keeps (the RADIUS server does).
 */
import { RADIUS_HEADER_LENGTH, RADIUS_MAX_LENGTH } from './packet.js';

/** Why a stream was given up; the transport closes the connection with it. */
export type RadiusStreamFailure =
  | { readonly code: 'length-too-short'; readonly length: number }
  | { readonly code: 'length-too-long'; readonly length: number; readonly max: number };

export interface RadiusStreamFramerOptions {
  /**
   * The largest packet accepted, 20–65535; default 4096 (RFC 2865 §3, as
   * RFC 6613 keeps it). A longer Length fails the stream.
   */
  readonly maxPacketLength?: number;
}

export const RADIUS_STREAM_DEFAULTS = { maxPacketLength: RADIUS_MAX_LENGTH } as const;

export class RadiusStreamFramer {
  private readonly max: number;
  /** The partial packet (its first `filled` octets), allocated on the first split packet. */
  private buffer: Uint8Array | undefined;
  private filled = 0;
  /** The partial packet's Length once its header is in, else 0. */
  private expected = 0;
  private failed: RadiusStreamFailure | undefined;
  /** Whole packets delivered. */
  packets = 0;
  /** Packets delivered from the framer's buffer (split across chunks): copied, not viewed. */
  copied = 0;

  constructor(options: RadiusStreamFramerOptions = {}) {
    const max = options.maxPacketLength ?? RADIUS_STREAM_DEFAULTS.maxPacketLength;
    if (!Number.isInteger(max) || max < RADIUS_HEADER_LENGTH || max > 65535) {
      throw new RangeError(`maxPacketLength must be an integer 20..65535, got ${String(max)}`);
    }
    this.max = max;
  }

  /** Why the stream failed, or undefined while it is healthy. */
  get failure(): RadiusStreamFailure | undefined {
    return this.failed;
  }

  /** Octets of a partial packet waiting for the rest (at most `maxPacketLength`). */
  get buffered(): number {
    return this.filled;
  }

  /**
   * Feeds one chunk; calls `onPacket` for every packet it completes, in
   * order. Returns the failure when the stream is (or already was) broken;
   * no packet after a bad Length is delivered.
   */
  push(chunk: Uint8Array, onPacket: (packet: Uint8Array) => void): RadiusStreamFailure | undefined {
    if (this.failed !== undefined) return this.failed;
    let at = 0;
    const n = chunk.length;
    // Finish the partial packet first.
    if (this.filled > 0) {
      const buffer = this.buffer as Uint8Array;
      if (this.expected === 0) {
        // Fewer than 4 octets so far: complete the header.
        const take = Math.min(4 - this.filled, n);
        buffer.set(chunk.subarray(0, take), this.filled);
        this.filled += take;
        at = take;
        if (this.filled < 4) return undefined;
        const failure = this.check(((buffer[2] as number) << 8) | (buffer[3] as number));
        if (failure !== undefined) return failure;
      }
      const take = Math.min(this.expected - this.filled, n - at);
      buffer.set(chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled < this.expected) return undefined;
      const packet = buffer.subarray(0, this.expected);
      this.filled = 0;
      this.expected = 0;
      this.packets++;
      this.copied++;
      onPacket(packet);
    }
    // Whole packets straight from the chunk.
    while (n - at >= 4) {
      const length = ((chunk[at + 2] as number) << 8) | (chunk[at + 3] as number);
      const failure = this.check(length);
      if (failure !== undefined) return failure;
      if (n - at < length) break;
      this.expected = 0;
      this.packets++;
      onPacket(chunk.subarray(at, at + length));
      at += length;
      if (this.failed !== undefined) return this.failed; // the callee may have failed us (close)
    }
    if (at < n) {
      // Deliberate copy: the chunk belongs to the transport, the rest arrives later.
      this.buffer ??= new Uint8Array(this.max);
      this.buffer.set(chunk.subarray(at), 0);
      this.filled = n - at;
      // `expected` stays set when the header was read (check() set it), else 0.
      if (this.filled < 4) this.expected = 0;
    } else {
      this.expected = 0;
    }
    return undefined;
  }

  /** Stops delivering: every later push returns `failure` (the transport closed the stream). */
  fail(failure: RadiusStreamFailure): void {
    this.failed ??= failure;
    this.filled = 0;
    this.expected = 0;
  }

  private check(length: number): RadiusStreamFailure | undefined {
    if (length < RADIUS_HEADER_LENGTH) {
      this.fail({ code: 'length-too-short', length });
      return this.failed;
    }
    if (length > this.max) {
      this.fail({ code: 'length-too-long', length, max: this.max });
      return this.failed;
    }
    this.expected = length;
    return undefined;
  }
}
