/** What a `SocketTransport` tells its connection, and the options it takes (split from transport.ts). */
import type { IndicateReceiveCompleteAction } from '../../websocket/index.js';

export type WriteCallback = (error?: Error | null) => void;

export interface TransportEvents {
  /** A receive completed (message, fragment, pong or close). Return false to stop receiving. */
  onIndication(action: IndicateReceiveCompleteAction): void;
  /** A send finished; `sent` false when it was cancelled. */
  onSendComplete(context: unknown, sent: boolean): void;
  /** The transport is gone (socket closed). */
  onTransportClosed(hadError: boolean): void;
  /** A socket error (before close). */
  onSocketError(error: Error): void;
  /** Buffered data fell back under the threshold after backpressure. */
  onDrain(): void;
  /**
   * Over an HTTP/2 stream, output that reading produced holds `bytes`
   * unsent (more than `readPauseAbove`): the connection bounds it
   * (`maxBackpressure`), since reading goes on.
   */
  onInputBacklog(bytes: number): void;
  /** The action loop ran out of work (events decoded on the side, like pings, may go out). */
  onIdle(): void;
}

export interface TransportOptions {
  /** Stop reading while the socket holds more unsent bytes than this (default 1 MiB). */
  readonly readPauseAbove?: number;
  /**
   * From `close()` (or the peer's close), wait this long for the closing
   * handshake and the peer's end of the TCP connection, then destroy the
   * socket (default 30 s).
   */
  readonly closeTimeout?: number;
}
