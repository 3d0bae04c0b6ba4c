/**
 * Entry of the page bundle (test/interop/runtimes-chromium.test.ts): a
 * server and a client handle joined by a `MessageChannel`, the handshake
 * and the probe mix of runtimes/shared/probe.ts over it, deflate on (pure
 * JS) and off. The verdicts land in `globalThis.netrxMessagePort`.
 */
import { createPakoDeflateCodec, createPortableCrypto } from '../../src/websocket/portable.js';
import { openClient, serveConnection } from '../shared/connection.js';
import { runProbe, type ProbeVerdict } from '../shared/probe.js';
import { messagePortTransport } from './message-port.js';

const crypto = createPortableCrypto((bytes) => {
  globalThis.crypto.getRandomValues(bytes as Uint8Array<ArrayBuffer>);
});

async function probeOverChannel(deflate: boolean): Promise<ProbeVerdict> {
  const options = { crypto, ...(deflate ? { deflateCodec: createPakoDeflateCodec() } : {}) };
  const channel = new MessageChannel();
  const serverSide = messagePortTransport(channel.port1);
  let echo: ((type: 'text' | 'binary', data: Uint8Array) => void) | undefined;
  serverSide.attach(
    serveConnection(
      serverSide.transport,
      options,
      { message: (type, data) => echo?.(type, data), closed: () => undefined },
      (pump) => (echo = (type, data) => pump.send(type, data)),
    ),
  );
  const clientSide = messagePortTransport(channel.port2);
  return runProbe(
    (events) => {
      const { sink, opened } = openClient(clientSide.transport, { host: 'page' }, options, events);
      clientSide.attach(sink);
      return opened;
    },
    deflate ? 2 : 1,
  );
}

(globalThis as unknown as { netrxMessagePort: Promise<ProbeVerdict[]> }).netrxMessagePort =
  Promise.all([probeOverChannel(false), probeOverChannel(true)]);
