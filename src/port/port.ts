import { BufferPool } from '../bytes/index.js';
import type { PendingReceive, ReceiveCompletion, Receiver } from '../receive/index.js';
import { NetrxError, type Clock, type Timer } from '../runtime/index.js';
import { PortEvent } from './port-event.js';
import {
  INFINITE,
  type PortHandle,
  type PortOptions,
  type PortReceiveOptions,
  type PortStats,
  type RetrieveResult,
} from './port-types.js';
import { TimeoutSignal } from './timeout-signal.js';
import type { TraceProvider } from '../trace/index.js';
import { PORT_PROVIDER, PortEventDescriptor } from './events.js';
import { RasError, rasError } from './ras-errors.js';
import type { CommSettings, PortTransport } from './transport.js';
import { expectOn, type ExpectMatch, type ExpectOptions, type ExpectPattern } from './expect.js';
import { latin1Bytes } from './latin1.js';
import { PortInput } from './port-input.js';

interface Posted {
  readonly buffer: Uint8Array;
  readonly event: PortEvent;
  readonly op: PendingReceive | undefined;
  /** A completion made by the port itself (bytes given back with `unread`). */
  readonly immediate: ReceiveCompletion | undefined;
  readonly timer: Timer | undefined;
  readonly abort: TimeoutSignal | undefined;
}

/**
 * A port: a byte stream with RAS's asynchronous buffer API on top (seed 000,
 * see index.ts) and an idiomatic async layer beside it, both on one
 * `Receiver` so their bytes come out in arrival order. This file holds the
 * port's lifecycle and both APIs; the input side (queue bound, flow control,
 * bytes given back) is `PortInput` in port-input.ts.
 */
export class Port {
  readonly name: string;
  /** The `hPort` this port answers to in the RAS callbacks. */
  readonly handle: PortHandle;
  private readonly clock: Clock;
  private readonly pool: BufferPool;
  private readonly transport: PortTransport;
  private readonly input: PortInput;
  /** The input's receiver, which both APIs read from. */
  private readonly receiver: Receiver;
  /** @internal The `netrx-port` provider, when a registry was given (the chat runner writes to it). */
  readonly trace: TraceProvider | undefined;
  private posted: Posted | undefined;
  private closed = false;
  private disconnectCause: NetrxError = rasError(
    'ERROR_PORT_DISCONNECTED',
    'The port was disconnected',
  );
  private settings: CommSettings = { parity: 0, stopBits: 0, byteSize: 8 };
  private counters = { bytesReceived: 0, bytesSent: 0, timeouts: 0, refusedReceives: 0 };

  constructor(transport: PortTransport, options: PortOptions) {
    this.name = options.name ?? 'port';
    this.handle = Object.freeze({ name: this.name });
    this.clock = options.clock;
    this.pool = options.pool ?? new BufferPool({ bufferSize: 1500, capacity: 16 });
    this.transport = transport;
    this.trace = options.trace?.register(PORT_PROVIDER);
    this.input = new PortInput({
      clock: options.clock,
      maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024,
      transport,
      trace: this.trace,
      name: this.name,
    });
    this.receiver = this.input.receiver;
    this.trace?.emit(PortEventDescriptor.opened, { port: this.name });
    transport.open({
      data: (bytes) => this.onData(bytes),
      end: (cause) => this.onEnd(cause),
    });
  }

  /** False once `close()` was called; every RAS call then fails with 601. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** The cause once the line went away (queued bytes may still be readable). */
  get disconnectError(): NetrxError | undefined {
    return this.receiver.isDisconnected ? this.disconnectCause : undefined;
  }

  get commSettings(): CommSettings {
    return this.settings;
  }

  // ---- RAS custom-scripting calls (RasGetBuffer … RasRetrieveBuffer) ----

  /** `RasGetBuffer`: a pooled buffer of at most the pool's size (1500); its `length` is `*pdwSize`. */
  getBuffer(requestedSize?: number): Uint8Array<ArrayBuffer> {
    this.checkOpen('get a buffer');
    return this.pool.get(requestedSize);
  }

