/**
 * What a connection does with the receive indications its transport hands
 * over: messages shaped by `binaryType` (a view when whole in one read,
 * gathered fragments otherwise, the pieces of the reads for
 * `'fragments'`), pongs, and pings queued to be emitted in wire order.
 * Close indications go back to the connection (`closeIndicated`).
 *
 * `IncomingMessages` is the base of the one small object through which the
 * handle and the transport reach a connection (connection-events.ts); the
 * connection itself has none of these methods, so no caller can forge a
 * message through it (review r8, defect 8).
 */
import type { IndicateReceiveCompleteAction } from '../../websocket/index.js';
import { EMPTY_BUFFER, binaryPayload, type BinaryType } from './message-data.js';

export abstract class IncomingMessages {
  /** Pieces of a message delivered in parts (only without message assembly); made on first need. */
  private fragments: Buffer[] | undefined;
  /** Pings decoded and not yet emitted (made on first need; emitted in wire order with messages). */
  private pings: Buffer[] | undefined;

  /** The connection's `binaryType` now. */
  protected abstract binaryType(): BinaryType;
  /** Emits `'message'` (and the DOM event). */
  protected abstract message(payload: unknown, binary: boolean, bytes: Buffer): void;
  protected abstract emitPing(data: Buffer): void;
  protected abstract emitPong(data: Buffer): void;
  /** Whether anyone listens for `'ping'` (else pings are not copied). */
  protected abstract listensForPings(): boolean;
  /** Whether the component answers pings (`autoPong`). */
  protected abstract autoPong(): boolean;
  /** A close indication: the connection records it. */
  protected abstract closeIndicated(action: IndicateReceiveCompleteAction): void;

  /** The handle decoded a ping (`payload` valid during the call); false: do not pong. */
  receivedPing(payload: Uint8Array): boolean {
    if (this.listensForPings()) {
      // Copied: the view is of memory the handle reuses. Emitted before the next event.
      (this.pings ??= []).push(Buffer.from(payload));
    }
    return this.autoPong();
  }

  /** Emits pings decoded so far. */
  onIdle(): void {
    const pings = this.pings;
    if (pings === undefined) return;
    this.pings = undefined;
    for (const ping of pings) this.emitPing(ping);
  }

  onIndication(action: IndicateReceiveCompleteAction): void {
    this.onIdle();
    if (action.buffers !== undefined) {
      this.deliverPieces(action.buffers);
      return;
    }
    const view = Buffer.from(
      action.buffer.buffer,
      action.buffer.byteOffset,
      action.buffer.byteLength,
    );
    switch (action.bufferType) {
      case 'binary-message':
      case 'utf8-message':
        this.deliverMessage(view, action.bufferType === 'binary-message');
        return;
      case 'binary-fragment':
      case 'utf8-fragment':
        // Only without message assembly; gather them (bounded by maxMessageSize).
        (this.fragments ??= []).push(Buffer.from(view));
        return;
      case 'ping-pong':
      case 'unsolicited-pong':
        this.emitPong(view);
        return;
      case 'close':
        this.closeIndicated(action);
        return;
      default:
        return;
    }
  }

  private deliverMessage(view: Buffer, binary: boolean): void {
    let data = view;
    if (this.fragments !== undefined) {
      this.fragments.push(view);
      data = Buffer.concat(this.fragments);
      this.fragments = undefined;
    }
    // As in ws: text arrives as a Buffer (isBinary false); binaryType shapes binary only.
    const payload = binary ? binaryPayload(data, this.binaryType()) : data;
    this.message(payload, binary, data);
  }

  /** A binary message as the views of the reads it came in (`binaryType: 'fragments'`). */
  private deliverPieces(pieces: readonly Uint8Array[]): void {
    const views = pieces.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    const binaryType = this.binaryType();
    if (binaryType === 'fragments') {
      this.message(views, true, EMPTY_BUFFER);
      return;
    }
    // binaryType changed while the message was arriving: one buffer after all.
    const data = Buffer.concat(views);
    this.message(binaryPayload(data, binaryType), true, data);
  }
}
