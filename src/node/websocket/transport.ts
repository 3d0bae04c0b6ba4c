/**
 * Runs a WebSocket handle's action loop over a Node stream: a `net.Socket`
 * (HTTP/1.1 upgrade) or any other Duplex, such as the `Http2Stream` of an
 * RFC 8441 extended CONNECT. Only `setNoDelay` is socket-specific (looked
 * up, not assumed); `cork`/`uncork`, `pause`/`resume` and `writableLength`
 * are Duplex methods, so the write batching is the same on both.
 *
 *
 * Reads: every chunk the socket delivers is lent to the handle as is
 * (`completeAction(ctx, chunk)`), so a message that arrives whole in one
 * read is unmasked in place and handed out as a view of that chunk. Node
 * gives each read its own memory, so those views stay valid after the
 * callback.
 *
 * Writes: frames produced in one turn are gathered and written as one
 * batch (transport-write.ts says when and how).
 *
 * Send completions: a send with a context is reported complete only once
 * the socket's write callback ran for the bytes that carry it, so the
 * caller's memory is free when it hears (frames of a server's unmasked
 * sends are views of the caller's payload; copying them would cost a
 * memcpy per message).
 *
 * Backpressure both ways: `bufferedAmount` counts what the handle, the
 * batch and the socket still hold; reading pauses while the socket holds
 * more than `readPauseAbove` unsent bytes (a peer that sends but does not
 * read, a ping flood), and resumes on drain. `pause()` stops the flow of
 * messages (ws's `pause`).
 *
 * Fairness (deflate connections: a bounded amount of work per turn) is
 * described with its budgets in transport-limits.ts.
 */
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { WebSocketHandle } from '../../websocket/index.js';
import { listenThroughSocket } from './socket-listeners.js';
import {
  FIRST_SLICE_STEP,
  FLUSH_AT_BYTES,
  FLUSH_AT_FRAMES,
  HELD_WHILE_YIELDED,
  MAX_SLICE_STEP,
  MIN_INFLATE_SLICE,
  TURN_BUDGET_MS,
} from './transport-limits.js';
import {
  FLAG_END_OF_STREAM,
  FLAG_DRIVING,
  FLAG_SCHEDULED,
  FLAG_ENDED,
  FLAG_CLOSED,
  FLAG_GONE,
  FLAG_PAUSED,
  FLAG_SLICED,
  FLAG_YIELDED,
  FLAG_USER_PAUSED,
  FLAG_SOCKET_PAUSED,
  SLICE_SHIFT,
  SLICE_BITS,
  FLAG_PIECES,
  FLAG_INPUT_FED,
  FLAG_FLOW_CONTROLLED,
  AS_PIECES,
  NOT_AS_PIECES,
  NO_CALLBACKS,
  NO_CHUNKS,
} from './transport-flags.js';
import type { TransportEvents, TransportOptions, WriteCallback } from './transport-events.js';
import { runWhenWritten, writeBatch } from './transport-write.js';

export type { TransportEvents, TransportOptions, WriteCallback } from './transport-events.js';

