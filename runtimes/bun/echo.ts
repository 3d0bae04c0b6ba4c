/**
 * netrx's WebSocket core on Bun: an echo server over `Bun.listen` (or, as
 * the bench's anchor, `Bun.serve({ websocket })`) and a client over
 * `Bun.connect`. Run from the bundle scripts/lib/runtime-bundles.mjs builds:
 * `bun echo.js server [--builtin] [--deflate]` prints one JSON line with the
 * port; `client <port> [--deflate]` runs runtimes/shared/probe.ts's mix.
 */
import { pakoDeflateCodec, createPortableCrypto } from '../../src/websocket/portable.js';
import { openClient, serveConnection, type ByteSink } from '../shared/connection.js';
import { runProbe } from '../shared/probe.js';
import type { ByteTransport } from '../shared/pump.js';

const args = Bun.argv.slice(2);
const crypto = createPortableCrypto((bytes) => {
  // A view over a plain ArrayBuffer: the core never hands a SharedArrayBuffer here.
  globalThis.crypto.getRandomValues(bytes as Uint8Array<ArrayBuffer>);
});
const options = {
  crypto,
  ...(args.includes('--deflate') ? { deflateCodec: pakoDeflateCodec } : {}),
};

/** Per-socket state: the sink the bytes go to and the writes waiting for `drain`. */
interface Conn {
  sink: ByteSink | undefined;
  queue: { bytes: Uint8Array; done: () => void }[];
}

/** Writes what the socket takes; the rest waits in the queue for `drain`. */
function flush(socket: Bun.Socket<Conn>): void {
  const queue = socket.data.queue;
  while (queue.length > 0) {
    const head = queue[0] as Conn['queue'][number];
    const n = socket.write(head.bytes);
    if (n < head.bytes.length) {
      head.bytes = head.bytes.subarray(Math.max(0, n));
      return;
    }
    queue.shift();
    head.done();
  }
}

function transportOf(socket: Bun.Socket<Conn>): ByteTransport {
  return {
    write(chunks) {
      return new Promise<void>((resolve) => {
        chunks.forEach((bytes, i) => {
          socket.data.queue.push({
            bytes,
            done: i === chunks.length - 1 ? resolve : () => undefined,
          });
        });
        if (chunks.length === 0) resolve();
        flush(socket);
      });
    },
    close: () => socket.end(),
  };
}

const handlers = {
  data(socket: Bun.Socket<Conn>, bytes: Uint8Array) {
    const sink = socket.data.sink;
    if (sink === undefined) return;
    sink.push(bytes);
    // Backpressure: stop reading until the echoes are written.
    if (socket.pause !== undefined && socket.resume !== undefined) {
      socket.pause();
      void sink.ready().then(() => socket.resume?.());
    }
  },
  drain: flush,
  close(socket: Bun.Socket<Conn>) {
    socket.data.sink?.end();
  },
  error(socket: Bun.Socket<Conn>) {
    socket.data.sink?.end();
  },
};

function serveNetrx(): void {
  const listener = Bun.listen<Conn>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      ...handlers,
      open(socket) {
        socket.data = { sink: undefined, queue: [] };
        socket.setNoDelay?.(true);
        let echo: ((type: 'text' | 'binary', data: Uint8Array) => void) | undefined;
        socket.data.sink = serveConnection(
          transportOf(socket),
          options,
          { message: (type, data) => echo?.(type, data), closed: () => undefined },
          (pump) => (echo = (type, data) => pump.send(type, data)),
        );
      },
    },
  });
  announce(listener.port, 'netrx');
}

function serveBuiltin(): void {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request, srv) =>
      srv.upgrade(request) ? undefined : new Response('upgrade only', { status: 400 }),
    websocket: { message: (ws, message) => void ws.send(message) },
  });
  announce(server.port, 'builtin');
}

function announce(port: number, implementation: string): void {
  console.log(JSON.stringify({ port, implementation, runtime: `bun ${Bun.version}` }));
}

async function client(port: number): Promise<void> {
  const conn: Conn = { sink: undefined, queue: [] };
  const socket = await Bun.connect<Conn>({ hostname: '127.0.0.1', port, socket: handlers });
  socket.data = conn;
  const verdict = await runProbe((events) => {
    const { sink, opened } = openClient(
      transportOf(socket),
      { host: `127.0.0.1:${port}` },
      options,
      events,
    );
    conn.sink = sink;
    return opened;
  });
  console.log(JSON.stringify({ ...verdict, runtime: `bun ${Bun.version}` }));
}

const [mode, portArg] = args;
if (mode === 'server') {
  if (args.includes('--builtin')) serveBuiltin();
  else serveNetrx();
} else if (mode === 'client') {
  await client(Number(portArg));
  process.exit(0);
} else {
  console.error('usage: echo.js server [--builtin] [--deflate] | client <port> [--deflate]');
  process.exit(2);
}
