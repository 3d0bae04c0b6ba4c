/**
 * netrx's WebSocket core on Deno: an echo server over `Deno.listen` (or, as
 * the bench's anchor, over `Deno.serve` + `Deno.upgradeWebSocket`) and a
 * client over `Deno.connect`. Run from the bundle scripts/lib/runtime-bundles.mjs
 * builds: `deno run --allow-net echo.js server [--builtin] [--deflate]`
 * prints one JSON line with the port; `client <port> [--deflate]` runs the
 * message mix of runtimes/shared/probe.ts against a server and prints its verdict.
 */
import { pakoDeflateCodec, createPortableCrypto } from '../../src/websocket/portable.js';
import { openClient, serveConnection, type ByteSink } from '../shared/connection.js';
import { runProbe } from '../shared/probe.js';
import type { ByteTransport } from '../shared/pump.js';

const crypto = createPortableCrypto((bytes) => {
  // A view over a plain ArrayBuffer: the core never hands a SharedArrayBuffer here.
  globalThis.crypto.getRandomValues(bytes as Uint8Array<ArrayBuffer>);
});
const deflate = Deno.args.includes('--deflate');
const options = { crypto, ...(deflate ? { deflateCodec: pakoDeflateCodec } : {}) };

function transportOf(conn: Deno.Conn): ByteTransport {
  let closed = false;
  let failed = false;
  // Writes run one after another on this chain; `flushed()` is its tail.
  let chain: Promise<void> = Promise.resolve();
  const closeOnce = (): void => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // Already closed by the peer's reset: nothing left to free.
    }
  };
  return {
    write(bytes) {
      chain = chain.then(async () => {
        if (failed || closed) return;
        try {
          for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
        } catch {
          failed = true; // a reset: the read side sees the end and the pump settles
        }
      });
    },
    flushed: () => chain,
    close() {
      chain = chain.then(closeOnce);
    },
  };
}

/** Reads until end of stream, waiting for the sink between reads (backpressure). */
async function readInto(conn: Deno.Conn, sink: ByteSink): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      sink.push(buffer.subarray(0, n));
      await sink.ready();
    }
  } catch {
    // A reset or a read after our own close: the connection is over either way.
  }
  sink.end();
}

async function serveNetrx(): Promise<void> {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  announce(listener.addr.port, 'netrx');
  for await (const conn of listener) {
    conn.setNoDelay(true);
    let echo: ((type: 'text' | 'binary', data: Uint8Array) => void) | undefined;
    const sink = serveConnection(
      transportOf(conn),
      options,
      { message: (type, data) => echo?.(type, data), closed: () => undefined },
      (pump) => (echo = (type, data) => pump.send(type, data)),
    );
    void readInto(conn, sink);
  }
}

function serveBuiltin(): void {
  Deno.serve(
    { hostname: '127.0.0.1', port: 0, onListen: (addr) => announce(addr.port, 'builtin') },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.binaryType = 'arraybuffer';
      socket.onmessage = (event) => socket.send(event.data as string | ArrayBuffer);
      return response;
    },
  );
}

function announce(port: number, implementation: string): void {
  console.log(JSON.stringify({ port, implementation, runtime: `deno ${Deno.version.deno}` }));
}

async function client(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: '127.0.0.1', port });
  conn.setNoDelay(true);
  const verdict = await runProbe((events) => {
    const { sink, opened } = openClient(
      transportOf(conn),
      { host: `127.0.0.1:${port}` },
      options,
      events,
    );
    void readInto(conn, sink);
    return opened;
  });
  console.log(JSON.stringify({ ...verdict, runtime: `deno ${Deno.version.deno}` }));
}

const [mode, portArg] = Deno.args;
if (mode === 'server') {
  if (Deno.args.includes('--builtin')) serveBuiltin();
  else await serveNetrx();
} else if (mode === 'client') {
  await client(Number(portArg));
  Deno.exit(0);
} else {
  console.error('usage: echo.js server [--builtin] [--deflate] | client <port> [--deflate]');
  Deno.exit(2);
}
