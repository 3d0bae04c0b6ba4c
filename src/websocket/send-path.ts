/**
 * The send half of a handle: the queues of operations waiting to go out,
 * the framing of each into a `send-to-network` action, and the
 * `indicate-send-complete` actions that hand the caller's buffers back.
 *
 * Three queues, all empty most of the time (they share one frozen empty
 * list until first used): application sends, in order, bounded by
 * `maxQueuedSends` and `maxQueuedSendBytes`; control frames the component
 * sends by itself (pongs, the close reply or failure close, keep-alive
 * pings), which go first; and send completions waiting to be indicated.
 * One send-side action is outstanding at a time. Sends complete in the
 * order they were queued, whether written, cut short or cancelled.
 */
import { NetrxError } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import type {
  BufferType,
  CloseStatus,
  IndicateSendCompleteAction,
  SendToNetworkAction,
} from './actions.js';
import { WebSocketEvent } from './events.js';
import type { MaskKeySource } from './frame-writer.js';
import type { PerMessageDeflateSession } from './permessage-deflate.js';
import type { PreparedMessage } from './prepared-message.js';
import type { ResolvedProperties } from './properties.js';
import { frameOperation } from './send-framing.js';
import {
  NO_COMPLETIONS,
  NO_OPERATIONS,
  closeStatusOf,
  invalidOperation,
  sizeOf,
  type SendCompletion,
  type SendOperation,
} from './send-operation.js';

export { invalidOperation, type SendOperation } from './send-operation.js';

/** Pongs waiting at once beyond which the oldest are dropped (only the newest ping needs one). */
const MAX_PENDING_PONGS = 16;
/** Marks internal pongs (answers to pings) apart from app unsolicited pongs. */
const PONG: unique symbol = Symbol('pong');

export interface SendPathOptions {
  readonly properties: ResolvedProperties;
  readonly masks: MaskKeySource | undefined;
  readonly trace: TraceProvider | undefined;
  readonly name: string;
}

export class SendPath {
  private readonly properties: ResolvedProperties;
  private readonly masks: MaskKeySource | undefined;
  private readonly trace: TraceProvider | undefined;
  private readonly name: string;
  /** Compression for outgoing messages, once negotiated. */
  deflate: PerMessageDeflateSession | undefined;

  // Counters (read by the handle's `stats`).
  messagesSent = 0;
  bytesSent = 0;
  pingsAnswered = 0;
  pongsCoalesced = 0;
  sendsRefused = 0;

  private appQueue: SendOperation[] = NO_OPERATIONS;
  /** The bytes in `appQueue`, kept as it changes: hosts ask on every send. */
  private appQueueBytes = 0;
  private controlQueue: SendOperation[] = NO_OPERATIONS;
  private completions: SendCompletion[] = NO_COMPLETIONS;
  private slot: SendToNetworkAction | IndicateSendCompleteAction | undefined;
  private slotOp: SendOperation | undefined;
  /** The kind of the message whose fragments are being queued (what `send` accepts next). */
  private queuedMessage: 'utf8' | 'binary' | undefined;
  /** The kind of the message whose fragments are being framed (the opcode to use next). */
  private framingMessage: 'utf8' | 'binary' | undefined;
  private closeFramed: CloseStatus | undefined;
  private broken = false;

  constructor(options: SendPathOptions) {
    this.properties = options.properties;
    this.masks = options.masks;
    this.trace = options.trace;
    this.name = options.name;
    // A double from the start, as `ReceiveSide.bytesReceived` (2^31 bytes sent
    // would otherwise deoptimise the send loop mid-transfer).
    this.bytesSent = 0.5;
    this.bytesSent = 0;
  }

  /** Bytes queued by `send` and not yet handed out in a send action. */
  get queuedBytes(): number {
    return this.appQueueBytes;
  }

  /** The close this side framed (sent, or being written), if any. */
  get closeSent(): CloseStatus | undefined {
    return this.closeFramed;
  }

  /** A short write broke the stream's framing: nothing more may be written. */
  get transportBroken(): boolean {
    return this.broken;
  }

  /** Control frames (pongs, close reply, keep-alive ping) wait to be written. */
  get hasControl(): boolean {
    return this.controlQueue.length > 0;
  }

