/**
 * The shared body of the loopback capture benchmarks (bench/capture-rpc.ts,
 * bench/capture-ws.ts): one MS-LREC session fed by the synthetic provider
 * (128-byte user data), a transport client that keeps one receive
 * outstanding and walks every EVENT_BUFFER by DataSize, against the physical
 * limit, a plain Node TCP stream of the same bytes (64 KiB writes with
 * backpressure, the reader counting bytes). Both ends of both sides run in
 * this process, on one event loop. The producer emits 512 events per
 * event-loop turn, so the session is always fed; loss past the queue is
 * counted and checked: delivered + lost = generated.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import { SessionTable, startSyntheticProvider } from '../../src/capture/index.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { compare } from '../harness.js';

export const PAYLOAD = 128;
const ITEM = 8 + 96 + PAYLOAD;
const BUFFER = 65_536;
const CHUNK = 512;

/** A session named `bench` on the system clock, and its synthetic provider (not emitting). */
export function benchSession(limits: { timerMs: number }) {
  const registry = new TraceRegistry({ clock: systemClock });
  const table = new SessionTable({ registry, clock: systemClock });
  const session = table.createSession({
    name: 'bench',
    providers: [{ provider: 'netrx-synthetic' }],
    limits: { bufferBytes: BUFFER, maxBuffers: 16, ...limits },
  });
  session.start();
  const synthetic = startSyntheticProvider({
    registry,
    clock: systemClock,
    eventsPerSecond: 0,
    payloadBytes: PAYLOAD,
  });
  return { registry, table, session, synthetic };
}

/** A transport's client, connected, with the session open. */
export interface LoopbackClient {
  receive(): Promise<Uint8Array>;
  /** Transport counters worth printing (slow readers, deferred receives). */
  stats(): string;
  close(): Promise<void>;
}

/** Runs the comparison for one transport and prints the accounting and load average. */
export async function runLoopbackCaptureBench(options: {
  readonly title: string;
  readonly name: string;
  readonly open: (table: SessionTable) => Promise<LoopbackClient>;
}): Promise<void> {
  const { table, session, synthetic } = benchSession({ timerMs: 100 });
  const client = await options.open(table);
  let delivered = 0;
  let lost = 0;
  /** Events and lost count of one EVENT_BUFFER, walked by DataSize as any client must. */
  const walk = (buffer: Uint8Array): void => {
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    for (let at = 0; at + 8 <= buffer.length;) {
      const size = view.getUint32(at, true);
      if (size < 8) break;
      if (view.getUint16(at + 4, true) === 2) lost += view.getUint32(at + 8, true);
      else delivered++;
      at += size;
    }
  };

  // The plain TCP anchor: a server that writes 64 KiB buffers while the reader wants bytes.
  let anchorWanted = 0;
  let anchorRead = 0;
  let anchorDone: (() => void) | undefined;
  let anchorWriter: Socket | undefined;
  const block = new Uint8Array(BUFFER - (BUFFER % ITEM)); // whole items, as an EVENT_BUFFER holds
  const pump = () => {
    const socket = anchorWriter;
    if (socket === undefined) return;
    while (anchorRead + socket.writableLength < anchorWanted * ITEM) {
      if (!socket.write(block)) return;
    }
  };
  const anchorServer = createServer((socket) => {
    anchorWriter = socket;
    socket.on('drain', pump);
  });
  await new Promise<void>((done) => anchorServer.listen(0, '127.0.0.1', done));
  const reader = connect({ host: '127.0.0.1', port: (anchorServer.address() as AddressInfo).port });
  await new Promise((done) => reader.once('connect', done));
  await new Promise((done) => setTimeout(done, 50));
  reader.on('data', (chunk: Buffer) => {
    anchorRead += chunk.length;
    if (anchorRead >= anchorWanted * ITEM) anchorDone?.();
  });

  const result = await compare(
    options.title,
    {
      name: options.name,
      async run(n) {
        const target = delivered + n;
        let producing = true;
        const produce = () => {
          if (!producing) return;
          synthetic.emit(CHUNK);
          setImmediate(produce);
        };
        setImmediate(produce);
        while (delivered < target) walk(await client.receive());
        producing = false;
      },
    },
    {
      name: 'plain TCP stream',
      run(n) {
        anchorRead = 0;
        anchorWanted = n;
        return new Promise<void>((done) => {
          anchorDone = () => {
            anchorDone = undefined;
            done();
          };
          pump();
        });
      },
    },
    200_000,
    5,
  );

  // Drain: production has stopped; receive until every generated event is
  // delivered or reported lost (the timer completes the last partial buffer).
  const generated = synthetic.generated;
  const deadline = Date.now() + 10_000;
  while (delivered + lost < generated && Date.now() < deadline) walk(await client.receive());
  const unreported = session.stats().unreportedLost;
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  process.stdout.write(
    `load average ${load}; ${client.stats()}\n` +
      `accounting: generated ${generated}, delivered ${delivered}, lost ${lost}, unreported ${unreported}: ` +
      `${delivered + lost + unreported === generated ? 'exact' : 'MISMATCH'}\n` +
      `target >= 250k events/s over loopback: ${result.ours.opsPerSecond >= 250_000 ? 'met' : 'not met'} in this run\n`,
  );
  await client.close();
  reader.destroy();
  anchorWriter?.destroy();
  await new Promise<void>((done) => anchorServer.close(() => done()));
}