  /**
   * `RasFreeBuffer`. Allowed after close and after a disconnect, so cleanup
   * never fails; refused (616) while the buffer is posted for a receive that
   * has not been retrieved, so the port never writes into a freed buffer.
   */
  freeBuffer(buffer: Uint8Array): void {
    if (this.posted !== undefined && sameStart(this.posted.buffer, buffer)) {
      throw rasError(
        'ERROR_ASYNC_REQUEST_PENDING',
        `Cannot free the buffer: a receive on ${this.name} holds it until retrieveBuffer`,
      );
    }
    this.pool.free(buffer);
  }

  /** `RasSendBuffer`: sends the first `size` bytes of a pooled buffer; the buffer is reusable at once. */
  sendBuffer(buffer: Uint8Array, size: number = buffer.length): void {
    this.checkOpen('send');
    this.pool.check(buffer, 'send');
    if (!Number.isInteger(size) || size < 0 || size > buffer.length) {
      throw rasError(
        'ERROR_BUFFER_INVALID',
        `Cannot send ${size} bytes from a buffer of ${buffer.length}`,
      );
    }
    this.write(buffer.subarray(0, size));
  }

  /**
   * `RasReceiveBuffer`: posts a receive into `buffer` and returns at once. The
   * event (reset first) is set when bytes are there, when `timeoutMs` passes
   * (0 polls; `INFINITE` or `Infinity` waits forever) or when the line goes
   * away; then call `retrieveBuffer`. One receive at a time, from this call to
   * its `retrieveBuffer`: another fails with 616.
   */
  receiveBuffer(
    buffer: Uint8Array,
    timeoutMs: number,
    event: PortEvent = new PortEvent(),
  ): PortEvent {
    this.checkOpen('receive');
    this.pool.check(buffer, 'receive into');
    if (!(timeoutMs >= 0)) {
      throw new RangeError(`A receive timeout must be >= 0 ms: got ${timeoutMs}`);
    }
    if (buffer.length === 0) {
      throw rasError('ERROR_BUFFER_INVALID', 'Cannot receive into an empty buffer');
    }
    this.checkNothingPosted();
    event.reset();
    const leftover = this.input.takeLeftover(buffer.length);
    if (leftover !== undefined) {
      buffer.set(leftover);
      const immediate: ReceiveCompletion = {
        status: 'data',
        data: buffer.subarray(0, leftover.length),
        meta: undefined,
        more: this.input.hasLeftover,
      };
      this.posted = { buffer, event, op: undefined, immediate, timer: undefined, abort: undefined };
      event.set();
      return event;
    }
    const forever = timeoutMs === INFINITE || timeoutMs === Infinity;
    // Every waiting receive gets a signal, so a timer or cancelReceive can end it.
    const abort = timeoutMs === 0 ? undefined : new TimeoutSignal();
    let op: PendingReceive;
    try {
      op = this.receiver.receive({
        buffer,
        timeoutMs: timeoutMs === 0 ? 0 : undefined,
        signal: abort?.asSignal(),
      });
    } catch (error) {
      // An idiomatic receive() is outstanding: the Receiver refuses with 616 too.
      this.countRefusal(error);
      throw error;
    }
    let timer: Timer | undefined;
    if (abort !== undefined && !forever && op.isPending) {
      timer = this.clock.setTimer(timeoutMs, () => {
        abort.abort();
        this.signalPosted();
      });
    }
    this.posted = { buffer, event, op, immediate: undefined, timer, abort };
    this.signalPosted();
    return event;
  }