  /** A send-side action is outstanding. */
  get busy(): boolean {
    return this.slot !== undefined;
  }

  /** A close of the component's own is queued and not framed yet. */
  get controlCloseQueued(): boolean {
    return this.controlQueue.some((op) => op.bufferType === 'close');
  }

  /** Whether `actionContext` is the outstanding send-side action. */
  owns(actionContext: number): boolean {
    return this.slot !== undefined && this.slot.actionContext === actionContext;
  }

  /**
   * Queues an application send of data (or a ping or pong). Throws
   * `ERR_WS_INVALID_OPERATION` when it would mix text and binary fragments,
   * and `ERR_WS_SEND_QUEUE_FULL` (counted in `sendsRefused`) when the queue
   * is at `maxQueuedSends` operations or the data would take it past
   * `maxQueuedSendBytes`.
   */
  queueSend(
    bufferType: Exclude<BufferType, 'close'>,
    data: Uint8Array,
    context: unknown,
    uncompressed = false,
    pieces?: readonly Uint8Array[],
    framed?: Uint8Array,
  ): void {
    const length = sizeOf({ data, pieces, framed } as SendOperation);
    const control = bufferType === 'ping-pong' || bufferType === 'unsolicited-pong';
    const kind = bufferType.startsWith('utf8') ? 'utf8' : 'binary';
    if (!control && this.queuedMessage !== undefined && this.queuedMessage !== kind) {
      throw invalidOperation(
        `Cannot send ${bufferType} while a ${this.queuedMessage} message is unfinished`,
      );
    }
    const { maxQueuedSends, maxQueuedSendBytes } = this.properties;
    if (
      this.appQueue.length >= maxQueuedSends ||
      this.appQueueBytes + length > maxQueuedSendBytes
    ) {
      this.sendsRefused++;
      throw new NetrxError(
        'ERR_WS_SEND_QUEUE_FULL',
        `The send queue is full (${this.appQueue.length} sends, ${this.appQueueBytes} bytes queued; limits ${maxQueuedSends} and ${maxQueuedSendBytes}): wait for send completions`,
      );
    }
    if (!control) this.queuedMessage = bufferType.endsWith('fragment') ? kind : undefined;
    this.pushApp(
      framed !== undefined
        ? { bufferType, data: EMPTY_BYTES, context, internal: false, uncompressed, framed }
        : pieces === undefined
          ? { bufferType, data, context, internal: false, uncompressed }
          : { bufferType, data: EMPTY_BYTES, context, internal: false, uncompressed, pieces },
    );
  }

  /**
   * Queues a prepared message: its shared frame when this connection can
   * send those bytes (a server, no deflate or deflate without context
   * takeover), else its payload as `queueSend` would. Refused as `queueSend`
   * refuses; a whole message cannot go between the fragments of another
   * (`ERR_WS_INVALID_OPERATION`): its frame has its own opcode.
   */
  queuePrepared(message: PreparedMessage, context: unknown): void {
    const bufferType = message.type === 'utf8' ? 'utf8-message' : 'binary-message';
    if (this.queuedMessage !== undefined) {
      throw invalidOperation(
        `Cannot send a prepared message while a ${this.queuedMessage} message is unfinished`,
      );
    }
    const frames = message.framesFor(this.masks !== undefined, this.deflate);
    if (frames.kind === 'own') this.queueSend(bufferType, frames.payload, context);
    else this.queueSend(bufferType, EMPTY_BYTES, context, false, undefined, frames.bytes);
  }

  /**
   * A prepared message's shared frame for the host to write itself, now,
   * or undefined when it must be queued (`queuePrepared`). Given only when
   * nothing of this send side waits or is outstanding (no queued send,
   * control frame or completion, no unfinished fragmented message, no
   * close framed), so bytes written now follow everything written before
   * and precede everything queued after. Counted and traced as a queued
   * send is; there is no send-complete indication (the host asks only for
   * sends without a context).
   */
  takePrepared(message: PreparedMessage): Uint8Array | undefined {
    if (
      this.slot !== undefined ||
      this.appQueue.length !== 0 ||
      this.controlQueue.length !== 0 ||
      this.completions.length !== 0 ||
      this.queuedMessage !== undefined ||
      this.framingMessage !== undefined ||
      this.closeFramed !== undefined ||
      this.broken
    ) {
      return undefined;
    }
    const bytes = message.sharedFrameFor(this.masks !== undefined, this.deflate);
    if (bytes === undefined) return undefined;
    this.messagesSent++;
    this.bytesSent += bytes.length;
    const event = WebSocketEvent.messageSent;
    if (this.trace?.isEnabled(event.level, event.keywords)) {
      const bufferType = message.type === 'utf8' ? 'utf8-message' : 'binary-message';
      this.trace.emit(event, { connection: this.name, bufferType, size: bytes.length });
    }
    return bytes;
  }

