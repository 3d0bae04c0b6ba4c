/**
 * A page has no raw sockets, but it has byte transports: a `MessagePort`
 * (to a worker, an iframe, a service worker), a WebRTC data channel, a
 * WebTransport stream. This is the whole adapter for a `MessagePort`: bytes
 * go as transferred ArrayBuffers, `null` marks the end of the stream. Over
 * it the core runs its handshake and frames exactly as over TCP
 * (runtimes/shared/connection.ts). docs/websocket.md, "Runtimes", shows it.
 */
import type { ByteSink } from '../shared/connection.js';
import type { ByteTransport } from '../shared/pump.js';

export function messagePortTransport(port: MessagePort): {
  readonly transport: ByteTransport;
  attach(sink: ByteSink): void;
} {
  let closed = false;
  return {
    transport: {
      write(bytes) {
        if (closed) return;
        // The pump hands over its own copy (a whole ArrayBuffer): transfer, no copy.
        const buffer = bytes.buffer as ArrayBuffer;
        port.postMessage(bytes.byteLength === buffer.byteLength ? buffer : bytes.slice().buffer, [
          buffer,
        ]);
      },
      flushed: () => Promise.resolve(),
      close() {
        if (closed) return;
        closed = true;
        port.postMessage(null);
      },
    },
    attach(sink) {
      port.onmessage = (event: MessageEvent<ArrayBuffer | null>) => {
        if (event.data === null) sink.end();
        else sink.push(new Uint8Array(event.data));
      };
    },
  };
}
