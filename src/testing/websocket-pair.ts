/**
 * Runs WebSocket handles the way a host would, in memory: a driver per
 * handle loops on `getAction`, writes send actions to its peer's inbound
 * queue and records what the application would see. Nothing moves until the
 * test calls `flush()`, and `chop` splits every write into pieces so tests
 * cross chunk boundaries on purpose.
 */
import type { NetrxError } from '../runtime/index.js';
import type {
  ActionQueue,
  BufferType,
  CloseStatus,
  WebSocketAction,
  WebSocketHandle,
} from '../websocket/index.js';

/** What the application saw complete on a receive. */
export interface ReceivedPiece {
  readonly bufferType: BufferType;
  /** A copy of the bytes (views die when the indication completes). */
  readonly data: Uint8Array;
  readonly close: CloseStatus | undefined;
  readonly error: NetrxError | undefined;
  readonly context: unknown;
}

export interface DriverOptions {
  /** Split every chunk this driver reads into pieces of at most this many bytes. */
  readonly chop?: number;
  /** Fill `receive-from-network` through the action's buffer (a copy) instead of lending chunks. */
  readonly copyIntoBuffer?: boolean;
  /**
   * What each receive is posted with: `null` for component memory
   * (default), or a function making a caller buffer.
   */
  readonly receiveBuffer?: () => Uint8Array | null;
  /** Post a new receive after each indication (default true). */
  readonly autoReceive?: boolean;
  /** Bytes the transport accepts per write before it "fails" (short write test). */
  readonly writeLimit?: number;
}

/**
 * Budgeted steps a driver takes in a row without an action before it gives
 * up (a 64 MiB message in 1 KiB steps takes 65536).
 */
const MAX_IDLE_STEPS = 1_000_000;

export class HandleDriver {
  readonly received: ReceivedPiece[] = [];
  readonly sendsCompleted: { context: unknown; sent: boolean; bufferType: BufferType }[] = [];
  /** Everything written to the wire, in order. */
  readonly written: Uint8Array[] = [];
  peer: HandleDriver | undefined;
  private readonly inbound: Uint8Array[] = [];
  private endOfStream = false;
  private pendingRead: { actionContext: number; buffer: Uint8Array } | undefined;
  private receivesPosted = 0;
  private writeBudget: number;

  constructor(
    readonly handle: WebSocketHandle,
    private readonly options: DriverOptions = {},
  ) {
    this.writeBudget = options.writeLimit ?? Infinity;
  }

  /** Posts a receive as the options say. */
  postReceive(context: unknown = ++this.receivesPosted): void {
    this.handle.receive(this.options.receiveBuffer?.() ?? null, context);
  }

  /** Bytes from the peer (or the test, to script a peer). */
  deliver(bytes: Uint8Array): void {
    const chop = this.options.chop ?? bytes.length;
    for (let at = 0; at < bytes.length; at += chop) {
      this.inbound.push(bytes.slice(at, Math.min(bytes.length, at + chop)));
    }
  }

  /** The peer closed its side of the transport. */
  deliverEndOfStream(): void {
    this.endOfStream = true;
  }

  /**
   * Runs the action loop until the handle has nothing to do, or for at most
   * `maxActions` actions (to stop between any two, as a host can), asking
   * `getAction` for `queue` only. Returns whether anything happened.
   */
  run(maxActions = Infinity, queue: ActionQueue = 'all'): boolean {
    let progressed = false;
    let idleSteps = 0;
    for (let done = 0; done < maxActions; done++) {
      if (this.pendingRead !== undefined && this.fillRead()) progressed = true;
      const action = this.handle.getAction(queue);
      if (action === undefined) {
        if (this.pendingRead !== undefined && this.hasInput()) continue;
        // The step used its budget (`receiveStepBytes`): a host gives other
        // work a turn here; this driver just asks again, but not forever: a
        // handle that stays pending without producing anything fails the
        // test instead of hanging it in a synchronous loop.
        if (this.handle.receivePending) {
          if (++idleSteps > MAX_IDLE_STEPS) {
            throw new Error(
              `receivePending stayed true for ${MAX_IDLE_STEPS} getAction calls with no action`,
            );
          }
          continue;
        }
        break;
      }
      idleSteps = 0;
      progressed = true;
      this.perform(action);
    }
    return progressed;
  }

