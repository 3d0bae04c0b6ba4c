/**
 * The handle's side of receiving: the one queued receive operation, the one
 * outstanding receive action (a network read or an indication), and the
 * component's own read buffer. The decoding is receive-path.ts's; the
 * connection's state (closing, failure) is handle-lifecycle.ts's; handle.ts
 * asks this class for the next receive action and hands it completed reads.
 */
import type {
  IndicateReceiveCompleteAction,
  ReceiveFromNetworkAction,
  ReceiveOptions,
  WebSocketAction,
} from './actions.js';
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import type { Indication, ReceiveOperation, ReceivePath } from './receive-path.js';

/** A network read into the component's buffer (allocated on first use). */
class ReceiveFromNetwork implements ReceiveFromNetworkAction {
  readonly type = 'receive-from-network';
  constructor(
    readonly actionContext: number,
    readonly context: unknown,
    private readonly side: ReceiveSide<unknown>,
  ) {}
  get buffer(): Uint8Array {
    return this.side.memory;
  }
}

/**
 * What the receive side needs from its handle when it picks the next action
 * (one object for every handle, as receive-path.ts's host is).
 */
export interface ReceiveTurn<Owner> {
  /** A fresh action context (the handle numbers send and receive actions alike). */
  nextContext(owner: Owner): number;
  /** No more reads: the handle was aborted or receiving has ended. */
  readsEnded(owner: Owner): boolean;
  /** A control frame (pong, close reply) to write before reading on, if one waits. */
  controlFirst(owner: Owner): WebSocketAction | undefined;
}

export class ReceiveSide<Owner> {
  /** The queued receive operation (one at a time). */
  op: ReceiveOperation | undefined;
  /** The outstanding receive action, if any. */
  slot: ReceiveFromNetworkAction | IndicateReceiveCompleteAction | undefined;
  bytesReceived = 0;
  private buffer: Uint8Array | undefined;

  constructor(
    private readonly path: ReceivePath<Owner>,
    private readonly bufferSize: number,
    /** Told when bytes arrive, before they are decoded (keep-alive). */
    private readonly onBytes: (() => void) | undefined,
  ) {
    // A double from the start: a count that began as a small integer would
    // change representation at 2^31 bytes, in the middle of a long transfer
    // (a deoptimisation, then a new hidden class for every receive side:
    // byte-counters.test.ts, docs/performance.md).
    this.bytesReceived = 0.5;
    this.bytesReceived = 0;
  }

  /** The component's own read buffer, allocated on first use. */
  get memory(): Uint8Array {
    return (this.buffer ??= new Uint8Array(this.bufferSize));
  }

  /** Lets go of the read buffer (`delete`). */
  release(): void {
    this.buffer = undefined;
  }

  /** The next receive action: an indication, a control write first, a read, or none. */
  next(owner: Owner, turn: ReceiveTurn<Owner>): WebSocketAction | undefined {
    const op = this.op;
    if (this.slot !== undefined || op === undefined) return undefined;
    const indicated = this.path.step(op);
    if (indicated !== undefined) {
      const action = indicationAction(indicated, op.context, turn.nextContext(owner));
      this.slot = action;
      return action;
    }
    if (turn.readsEnded(owner)) return undefined;
    // The step used its budget (`receiveStepBytes`): no read until the work is done.
    if (this.path.workPending) return undefined;
    // Decoding may have queued pongs or a close reply: write those before reading on.
    const control = turn.controlFirst(owner);
    if (control !== undefined) return control;
    const action = new ReceiveFromNetwork(turn.nextContext(owner), op.context, this);
    this.slot = action;
    return action;
  }

  /** Queues the receive operation (the handle checked it may). */
  queue(buffer: Uint8Array | null | undefined, context: unknown, options?: ReceiveOptions): void {
    if (buffer !== undefined && buffer !== null && buffer.length === 0) {
      throw new RangeError('A receive buffer must not be empty');
    }
    this.op =
      options?.pieces === true
        ? { buffer: buffer ?? undefined, context, filled: 0, pieces: true }
        : { buffer: buffer ?? undefined, context, filled: 0 };
  }

  /** Changes the queued receive's options (none queued: nothing to change). */
  changeOptions(options: ReceiveOptions): void {
    const op = this.op;
    if (op === undefined || (op.pieces === true) === (options.pieces === true)) return;
    this.op =
      options.pieces === true
        ? { buffer: op.buffer, context: op.context, filled: op.filled, pieces: true }
        : { buffer: op.buffer, context: op.context, filled: op.filled };
  }

  /**
   * A read's count must be a whole number of bytes its buffer could hold:
   * more is a host bug, refused rather than clamped (issue 8, defect 7).
   */
  checkReadCount(bytes: number): void {
    const max = this.bufferSize;
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > max) {
      throw new RangeError(
        `bytesTransferred must be an integer from 0 to the action's buffer length (${max}): got ${bytes}`,
      );
    }
  }

  /** A read completed: `bytes` put into `memory`, or a chunk of the host's (empty: end of stream). */
  completeRead(bytes: number | Uint8Array): void {
    let chunk: Uint8Array;
    if (typeof bytes === 'number') {
      chunk = bytes === 0 ? EMPTY_BYTES : this.memory.subarray(0, bytes);
    } else {
      chunk = bytes;
    }
    if (chunk.length === 0) {
      this.path.pushEndOfStream();
      return;
    }
    this.bytesReceived += chunk.length;
    this.onBytes?.();
    this.path.push(chunk, typeof bytes !== 'number');
  }
}

function indicationAction(
  i: Indication,
  context: unknown,
  actionContext: number,
): IndicateReceiveCompleteAction {
  return {
    type: 'indicate-receive-complete',
    actionContext,
    context,
    bufferType: i.bufferType,
    buffer: i.buffer,
    ...(i.buffers === undefined ? {} : { buffers: i.buffers }),
    close: i.close,
    error: i.error,
  };
}
