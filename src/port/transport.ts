import type { NetrxError } from '../runtime/index.js';

/**
 * What a transport tells the port it serves. Called by the transport, in
 * order, from its own I/O callbacks.
 */
export interface PortSink {
  /**
   * Bytes arrived. The port keeps the view (no copy) until it is read, so the
   * transport must hand over memory it will not reuse (Node's socket chunks are
   * fresh buffers, so they qualify).
   */
  data(bytes: Uint8Array): void;
  /** The line went away; `cause` defaults to `ERROR_PORT_DISCONNECTED` (619). */
  end(cause?: NetrxError): void;
}

/**
 * Line settings, after `RASCOMMSETTINGS` (`bParity`, `bStop`, `bByteSize`).
 * Parity: 0 none, 1 odd, 2 even, 3 mark, 4 space. Stop bits: 0 one, 1 one and
 * a half, 2 two (the Win32 `DCB` values). Byte size: 5 to 8.
 */
export interface CommSettings {
  readonly parity: 0 | 1 | 2 | 3 | 4;
  readonly stopBits: 0 | 1 | 2;
  readonly byteSize: 5 | 6 | 7 | 8;
}

/**
 * Any duplex byte stream a `Port` runs on: a TCP socket, a child process, a
 * serial line, a pty, or the in-memory pair in netrx/testing. The port calls
 * `open` once with its sink; everything else is optional.
 */
export interface PortTransport {
  open(sink: PortSink): void;
  /**
   * Sends `bytes`. The view is only valid during the call (it is usually a
   * pooled buffer the caller reuses next): a transport that queues must copy.
   */
  write(bytes: Uint8Array): void;
  /** Local close; the transport need not call `sink.end` afterwards. */
  close(): void;
  /** Stop delivering `data` until `resume` (the port's receive queue is full). */
  pause?(): void;
  resume?(): void;
  /** A line break (chat's `\K`); transports without one ignore it. */
  sendBreak?(): void;
  /** Applies line settings; a transport with no line (TCP) leaves this out. */
  setCommSettings?(settings: CommSettings): void;
}