  /**
   * `RasRetrieveBuffer`: the outcome of the posted receive. `buffer` may be the
   * posted one (the usual case) or any other buffer of the pool, which gets a
   * copy. While the receive is still pending it reports `PENDING` (600) and
   * keeps it posted, so polling is safe; otherwise the receive is done and a
   * new one may be posted.
   */
  retrieveBuffer(buffer: Uint8Array): RetrieveResult {
    this.checkOpen('retrieve');
    this.pool.check(buffer, 'retrieve into');
    const posted = this.posted;
    if (posted === undefined) {
      throw rasError(
        'ERROR_INVALID_PARAMETER',
        `Cannot retrieve on ${this.name}: no receive is posted`,
      );
    }
    const completion = posted.immediate ?? posted.op?.result;
    if (completion === undefined) {
      return {
        error: RasError.PENDING,
        size: 0,
        data: buffer.subarray(0, 0),
        cause: rasError('PENDING', 'The receive is still pending'),
      };
    }
    switch (completion.status) {
      case 'data': {
        const size = completion.data.length;
        if (!sameStart(buffer, posted.buffer)) {
          if (buffer.length < size) {
            return {
              error: RasError.ERROR_BUFFER_TOO_SMALL,
              size: 0,
              data: buffer.subarray(0, 0),
              cause: rasError(
                'ERROR_BUFFER_TOO_SMALL',
                `${size} bytes were received but the buffer holds ${buffer.length}`,
              ),
            };
          }
          // A different buffer than the posted one: the bytes must move (a deliberate copy).
          buffer.set(completion.data);
        }
        this.finishPosted();
        return { error: 0, size, data: buffer.subarray(0, size) };
      }
      case 'timeout':
      case 'aborted': {
        this.finishPosted();
        this.counters.timeouts++;
        return {
          error: RasError.ERROR_REQUEST_TIMEOUT,
          size: 0,
          data: buffer.subarray(0, 0),
          cause: rasError('ERROR_REQUEST_TIMEOUT', `No data on ${this.name} before the timeout`),
        };
      }
      case 'disconnected': {
        this.finishPosted();
        return {
          error: completion.error.number ?? RasError.ERROR_PORT_DISCONNECTED,
          size: 0,
          data: buffer.subarray(0, 0),
          cause: completion.error,
        };
      }
      default:
        throw new Error(`unexpected completion ${completion.status}`);
    }
  }

  /**
   * `RasSetCommSettings`: validates and records line settings and passes them
   * to a transport that has a line; a transport without one (TCP, a process)
   * accepts them unchanged, as a modem-less RAS port does.
   */
  setCommSettings(settings: CommSettings): void {
    this.checkOpen('change line settings');
    const { parity, stopBits, byteSize } = settings;
    if (![0, 1, 2, 3, 4].includes(parity) || ![0, 1, 2].includes(stopBits)) {
      throw new RangeError(`Invalid line settings: parity ${parity}, stop bits ${stopBits}`);
    }
    if (![5, 6, 7, 8].includes(byteSize)) {
      throw new RangeError(`Invalid line settings: byte size ${byteSize}`);
    }
    this.transport.setCommSettings?.(settings);
    this.settings = { parity, stopBits, byteSize };
  }

  // ---- the idiomatic layer ----

  /** Sends bytes (or a string, one byte per char code: latin1) of any length in one write. */
  send(data: Uint8Array | string): void {
    this.checkOpen('send');
    this.write(typeof data === 'string' ? latin1Bytes(data) : data);
  }

  /** A line break, where the transport has one. */
  sendBreak(): void {
    this.checkOpen('send a break');
    this.transport.sendBreak?.();
  }

  /**
   * The next bytes received (a view, no copy). Rejects with the disconnect
   * cause (619 by default) once the line is gone and drained,
   * `ERROR_REQUEST_TIMEOUT` (638) after `timeoutMs`, 616 while another receive
   * is outstanding, 601 after close, or the signal's reason.
   */
  async receive(options: PortReceiveOptions = {}): Promise<Uint8Array> {
    this.checkOpen('receive');
    this.checkNothingPosted();
    const leftover = this.input.takeLeftover(Infinity);
    if (leftover !== undefined) return leftover;
    let op: PendingReceive;
    try {
      op = this.receiver.receive(options);
    } catch (error) {
      this.countRefusal(error);
      throw error;
    }
    const completion = op.result ?? (await op.done);
    this.input.maybeResume();
    switch (completion.status) {
      case 'data':
        return completion.data;
      case 'timeout':
        this.counters.timeouts++;
        throw rasError('ERROR_REQUEST_TIMEOUT', `No data on ${this.name} before the timeout`);
      case 'disconnected':
        throw this.closed
          ? rasError('ERROR_INVALID_PORT_HANDLE', `${this.name} was closed`, completion.error)
          : completion.error;
      case 'aborted':
        throw completion.reason;
      default:
        throw new Error(`unexpected completion ${completion.status}`);
    }
  }

