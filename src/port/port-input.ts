/**
 * A port's input side: the bytes received, from the transport to a reader.
 * It owns the `Receiver` both of the port's APIs read from, the run given
 * back by `unread` (served first), and flow control: what does not fit under
 * `maxQueuedBytes` is held as one run while the transport is paused, and a
 * disconnect is reported only once held bytes are queued. `Port` (port.ts)
 * keeps the RAS calls, the idiomatic API and the port's lifecycle.
 */
import { Receiver } from '../receive/index.js';
import type { Clock, NetrxError } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import { PortEventDescriptor } from './events.js';
import type { PortTransport } from './transport.js';

/** Chunks the receive queue holds (a slow line may deliver a byte per chunk). */
const MAX_QUEUED_RUNS = 4096;

export interface PortInputOptions {
  readonly clock: Clock;
  readonly maxQueuedBytes: number;
  readonly transport: PortTransport;
  readonly trace: TraceProvider | undefined;
  /** The port's name, for trace events. */
  readonly name: string;
}

export class PortInput {
  readonly receiver: Receiver;
  private readonly maxQueuedBytes: number;
  private readonly transport: PortTransport;
  private readonly trace: TraceProvider | undefined;
  private readonly name: string;
  /** Bytes given back by `unread` (an expect that matched mid-chunk); served first. */
  private leftover: Uint8Array | undefined;
  private paused = false;
  /** Received bytes past the queue bound, held while the transport is paused. */
  private overflow: Uint8Array | undefined;
  private refusedBytes = { chunks: 0, bytes: 0 };
  /** The disconnect to report once the held bytes are queued. */
  private pendingEnd: NetrxError | undefined;
  /** Times the transport was paused. */
  pauses = 0;

  constructor(options: PortInputOptions) {
    this.maxQueuedBytes = options.maxQueuedBytes;
    this.transport = options.transport;
    this.trace = options.trace;
    this.name = options.name;
    this.receiver = new Receiver({
      clock: options.clock,
      framing: 'stream',
      maxQueuedBytes: this.maxQueuedBytes,
      maxQueuedItems: MAX_QUEUED_RUNS,
    });
  }

  /** True while a disconnect waits for held bytes to be queued (the receiver does not know yet). */
  get isEnding(): boolean {
    return this.pendingEnd !== undefined;
  }

  /** True while a run given back by `unread` waits to be read. */
  get hasLeftover(): boolean {
    return this.leftover !== undefined;
  }

  /**
   * Takes bytes the transport delivered. Returns false when they were refused:
   * the transport ignored `pause()` and nothing may pass the held bytes.
   */
  data(bytes: Uint8Array): boolean {
    if (this.overflow !== undefined) {
      this.refusedBytes.chunks++;
      this.refusedBytes.bytes += bytes.length;
      this.trace?.emit(PortEventDescriptor.bytesRefused, { port: this.name, bytes: bytes.length });
      return false;
    }
    this.admit(bytes);
    return true;
  }

  /** The line went away with `cause`: held bytes go first, the disconnect is reported after them. */
  end(cause: NetrxError): void {
    if (this.overflow !== undefined) this.pendingEnd = cause;
    else this.receiver.disconnect(cause);
  }

  /** The port was closed: the run given back is dropped and every receive ends with `cause`. */
  close(cause: NetrxError): void {
    this.leftover = undefined;
    this.receiver.disconnect(cause);
  }

  /**
   * Gives bytes back to the front of the input. At most one run is held: a
   * second `unread` before the first was read is joined to it.
   */
  unread(bytes: Uint8Array): void {
    if (this.leftover === undefined) this.leftover = bytes;
    else {
      // Rare (two unreads in a row): join them, a deliberate copy.
      const joined = new Uint8Array(bytes.length + this.leftover.length);
      joined.set(bytes);
      joined.set(this.leftover, bytes.length);
      this.leftover = joined;
    }
  }

  /** Up to `max` bytes of the run given back by `unread`, if there is one. */
  takeLeftover(max: number): Uint8Array | undefined {
    const leftover = this.leftover;
    if (leftover === undefined) return undefined;
    if (leftover.length <= max) {
      this.leftover = undefined;
      return leftover;
    }
    this.leftover = leftover.subarray(max);
    return leftover.subarray(0, max);
  }

  /** After a read: queues held bytes that now fit, and resumes the transport below a quarter of the bound. */
  maybeResume(): void {
    const overflow = this.overflow;
    if (overflow !== undefined && this.receiver.stats().queuedBytes < this.maxQueuedBytes) {
      this.overflow = undefined;
      this.admit(overflow);
      if (this.overflow === undefined && this.pendingEnd !== undefined) {
        const cause = this.pendingEnd;
        this.pendingEnd = undefined;
        this.receiver.disconnect(cause);
      }
    }
    if (
      this.paused &&
      this.overflow === undefined &&
      this.receiver.stats().queuedBytes < this.maxQueuedBytes / 4
    ) {
      this.paused = false;
      this.transport.resume?.();
    }
  }

  /** The input's part of `PortStats`. */
  stats(): { queuedBytes: number; dropped: number; droppedBytes: number } {
    const receiver = this.receiver.stats();
    return {
      queuedBytes:
        receiver.queuedBytes + (this.leftover?.length ?? 0) + (this.overflow?.length ?? 0),
      dropped: receiver.dropped + this.refusedBytes.chunks,
      droppedBytes: receiver.droppedBytes + this.refusedBytes.bytes,
    };
  }

  /**
   * Queues received bytes. What does not fit under `maxQueuedBytes` is held as
   * one run (the transport is paused until reads make room), so a transport
   * that honours `pause` loses nothing and the port holds at most the bound
   * plus one transport chunk.
   */
  private admit(bytes: Uint8Array): void {
    const { outstanding, queuedBytes, queuedItems } = this.receiver.stats();
    const room = queuedItems >= MAX_QUEUED_RUNS ? 0 : this.maxQueuedBytes - queuedBytes;
    // A waiting receive takes any size; otherwise only what fits under the bounds.
    if (outstanding > 0 || bytes.length <= room) {
      this.receiver.push(bytes, undefined);
    } else {
      if (room > 0) this.receiver.push(bytes.subarray(0, room), undefined);
      this.overflow = room > 0 ? bytes.subarray(room) : bytes;
    }
    if (!this.paused && this.transport.pause !== undefined) {
      if (
        this.overflow !== undefined ||
        this.receiver.stats().queuedBytes >= this.maxQueuedBytes / 2
      ) {
        this.paused = true;
        this.pauses++;
        this.transport.pause();
        this.trace?.emit(PortEventDescriptor.paused, {
          port: this.name,
          queuedBytes: this.receiver.stats().queuedBytes,
        });
      }
    }
  }
}
