/**
 * The one small object through which a connection's handle (its `owner`)
 * and transport reach the connection. The connection itself has none of
 * these methods, so no caller can forge a message or a close through it
 * (review r8, defect 8 at the Node layer). The class is made once, from the
 * connection's private side (`ConnectionSide`, which websocket.ts builds in
 * its class body, since only code there may use its `#` members): every
 * connection's object shares it and holds only its connection.
 */
import type { IndicateReceiveCompleteAction } from '../../websocket/index.js';
import { IncomingMessages } from './incoming.js';
import type { BinaryType } from './message-data.js';
import type { TransportEvents } from './transport.js';

/** What the handle's `owner` must offer (handles.ts calls these). */
export interface HandleOwner {
  wake(): void;
  receivedPing(payload: Uint8Array): boolean;
}

/** The connection's private side, one object for every connection of type `W`. */
export interface ConnectionSide<W> {
  /** The handle has work of its own (a keep-alive ping or failure). */
  wake(ws: W): void;
  binaryType(ws: W): BinaryType;
  /** Emits `'message'` (and the DOM event). */
  message(ws: W, payload: unknown, binary: boolean, bytes: Buffer): void;
  emit(ws: W, event: 'ping' | 'pong', data: Buffer): void;
  listensForPings(ws: W): boolean;
  autoPong(ws: W): boolean;
  closeIndicated(ws: W, action: IndicateReceiveCompleteAction): void;
  sendComplete(ws: W, context: unknown, sent: boolean): void;
  drain(ws: W): void;
  inputBacklog(ws: W, bytes: number): void;
  socketError(ws: W, error: Error): void;
  transportClosed(ws: W): void;
}

export type ConnectionEvents = TransportEvents & HandleOwner;

/** The class of connection-event objects for connections of type `W`. */
export function connectionEventsClass<W>(side: ConnectionSide<W>): new (ws: W) => ConnectionEvents {
  return class extends IncomingMessages implements ConnectionEvents {
    constructor(private readonly ws: W) {
      super();
    }
    wake(): void {
      side.wake(this.ws);
    }
    protected binaryType(): BinaryType {
      return side.binaryType(this.ws);
    }
    protected message(payload: unknown, binary: boolean, bytes: Buffer): void {
      side.message(this.ws, payload, binary, bytes);
    }
    protected emitPing(data: Buffer): void {
      side.emit(this.ws, 'ping', data);
    }
    protected emitPong(data: Buffer): void {
      side.emit(this.ws, 'pong', data);
    }
    protected listensForPings(): boolean {
      return side.listensForPings(this.ws);
    }
    protected autoPong(): boolean {
      return side.autoPong(this.ws);
    }
    protected closeIndicated(action: IndicateReceiveCompleteAction): void {
      side.closeIndicated(this.ws, action);
    }
    onSendComplete(context: unknown, sent: boolean): void {
      side.sendComplete(this.ws, context, sent);
    }
    onDrain(): void {
      side.drain(this.ws);
    }
    onInputBacklog(bytes: number): void {
      side.inputBacklog(this.ws, bytes);
    }
    onSocketError(error: Error): void {
      side.socketError(this.ws, error);
    }
    onTransportClosed(): void {
      side.transportClosed(this.ws);
    }
  };
}
