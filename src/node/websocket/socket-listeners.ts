/**
 * The socket listeners of every transport: shared functions that find
 * their transport on the socket, as `ws` does (five closures per
 * connection would cost more than the rest of its state).
 */
import type { Duplex } from 'node:stream';

/** What the listeners call; `SocketTransport` implements it. */
export interface SocketListener {
  onData(chunk: Buffer): void;
  onEnd(): void;
  onClose(hadError: boolean): void;
  onSocketDrain(): void;
  readonly events: { onSocketError(error: Error): void };
}

const TRANSPORT: unique symbol = Symbol('netrx.transport');
type TransportSocket = Duplex & { [TRANSPORT]: SocketListener };

export function listenThroughSocket(socket: Duplex, transport: SocketListener): void {
  (socket as TransportSocket)[TRANSPORT] = transport;
  socket.on('data', socketData);
  socket.on('end', socketEnd);
  socket.on('error', socketError);
  socket.on('close', socketClose);
  socket.on('drain', socketDrain);
}
function socketData(this: Duplex, chunk: Buffer): void {
  (this as TransportSocket)[TRANSPORT].onData(chunk);
}
function socketEnd(this: Duplex): void {
  (this as TransportSocket)[TRANSPORT].onEnd();
}
function socketError(this: Duplex, error: Error): void {
  (this as TransportSocket)[TRANSPORT].events.onSocketError(error);
}
function socketClose(this: Duplex, hadError: boolean): void {
  (this as TransportSocket)[TRANSPORT].onClose(hadError);
}
function socketDrain(this: Duplex): void {
  (this as TransportSocket)[TRANSPORT].onSocketDrain();
}