  /**
   * Queues binary data given as pieces: one frame whose payload is the
   * pieces as they are (a server's unmasked frames are views; no join)
   * when that is possible, else the pieces joined (a deliberate copy: a
   * client masks into a copy anyway, deflate needs one buffer, and a
   * payload over `sendBufferSize` is split into frames).
   */
  queueSendPieces(
    bufferType: 'binary-message' | 'binary-fragment',
    pieces: readonly Uint8Array[],
    context: unknown,
  ): void {
    let total = 0;
    for (const p of pieces) total += p.length;
    if (
      pieces.length > 1 &&
      this.masks === undefined &&
      this.deflate === undefined &&
      total <= this.properties.sendBufferSize
    ) {
      this.queueSend(bufferType, EMPTY_BYTES, context, false, pieces);
      return;
    }
    let data = pieces[0] ?? EMPTY_BYTES;
    if (pieces.length > 1) {
      data = new Uint8Array(total);
      let at = 0;
      for (const p of pieces) {
        data.set(p, at);
        at += p.length;
      }
    }
    this.queueSend(bufferType, data, context);
  }

  /**
   * Queues a close: the application's goes behind its other sends (and is
   * never refused for the bound: a host can always close); the component's
   * own goes first, with the control frames.
   */
  queueClose(payload: Uint8Array, context: unknown, internal: boolean): void {
    this.queuedMessage = undefined;
    const op: SendOperation = {
      bufferType: 'close',
      data: payload,
      context,
      internal,
      uncompressed: false,
    };
    if (internal) this.pushControl(op);
    else this.pushApp(op);
  }

  /** Answers a ping (unless a close is queued: nothing but the close may follow it). */
  queuePong(payload: Uint8Array, closeQueued: boolean): void {
    this.pingsAnswered++;
    if (closeQueued) return;
    let pongs = 0;
    for (const op of this.controlQueue) if (op.context === PONG) pongs++;
    if (pongs >= MAX_PENDING_PONGS) {
      const oldest = this.controlQueue.findIndex((op) => op.context === PONG);
      this.controlQueue.splice(oldest, 1);
      this.pongsCoalesced++;
    }
    this.pushControl({
      bufferType: 'unsolicited-pong',
      data: payload,
      context: PONG,
      internal: true,
      uncompressed: false,
    });
  }

  /** Queues a keep-alive ping. */
  queuePing(): void {
    this.pushControl({
      bufferType: 'ping-pong',
      data: EMPTY_BYTES,
      context: undefined,
      internal: true,
      uncompressed: false,
    });
  }

  /**
   * The next send-side action: a waiting completion first (application
   * work only), then a control frame, then an application send. `writable`
   * false (aborted, or the transport broke) hands out completions only.
   */
  next(
    includeApp: boolean,
    writable: boolean,
    actionContext: number,
  ): SendToNetworkAction | IndicateSendCompleteAction | undefined {
    if (this.slot !== undefined) return undefined;
    if (includeApp && this.completions.length > 0) {
      const { op, sent } = this.completions.shift() as SendCompletion;
      // Emptied lists go back to the shared one: a used array keeps its capacity.
      if (this.completions.length === 0) this.completions = NO_COMPLETIONS;
      const action: IndicateSendCompleteAction = {
        type: 'indicate-send-complete',
        actionContext,
        context: op.context,
        bufferType: op.bufferType,
        sent,
      };
      this.slot = action;
      return action;
    }
    if (!writable || this.broken) return undefined;
    // (Never shift() the frozen empty list: even on an empty array it writes `length`.)
    let op: SendOperation;
    if (this.controlQueue.length > 0) {
      op = this.controlQueue.shift() as SendOperation;
      if (this.controlQueue.length === 0) this.controlQueue = NO_OPERATIONS;
    } else if (includeApp && this.appQueue.length > 0) {
      op = this.appQueue.shift() as SendOperation;
      this.appQueueBytes -= sizeOf(op);
      if (this.appQueue.length === 0) this.appQueue = NO_OPERATIONS;
    } else {
      return undefined;
    }
    return this.frame(op, actionContext);
  }