  /** Chunks as they arrive until the line goes away (the iteration then ends quietly). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (error) {
        if (this.receiver.isDisconnected && error === this.disconnectCause) return;
        throw error;
      }
    }
  }

  /**
   * Gives bytes back to the front of the input (an expect that matched in the
   * middle of a chunk keeps the rest this way). At most one run is held: a
   * second `unread` before the first was read is joined to it.
   */
  unread(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.input.unread(bytes);
  }

  /** Waits for the first of `patterns` in the input (see `expectOn`); the rest stays readable. */
  expect(patterns: readonly ExpectPattern[], options?: ExpectOptions): Promise<ExpectMatch> {
    return expectOn(this, patterns, options);
  }

  /**
   * Withdraws the posted RAS receive, if any, as if it had been retrieved: its
   * buffer may then be freed. Bytes not yet delivered stay queued.
   */
  cancelReceive(): void {
    const posted = this.posted;
    if (posted === undefined) return;
    posted.abort?.abort();
    this.finishPosted();
  }

  /** @internal The injected clock's reading (expect measures its deadline with it). */
  clockNow(): number {
    return this.clock.now();
  }

  /** Closes the transport; a pending receive completes, and every later RAS call fails with 601. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.disconnectCause = rasError('ERROR_USER_DISCONNECTION', `${this.name} was closed`);
    this.input.close(this.disconnectCause);
    this.signalPosted();
    this.posted?.timer?.cancel();
    this.posted = undefined;
    this.transport.close();
    this.trace?.emit(PortEventDescriptor.closed, {
      port: this.name,
      bytesReceived: BigInt(this.counters.bytesReceived),
      bytesSent: BigInt(this.counters.bytesSent),
    });
  }

  stats(): PortStats {
    return {
      ...this.counters,
      pauses: this.input.pauses,
      ...this.input.stats(),
      refusedReceives: this.counters.refusedReceives,
    };
  }

  // ---- internals ----

  private onData(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    this.counters.bytesReceived += bytes.length;
    if (this.input.data(bytes)) this.signalPosted();
  }

  private onEnd(cause?: NetrxError): void {
    if (this.closed || this.receiver.isDisconnected || this.input.isEnding) return;
    this.disconnectCause =
      cause ?? rasError('ERROR_PORT_DISCONNECTED', `${this.name} was disconnected`);
    this.trace?.emit(PortEventDescriptor.disconnected, {
      port: this.name,
      error: this.disconnectCause.number ?? RasError.ERROR_PORT_DISCONNECTED,
      message: this.disconnectCause.message,
    });
    // Held bytes go first: the disconnect is reported once they are queued.
    this.input.end(this.disconnectCause);
    this.signalPosted();
  }

  private write(bytes: Uint8Array): void {
    // Bytes still queued may be read after a disconnect, but nothing can be sent.
    if (this.receiver.isDisconnected) throw this.disconnectCause;
    this.counters.bytesSent += bytes.length;
    this.transport.write(bytes);
  }

  private signalPosted(): void {
    const posted = this.posted;
    if (posted === undefined || posted.event.isSet) return;
    if (posted.immediate !== undefined || posted.op?.result !== undefined) {
      posted.timer?.cancel();
      posted.event.set();
    }
  }

  private finishPosted(): void {
    this.posted?.timer?.cancel();
    this.posted = undefined;
    this.input.maybeResume();
  }

  private checkOpen(action: string): void {
    if (this.closed) {
      throw rasError('ERROR_INVALID_PORT_HANDLE', `Cannot ${action}: ${this.name} is closed`);
    }
  }

  private checkNothingPosted(): void {
    if (this.posted !== undefined) {
      this.counters.refusedReceives++;
      this.trace?.emit(PortEventDescriptor.receiveRefused, {
        port: this.name,
        error: RasError.ERROR_ASYNC_REQUEST_PENDING,
      });
      throw rasError(
        'ERROR_ASYNC_REQUEST_PENDING',
        `Cannot post a receive on ${this.name}: the last one has not been retrieved`,
      );
    }
  }

  private countRefusal(error: unknown): void {
    if (error instanceof NetrxError && error.code === 'ERROR_ASYNC_REQUEST_PENDING') {
      this.counters.refusedReceives++;
    }
  }
}

/** True when two views start at the same byte of the same memory (RAS compares pointers). */
function sameStart(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset;
}
