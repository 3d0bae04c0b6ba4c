import type { NetrxError } from '../runtime/index.js';
import { Port } from '../port/port.js';
import type { PortOptions } from '../port/port-types.js';
import type { CommSettings, PortSink, PortTransport } from '../port/transport.js';

export interface PortPeer {
  /** Sends bytes (or a latin1 string) to the port, delivered at once as one chunk. */
  write(data: Uint8Array | string): void;
  /** Hangs up: the port sees the disconnect, with `cause` if given. */
  hangUp(cause?: NetrxError): void;
  /** Everything the port sent, as one latin1 string (for assertions). */
  readonly received: string;
  /** Each write the port made, as latin1 strings, in order. */
  readonly writes: readonly string[];
  /** Called after each write the port makes (a scripted peer answers here). */
  onWrite: ((chunk: Uint8Array) => void) | undefined;
  readonly breaks: number;
  readonly paused: boolean;
  readonly closed: boolean;
  readonly commSettings: readonly CommSettings[];
}

export interface PortPair {
  readonly port: Port;
  readonly peer: PortPeer;
}

/**
 * A `Port` joined to a scripted peer in memory: what the peer writes reaches
 * the port at once (synchronously), what the port sends is recorded, and
 * nothing waits on real time, so a test on a `VirtualClock` is deterministic.
 */
export function createPortPair(options: PortOptions): PortPair {
  let sink: PortSink | undefined;
  const writes: string[] = [];
  const commSettings: CommSettings[] = [];
  const state = { breaks: 0, paused: false, closed: false, ended: false };
  const peer: PortPeer = {
    write(data) {
      if (state.closed || state.ended) return;
      // The port keeps the view it is given: hand it memory of its own (a copy).
      const bytes = typeof data === 'string' ? latin1(data) : data.slice();
      sink?.data(bytes);
    },
    hangUp(cause) {
      if (state.ended) return;
      state.ended = true;
      sink?.end(cause);
    },
    get received() {
      return writes.join('');
    },
    writes,
    onWrite: undefined,
    get breaks() {
      return state.breaks;
    },
    get paused() {
      return state.paused;
    },
    get closed() {
      return state.closed;
    },
    commSettings,
  };
  const transport: PortTransport = {
    open(portSink) {
      sink = portSink;
    },
    write(bytes) {
      if (state.closed) return;
      let text = '';
      for (const byte of bytes) text += String.fromCharCode(byte);
      writes.push(text);
      peer.onWrite?.(bytes.slice());
    },
    close() {
      state.closed = true;
    },
    pause() {
      state.paused = true;
    },
    resume() {
      state.paused = false;
    },
    sendBreak() {
      state.breaks++;
    },
    setCommSettings(settings) {
      commSettings.push(settings);
    },
  };
  const port = new Port(transport, options);
  return { port, peer };
}

function latin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}