  private perform(action: WebSocketAction): void {
    switch (action.type) {
      case 'send-to-network': {
        let wrote = 0;
        for (const b of action.buffers) {
          const n = Math.min(b.length, this.writeBudget - wrote);
          if (n <= 0) break;
          const copy = b.slice(0, n);
          this.written.push(copy);
          this.peer?.deliver(copy);
          wrote += n;
        }
        this.writeBudget -= wrote;
        this.handle.completeAction(action.actionContext, wrote);
        return;
      }
      case 'indicate-send-complete':
        this.sendsCompleted.push({
          context: action.context,
          sent: action.sent,
          bufferType: action.bufferType,
        });
        this.handle.completeAction(action.actionContext, 0);
        return;
      case 'receive-from-network':
        this.pendingRead = { actionContext: action.actionContext, buffer: action.buffer };
        return;
      case 'indicate-receive-complete':
        this.received.push({
          bufferType: action.bufferType,
          data: action.buffer.slice(),
          close: action.close,
          error: action.error,
          context: action.context,
        });
        this.handle.completeAction(action.actionContext, 0);
        if (action.bufferType !== 'close' && this.options.autoReceive !== false) {
          this.postReceive();
        }
        return;
    }
  }

  private hasInput(): boolean {
    return this.inbound.length > 0 || this.endOfStream;
  }

  /** Completes the outstanding read if there is input. */
  private fillRead(): boolean {
    const read = this.pendingRead;
    if (read === undefined) return true;
    const chunk = this.inbound.shift();
    if (chunk === undefined) {
      if (!this.endOfStream) return false;
      this.pendingRead = undefined;
      this.handle.completeAction(read.actionContext, 0);
      return true;
    }
    this.pendingRead = undefined;
    if (this.options.copyIntoBuffer === true) {
      const n = Math.min(chunk.length, read.buffer.length);
      read.buffer.set(chunk.subarray(0, n));
      if (n < chunk.length) this.inbound.unshift(chunk.subarray(n));
      this.handle.completeAction(read.actionContext, n);
    } else {
      this.handle.completeAction(read.actionContext, chunk);
    }
    return true;
  }

  /** Received pieces joined per message: [type, bytes] per completed message or close. */
  messages(): { type: BufferType; data: Uint8Array; close?: CloseStatus; error?: NetrxError }[] {
    const out: { type: BufferType; data: Uint8Array; close?: CloseStatus; error?: NetrxError }[] =
      [];
    let parts: Uint8Array[] = [];
    for (const piece of this.received) {
      if (piece.bufferType.endsWith('fragment')) {
        parts.push(piece.data);
        continue;
      }
      if (piece.bufferType.endsWith('message')) {
        parts.push(piece.data);
        const length = parts.reduce((n, p) => n + p.length, 0);
        const data = new Uint8Array(length);
        let at = 0;
        for (const p of parts) {
          data.set(p, at);
          at += p.length;
        }
        out.push({ type: piece.bufferType, data });
        parts = [];
        continue;
      }
      const entry: { type: BufferType; data: Uint8Array; close?: CloseStatus; error?: NetrxError } =
        { type: piece.bufferType, data: piece.data };
      if (piece.close !== undefined) entry.close = piece.close;
      if (piece.error !== undefined) entry.error = piece.error;
      out.push(entry);
    }
    return out;
  }
}

export interface WebSocketPair {
  readonly client: HandleDriver;
  readonly server: HandleDriver;
  /** Runs both drivers until neither can make progress. */
  flush(): void;
}

/** Joins two open handles (client first) through in-memory drivers and posts a receive on each. */
export function connectHandles(
  client: WebSocketHandle,
  server: WebSocketHandle,
  options: { client?: DriverOptions; server?: DriverOptions } = {},
): WebSocketPair {
  const c = new HandleDriver(client, options.client);
  const s = new HandleDriver(server, options.server);
  c.peer = s;
  s.peer = c;
  c.postReceive();
  s.postReceive();
  return {
    client: c,
    server: s,
    flush() {
      for (let i = 0; i < 1_000_000; i++) {
        const a = c.run();
        const b = s.run();
        if (!a && !b) return;
      }
      throw new Error('WebSocket pair did not settle');
    },
  };
}