  /**
   * Reports the outstanding action done: for a write, `written` bytes (a
   * short write cancels it and everything queued, and breaks the stream).
   * Returns whether a close was now written whole. Throws `RangeError` for a
   * count that is not an integer from 0 to the write's `byteLength`, leaving
   * the action outstanding.
   */
  complete(bytes: number | Uint8Array): boolean {
    const action = this.slot;
    if (action === undefined) return false;
    if (action.type === 'indicate-send-complete') {
      this.slot = undefined;
      return false;
    }
    const written = typeof bytes === 'number' ? bytes : bytes.length;
    if (!Number.isInteger(written) || written < 0 || written > action.byteLength) {
      // Refused rather than clamped: a count the write could not have had is a host bug.
      throw new RangeError(
        `bytesTransferred must be an integer from 0 to the action's byteLength (${action.byteLength}): got ${written}`,
      );
    }
    const op = this.slotOp as SendOperation;
    this.slot = undefined;
    this.slotOp = undefined;
    const sent = written === action.byteLength;
    this.bytesSent += written;
    // Sends complete in the order they were queued: any completion waiting
    // now is for a send queued after this one and cancelled while it was in
    // flight (an app send is framed only once earlier completions are out).
    if (!op.internal) this.pushCompletion(op, sent, true);
    if (!sent) {
      this.broken = true;
      this.cancelQueued();
    }
    return sent && op.bufferType === 'close';
  }

  /** Cancels every queued application send (each completes with `sent: false`). */
  cancelQueued(): void {
    for (const op of this.appQueue) this.pushCompletion(op, false, false);
    this.appQueue = NO_OPERATIONS;
    this.appQueueBytes = 0;
  }

  /** Forgets the component's own queued frames (abort: nothing more goes out). */
  dropControl(): void {
    this.controlQueue = NO_OPERATIONS;
  }

  private frame(op: SendOperation, actionContext: number): SendToNetworkAction {
    const buffers: Uint8Array[] = [];
    const byteLength = frameOperation(
      op,
      this.framingMessage !== undefined,
      this.masks,
      this.deflate,
      this.properties.sendBufferSize,
      buffers,
    );
    const { bufferType } = op;
    if (bufferType === 'close') this.closeFramed = closeStatusOf(op.data);
    else if (bufferType !== 'ping-pong' && bufferType !== 'unsolicited-pong') {
      const fin = bufferType.endsWith('message');
      // A prepared frame is a whole message and never between fragments.
      if (op.framed === undefined) {
        this.framingMessage = fin ? undefined : bufferType.startsWith('utf8') ? 'utf8' : 'binary';
      }
      if (fin) this.messagesSent++;
    }
    const action: SendToNetworkAction = {
      type: 'send-to-network',
      actionContext,
      context: op.internal ? undefined : op.context,
      bufferType: op.bufferType,
      buffers,
      byteLength,
    };
    this.slot = action;
    this.slotOp = op;
    const event = WebSocketEvent.messageSent;
    if (this.trace?.isEnabled(event.level, event.keywords)) {
      this.trace.emit(event, {
        connection: this.name,
        bufferType: op.bufferType,
        size: sizeOf(op),
      });
    }
    return action;
  }

  private pushApp(op: SendOperation): void {
    if (this.appQueue === NO_OPERATIONS) this.appQueue = [];
    this.appQueue.push(op);
    this.appQueueBytes += sizeOf(op);
  }

  private pushControl(op: SendOperation): void {
    if (this.controlQueue === NO_OPERATIONS) this.controlQueue = [];
    this.controlQueue.push(op);
  }

  private pushCompletion(op: SendOperation, sent: boolean, first: boolean): void {
    if (op.internal) return;
    if (this.completions === NO_COMPLETIONS) this.completions = [];
    if (first) this.completions.unshift({ op, sent });
    else this.completions.push({ op, sent });
  }
}
