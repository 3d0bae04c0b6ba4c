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

/** Per-socket state: the sink the bytes go to and the bytes waiting for `drain`. */
interface Conn {
  sink: ByteSink | undefined;
  queue: Uint8Array[];
  /** Woken when the queue empties. */
  flushedWaiters: (() => void)[];
  closeWhenFlushed: boolean;
}

function newConn(): Conn {
  return { sink: undefined, queue: [], flushedWaiters: [], closeWhenFlushed: false };
}

/** Writes what the socket takes now; the rest waits in the queue for `drain`. */
function flush(socket: Bun.Socket<Conn>): void {
  const conn = socket.data;
  while (conn.queue.length > 0) {
    const head = conn.queue[0] as Uint8Array;
    const n = socket.write(head);
    if (n < head.length) {
      conn.queue[0] = head.subarray(Math.max(0, n));
      return;
    }
    conn.queue.shift();
  }
  if (conn.closeWhenFlushed) socket.end();
  const waiters = conn.flushedWaiters;
  conn.flushedWaiters = [];
  for (const wake of waiters) wake();
}

function transportOf(socket: Bun.Socket<Conn>): ByteTransport {
  return {
    write(bytes) {
      socket.data.queue.push(bytes);
      if (socket.data.queue.length === 1) flush(socket);
    },
    flushed() {
      if (socket.data.queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => socket.data.flushedWaiters.push(resolve));
    },
    close() {
      socket.data.closeWhenFlushed = true;
      if (socket.data.queue.length === 0) socket.end();
    },
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
    socket.data.queue = [];
    flush(socket);
    socket.data.sink?.end();
  },
  error(socket: Bun.Socket<Conn>) {
    socket.data.queue = [];
    flush(socket);
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
        socket.data = newConn();
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
  const conn: Conn = newConn();
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