export class SocketTransport {
  private outbox: Uint8Array[] = NO_CHUNKS;
  private outboxBytes = 0;
  private pendingCallbacks: WriteCallback[] = NO_CALLBACKS;
  private readContext: number | undefined;
  /** Reads that arrived while no read was outstanding (rare: made on first need). */
  private early: Uint8Array[] = NO_CHUNKS;
  /**
   * Seven booleans in one number: each boolean field would cost a connection
   * 8 bytes, and idle memory per connection is a target (see FLAG_*).
   */
  private flags = 0;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Duplex,
    readonly handle: WebSocketHandle,
    readonly events: TransportEvents,
    private readonly options: TransportOptions = {},
  ) {}

  private flag(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }

  private setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  /** Whether the application paused the connection. */
  get isPaused(): boolean {
    return this.flag(FLAG_USER_PAUSED);
  }

  /** Socket reads go on only while nobody wants them paused. */
  private updateReading(): void {
    const want =
      this.flag(FLAG_PAUSED) ||
      this.flag(FLAG_USER_PAUSED) ||
      (this.flag(FLAG_YIELDED) && this.heldBytes() > HELD_WHILE_YIELDED);
    if (want === this.flag(FLAG_SOCKET_PAUSED) || this.flag(FLAG_CLOSED)) return;
    this.setFlag(FLAG_SOCKET_PAUSED, want);
    if (want) this.socket.pause();
    else this.socket.resume();
  }

  /** Bytes read and not yet fed to the handle (`early` holds one or two chunks at most). */
  private heldBytes(): number {
    let bytes = 0;
    for (const chunk of this.early) bytes += chunk.length;
    return bytes;
  }

  /** Stops delivering messages (and reading the socket) until `resume()`. */
  pause(): void {
    if (this.isPaused) return;
    this.setFlag(FLAG_USER_PAUSED, true);
    this.updateReading();
  }

  resume(): void {
    if (!this.isPaused) return;
    this.setFlag(FLAG_USER_PAUSED, false);
    this.updateReading();
    this.drive();
  }

  private get readPauseAbove(): number {
    return this.options.readPauseAbove ?? 1024 * 1024;
  }

  private get closeTimeout(): number {
    return this.options.closeTimeout ?? 30_000;
  }

  /** Starts reading; `head` is bytes read past the handshake. */
  start(head: Uint8Array | undefined): void {
    const socket = this.socket;
    // A TCP socket sends small frames at once; an HTTP/2 stream has no Nagle of its own.
    (socket as { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true);
    // Shared listeners that find the transport on the socket, as `ws` does:
    // five closures per connection would cost more than the rest of its state.
    listenThroughSocket(socket, this);
    // Http2Stream is not exported as a class; `rstCode` is its own getter.
    if ('rstCode' in socket) this.setFlag(FLAG_FLOW_CONTROLLED, true);
    if (this.handle.negotiated.perMessageDeflate !== undefined) {
      this.setFlag(FLAG_SLICED, true);
      this.setSliceStep(FIRST_SLICE_STEP);
    }
    this.postReceive();
    if (head !== undefined && head.length > 0) this.early = [head];
    this.drive();
  }

  /**
   * Binary messages split across reads are handed out as views of those
   * reads (`buffers`), not gathered (from the message being received on).
   */
  set receivePieces(on: boolean) {
    if (on === this.flag(FLAG_PIECES)) return;
    this.setFlag(FLAG_PIECES, on);
    if (!this.flag(FLAG_CLOSED) && this.handle.state !== 'closed') {
      this.handle.setReceiveOptions(on ? AS_PIECES : NOT_AS_PIECES);
    }
  }

  private postReceive(): void {
    if (this.flag(FLAG_PIECES)) this.handle.receive(null, undefined, AS_PIECES);
    else this.handle.receive(null);
  }

  /** Bytes accepted for sending and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return (
      this.handle.queuedBytes +
      this.outboxBytes +
      (this.flag(FLAG_CLOSED) ? 0 : this.socket.writableLength)
    );
  }

  /**
   * Bytes written now would follow everything of this connection written
   * so far: nothing waits in the batch, and the socket is still ours to
   * write (a broadcast's fast path, `writeNow`).
   */
  get writesNow(): boolean {
    return this.outboxBytes === 0 && (this.flags & (FLAG_GONE | FLAG_ENDED | FLAG_CLOSED)) === 0;
  }

  /**
   * Writes shared bytes straight to the socket (only when `writesNow`): a
   * prepared frame the handle handed over (`takePrepared`), one `write`
   * of the shared buffer, no copy and no batch.
   */
  writeNow(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Runs the action loop at the end of this turn (batching sends made now). */
  schedule(): void {
    if (this.flag(FLAG_SCHEDULED) || this.flag(FLAG_DRIVING)) return;
    this.setFlag(FLAG_SCHEDULED, true);
    queueMicrotask(() => {
      this.setFlag(FLAG_SCHEDULED, false);
      this.drive();
    });
  }

  /**
   * Registers a callback to run once everything queued so far is written
   * (with an error when the socket failed or closed first).
   */
  afterFlush(callback: WriteCallback): void {
    if (this.flag(FLAG_CLOSED)) {
      callback(new Error('The socket closed before the data was written'));
      return;
    }
    if (this.pendingCallbacks === NO_CALLBACKS) this.pendingCallbacks = [];
    this.pendingCallbacks.push(callback);
  }

  /** Drops the connection now (terminate, keep-alive failure). */
  destroy(): void {
    if (!this.flag(FLAG_CLOSED)) this.socket.destroy();
  }

  /**
   * Bounds the closing handshake: `closeTimeout` ms from now the socket is
   * destroyed unless it closed first. Called by `close()` and when the
   * handshake ends; the first call arms the timer.
   */
  armCloseTimer(): void {
    if (this.closeTimer !== undefined || this.flag(FLAG_CLOSED)) return;
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.closeTimeout);
    this.closeTimer.unref();
  }

  /** @internal */
  onData(chunk: Buffer): void {
    const context = this.readContext;
    if (context === undefined || this.flags & (FLAG_SLICED | FLAG_USER_PAUSED)) {
      if (this.early === NO_CHUNKS) this.early = [];
      this.early.push(chunk);
      if (this.flag(FLAG_YIELDED)) this.updateReading();
      else if (context !== undefined) this.drive();
      return;
    }
    this.readContext = undefined;
    this.setFlag(FLAG_INPUT_FED, true);
    this.handle.completeAction(context, chunk);
    this.drive();
  }

  /** Hands the handle the next early chunk, or a slice of it on a deflate connection. */
  private feedEarly(context: number): boolean {
    const chunk = this.early[0];
    if (chunk === undefined) return false;
    this.readContext = undefined;
    this.setFlag(FLAG_INPUT_FED, true);
    // A deflate connection's reads go in slices (transport-limits.ts).
    const slice = this.flag(FLAG_SLICED) ? MIN_INFLATE_SLICE << this.sliceStep : Infinity;
    if (chunk.length > slice) {
      // `early` is an own array here (it holds a chunk), never the shared empty one.
      this.early[0] = chunk.subarray(slice);
      this.handle.completeAction(context, chunk.subarray(0, slice));
      return true;
    }
    this.early.shift();
    if (this.early.length === 0) this.early = NO_CHUNKS;
    this.handle.completeAction(context, chunk);
    return true;
  }

  private get sliceStep(): number {
    return (this.flags & SLICE_BITS) >> SLICE_SHIFT;
  }

  private setSliceStep(step: number): void {
    this.flags = (this.flags & ~SLICE_BITS) | (step << SLICE_SHIFT);
  }

  /** Past the turn's budget: smaller slices from now on, and the event loop's turn. */
  private yieldIfOverBudget(started: number): void {
    if (this.flag(FLAG_YIELDED) || performance.now() - started <= TURN_BUDGET_MS) return;
    const step = this.sliceStep;
    if (step > 0) this.setSliceStep(step - 1);
    this.yieldTurn();
  }

  /** Gives the event loop back; the rest of the input is fed after it (socket paused meanwhile). */
  private yieldTurn(): void {
    this.setFlag(FLAG_YIELDED, true);
    this.updateReading();
    setImmediate(() => {
      this.setFlag(FLAG_YIELDED, false);
      this.updateReading();
      this.drive();
    });
  }

  /** The action loop: runs until the handle has nothing more to do right now. */
  drive(): void {
    if (this.flag(FLAG_DRIVING) || this.flag(FLAG_CLOSED)) return;
    this.setFlag(FLAG_DRIVING, true);
    const handle = this.handle;
    const sliced = this.flag(FLAG_SLICED);
    const started = performance.now();
    let fedSlices = false;
    try {
      for (;;) {
        const context = this.readContext;
        if (context !== undefined && (this.flags & (FLAG_YIELDED | FLAG_USER_PAUSED)) === 0) {
          if (this.feedEarly(context)) {
            fedSlices = sliced;
            if (sliced) this.yieldIfOverBudget(started);
          } else if (this.flag(FLAG_END_OF_STREAM)) {
            this.readContext = undefined;
            handle.completeAction(context, 0);
          }
        }
        // Paused or yielded: sends go on, but nothing more is decoded (the
        // rest of a read waits in the handle).
        const holding = (this.flags & (FLAG_USER_PAUSED | FLAG_YIELDED)) !== 0;
        const action = handle.getAction(holding ? 'send' : 'all');
        if (action === undefined) {
          // The handle stopped at its step budget (inflating, gathering a
          // large message): go on while the turn has time, else yield.
          if (holding || !handle.receivePending) break;
          if (performance.now() - started <= TURN_BUDGET_MS) continue;
          this.yieldTurn();
          break;
        }
        switch (action.type) {
          case 'send-to-network':
            for (const buffer of action.buffers) {
              if (buffer.length === 0) continue;
              if (this.outbox === NO_CHUNKS) this.outbox = [];
              this.outbox.push(buffer);
              this.outboxBytes += buffer.length;
            }
            handle.completeAction(action.actionContext, action.byteLength);
            // Write a full batch now rather than at the end of the turn, so
            // the peer starts on it while this side decodes the rest.
            if (this.outboxBytes >= FLUSH_AT_BYTES || this.outbox.length >= FLUSH_AT_FRAMES) {
              this.flush();
            }
            break;
          case 'indicate-send-complete': {
            handle.completeAction(action.actionContext, 0);
            const sendContext = action.context;
            if (sendContext === undefined) break;
            if (!action.sent) {
              this.events.onSendComplete(sendContext, false);
              break;
            }
            // The frame may still be in the outbox or the socket, as a view
            // of the caller's payload: report it once the socket took it.
            this.afterFlush((error) => this.events.onSendComplete(sendContext, error == null));
            break;
          }
          case 'receive-from-network':
            this.readContext = action.actionContext;
            break;
          case 'indicate-receive-complete':
            handle.completeAction(action.actionContext, 0);
            if (action.bufferType !== 'close') this.postReceive();
            this.events.onIndication(action);
            // Messages decoded from the rest of a slice cost inflating too.
            if (sliced) this.yieldIfOverBudget(started);
            break;
        }
      }
    } finally {
      this.setFlag(FLAG_DRIVING, false);
    }
    // Input went through within the budget: next time, larger slices.
    const step = this.sliceStep;
    if (fedSlices && !this.flag(FLAG_YIELDED) && step < MAX_SLICE_STEP) this.setSliceStep(step + 1);
    this.events.onIdle();
    this.flush();
    this.setFlag(FLAG_INPUT_FED, false);
    if (handle.transportDone) this.endTransport();
  }

  private flush(): void {
    const outbox = this.outbox;
    if (outbox.length === 0 || this.flag(FLAG_GONE)) {
      this.runCallbacksIfIdle();
      return;
    }
    const socket = this.socket;
    const callbacks = this.pendingCallbacks;
    this.pendingCallbacks = NO_CALLBACKS;
    const done =
      callbacks.length === 0
        ? undefined
        : (error?: Error | null) => {
            for (const callback of callbacks) callback(error);
          };
    // An HTTP/2 stream takes the batch unjoined (transport-write.ts).
    const join = !this.flag(FLAG_FLOW_CONTROLLED);
    const ok = writeBatch(socket, outbox, this.outboxBytes, done, join);
    this.outbox = NO_CHUNKS;
    this.outboxBytes = 0;
    if (!ok && this.flag(FLAG_INPUT_FED) && socket.writableLength > this.readPauseAbove) {
      this.boundInputBacklog(socket.writableLength);
    }
  }

  /** Output that reading produced is backed up: see FLAG_FLOW_CONTROLLED (transport-flags.ts). */
  private boundInputBacklog(bytes: number): void {
    if (this.flag(FLAG_FLOW_CONTROLLED)) {
      this.events.onInputBacklog(bytes);
      return;
    }
    if (this.flag(FLAG_PAUSED)) return;
    this.setFlag(FLAG_PAUSED, true);
    this.updateReading();
  }

  private runCallbacksIfIdle(): void {
    if (this.pendingCallbacks.length === 0) return;
    const callbacks = this.pendingCallbacks;
    this.pendingCallbacks = NO_CALLBACKS;
    runWhenWritten(this.socket, this.flag(FLAG_GONE), callbacks);
  }

  /** @internal */
  onEnd(): void {
    this.setFlag(FLAG_END_OF_STREAM, true);
    this.drive();
  }

  /** @internal */
  onSocketDrain(): void {
    if (this.flag(FLAG_PAUSED)) {
      this.setFlag(FLAG_PAUSED, false);
      this.updateReading();
    }
    this.events.onDrain();
  }

  private endTransport(): void {
    if (this.flag(FLAG_ENDED) || this.flag(FLAG_GONE)) return;
    this.setFlag(FLAG_ENDED, true);
    if (this.handle.state === 'aborted') {
      this.socket.destroy();
      return;
    }
    // Closing handshake done (or failed): end our side, give the peer time to end its.
    this.socket.end();
    this.armCloseTimer();
  }

  /** @internal */
  onClose(hadError: boolean): void {
    if (this.flag(FLAG_CLOSED)) return;
    this.setFlag(FLAG_GONE, true);
    if (this.readContext !== undefined) {
      // Let the handle see end of stream so a pending receive completes.
      this.setFlag(FLAG_END_OF_STREAM, true);
      this.drive();
    }
    this.setFlag(FLAG_CLOSED, true);
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.outbox = NO_CHUNKS;
    this.outboxBytes = 0;
    this.runCallbacksIfIdle();
    this.events.onTransportClosed(hadError);
  }
}
