/**
 * Runs a netrx WebSocket handle over any byte transport a runtime has: the
 * host half that `src/node/websocket/transport.ts` is for Node, reduced to
 * what Deno's `Deno.Conn`, Bun's `Socket` and a page's `MessagePort` share.
 * The adapter pushes received bytes in (`push`, `end`) and gives a `write`
 * that resolves when the transport took the bytes; the pump loops on
 * `getAction` and reports messages whole.
 *
 * Backpressure: `push` keeps at most what one transport read delivered; an
 * adapter awaits `ready()` before its next read, which waits for that input
 * to be consumed and for the transport to have written what it took, so a
 * peer that stops reading its echoes stalls our reads, and memory stays
 * bounded by one read plus the echoes of it.
 */
import type { BufferType, CloseStatus, WebSocketHandle } from '../../src/websocket/index.js';

export interface ByteTransport {
  /**
   * Takes `bytes` (its own copy) and writes them after everything taken
   * before, in the background, as Node's `socket.write` does. Accepting at
   * once matters: the core cancels sends still queued in the handle when
   * the peer's close arrives, so a send must leave the handle as soon as it
   * is framed, not when a slow write finishes.
   */
  write(bytes: Uint8Array): void;
  /** Resolves once everything taken so far is written (or the transport failed). */
  flushed(): Promise<void>;
  /** Closes the transport (both directions) after the bytes taken are written. */
  close(): void;
}

export interface PumpEvents {
  /** A whole message (fragments joined); `data` is the pump's own copy. */
  message(type: 'text' | 'binary', data: Uint8Array): void;
  /** The close handshake ended or the transport dropped; `status` is what the peer sent. */
  closed(status: CloseStatus | undefined): void;
}

/** Bound on getAction calls that only report `receivePending` (budgeted steps) in one pump. */
const MAX_PENDING_STEPS = 1_000_000;

export class HandlePump {
  private inbound: Uint8Array | undefined;
  private ended = false;
  private read: { actionContext: number; buffer: Uint8Array } | undefined;
  private pumping = false;
  private fragments: Uint8Array[] = [];
  private closeStatus: CloseStatus | undefined;
  private finished = false;
  private readyWaiters: (() => void)[] = [];

  constructor(
    readonly handle: WebSocketHandle,
    private readonly transport: ByteTransport,
    private readonly events: PumpEvents,
  ) {
    handle.receive(null);
  }

  /** Bytes from the network; copied before `push` returns. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.inbound = this.inbound === undefined ? chunk.slice() : concatTwo(this.inbound, chunk);
    this.pump();
  }

  /** The peer closed its side. */
  end(): void {
    this.ended = true;
    this.pump();
  }

  /** Resolves once the bytes pushed so far are consumed and no write waits. */
  async ready(): Promise<void> {
    if (this.inbound !== undefined && !this.finished) {
      await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    }
    await this.transport.flushed();
  }

  send(type: 'text' | 'binary', data: Uint8Array): void {
    this.handle.send(type === 'text' ? 'utf8-message' : 'binary-message', data);
    this.pump();
  }

  ping(data: Uint8Array = new Uint8Array(0)): void {
    this.handle.send('ping-pong', data);
    this.pump();
  }

  close(code = 1000, reason = ''): void {
    this.handle.send('close', { code, reason });
    this.pump();
  }

  private pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    try {
      let pendingSteps = 0;
      for (;;) {
        if (this.read !== undefined && this.fillRead()) continue;
        const action = this.handle.getAction('all');
        if (action === undefined) {
          if (this.handle.receivePending && ++pendingSteps < MAX_PENDING_STEPS) continue;
          break;
        }
        pendingSteps = 0;
        switch (action.type) {
          case 'send-to-network':
            // One copy per frame: the handle may reuse its header memory once
            // the write is completed, and the transport writes later.
            this.transport.write(joinAll(action.buffers));
            this.handle.completeAction(action.actionContext, action.byteLength);
            break;
          case 'indicate-send-complete':
            this.handle.completeAction(action.actionContext, 0);
            break;
          case 'receive-from-network':
            this.read = { actionContext: action.actionContext, buffer: action.buffer };
            break;
          case 'indicate-receive-complete':
            this.indicate(action.bufferType, action.buffer, action.close);
            this.handle.completeAction(action.actionContext, 0);
            if (action.bufferType !== 'close') this.handle.receive(null);
            break;
        }
      }
    } finally {
      this.pumping = false;
    }
    this.settle();
  }

  /** Closes the transport once the handle is done, and wakes `ready()` waiters. */
  private settle(): void {
    const state = this.handle.state;
    const over =
      state === 'closed' || state === 'aborted' || (this.ended && this.read !== undefined);
    if (!this.finished && over) {
      this.finished = true;
      this.transport.close();
      this.events.closed(this.closeStatus);
    }
    if (this.inbound === undefined || this.finished) {
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private fillRead(): boolean {
    const read = this.read;
    if (read === undefined) return false;
    const chunk = this.inbound;
    if (chunk === undefined) {
      if (!this.ended) return false;
      this.read = undefined;
      this.handle.completeAction(read.actionContext, 0);
      return true;
    }
    // Lent, not copied into the action's buffer: `inbound` is the pump's own
    // copy (the adapter's read buffer is reused), never written again, so the
    // handle may decode it in place and keep views of it.
    this.inbound = undefined;
    this.read = undefined;
    this.handle.completeAction(read.actionContext, chunk);
    return true;
  }

  private indicate(type: BufferType, buffer: Uint8Array, close: CloseStatus | undefined): void {
    switch (type) {
      case 'utf8-fragment':
      case 'binary-fragment':
        this.fragments.push(buffer.slice());
        return;
      case 'utf8-message':
      case 'binary-message': {
        const kind = type === 'utf8-message' ? 'text' : 'binary';
        const data =
          this.fragments.length === 0 ? buffer.slice() : joinAll([...this.fragments, buffer]);
        this.fragments = [];
        this.events.message(kind, data);
        return;
      }
      case 'close':
        this.closeStatus = close;
        return;
      case 'ping-pong':
      case 'unsolicited-pong':
        return;
    }
  }
}

function concatTwo(a: Uint8Array, b: Uint8Array): Uint8Array {
  return joinAll([a, b]);
}

function joinAll(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
