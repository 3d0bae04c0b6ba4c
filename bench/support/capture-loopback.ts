/**
 * The shared body of the loopback capture benchmarks (bench/capture-rpc.ts,
 * bench/capture-ws.ts). Producer and consumer run in separate processes, so
 * neither's event loop paces the other: the server (capture-server.ts,
 * forked) holds one MS-LREC session fed by the synthetic provider (128-byte
 * user data) behind the transport; this process is the client, keeping one
 * receive outstanding and walking every EVENT_BUFFER by DataSize.
 *
 * After a warm-up step (100k/s, 1 s, not reported: JIT and the first
 * connection), it offers rate steps (50k, 100k, 250k, 500k events/s, then as
 * fast as the server's loop emits), 2 s each, paced in small bursts
 * (capture-server.ts), and reports per step the events generated, delivered
 * and lost (exactly accounted: delivered + lost = generated once the step
 * drained), the producer's largest burst and largest gap between turns, the
 * server's CPU (process.cpuUsage of the server process, so the machine's
 * other load does not count) per event delivered and per event generated
 * (most of a saturated step's events are dropped at the queue, the cheap
 * path), and its peak memory; then the highest rate with < 1 % loss; then a slow socket (a
 * consumer that waits 20 ms after each receive, at 250k/s: counted loss,
 * the server's memory bounded); then the anchor, a plain Node TCP stream of
 * the bytes the fastest step delivered (232-byte items in 64 KiB writes with
 * backpressure, from the server process to this one), and the ratio.
 */
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SessionTable, startSyntheticProvider } from '../../src/capture/index.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { itemBytes } from './capture-anchor.js';

export const PAYLOAD = 128;
export const BENCH_TOKEN = 'bench-token-0123456789abcdef';
const BUFFER = 65_536;
const STEP_MS = 2000;
const RATES = [50_000, 100_000, 250_000, 500_000, 0];

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

export type ParentMessage =
  | { type: 'step'; rate: number; durationMs: number }
  | { type: 'anchor'; bytes: number }
  | { type: 'stats' }
  | { type: 'exit' };

export type ServerMessage =
  | { type: 'ready'; port: number; anchorPort: number }
  | {
      type: 'stepDone';
      generated: number;
      seconds: number;
      cpuMicros: number;
      peakRss: number;
      peakHeap: number;
      peakBuffered: number;
      maxBurst: number;
      maxGapMs: number;
    }
  | { type: 'anchorDone'; cpuMicros: number }
  | { type: 'stats'; unreported: number; generated: number };

/** A transport's client, connected, with the session open. */
export interface LoopbackClient {
  receive(): Promise<Uint8Array>;
  close(): Promise<void>;
}

const MiB = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** Runs the steps for one transport and prints the table, the accounting and the load average. */
export async function runLoopbackCaptureBench(options: {
  readonly title: string;
  readonly transport: 'rpc' | 'ws';
  readonly connect: (port: number) => Promise<LoopbackClient>;
}): Promise<void> {
  const server = fork(
    fileURLToPath(new URL('./capture-server.js', import.meta.url)),
    [options.transport],
    { execArgv: ['--expose-gc'] },
  );
  const waiting: ((message: ServerMessage) => void)[] = [];
  server.on('message', (message: ServerMessage) => waiting.shift()?.(message));
  const next = <T extends ServerMessage['type']>(type: T) =>
    new Promise<Extract<ServerMessage, { type: T }>>((resolve, reject) =>
      waiting.push((message) =>
        message.type === type
          ? resolve(message as Extract<ServerMessage, { type: T }>)
          : reject(new Error(`expected ${type}, got ${message.type}`)),
      ),
    );
  const ask = <T extends ServerMessage['type']>(message: ParentMessage, answer: T) => {
    const answered = next(answer);
    server.send(message);
    return answered;
  };
  const ready = await next('ready');
  const client = await options.connect(ready.port);

  let delivered = 0;
  let lost = 0;
  let slowMs = 0;
  let reading = true;
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
  const consumer = (async () => {
    while (reading) {
      walk(await client.receive());
      if (slowMs > 0) await new Promise((done) => setTimeout(done, slowMs));
    }
  })().catch(() => undefined);

  let generated = 0;
  /** After a step: waits until every generated event was delivered or reported lost. */
  const settle = async (): Promise<boolean> => {
    const deadline = Date.now() + 15_000;
    while (delivered + lost < generated && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 20));
    }
    return delivered + lost === generated;
  };

  const rows: string[] = [];
  // The step's nominal rate judges the target: a paced step generates a few
  // events under it (a whole number per tick), 499,931 in 2 s at 250k/s.
  let best: { rate: number; delivered: number; step: number } | undefined;
  let fastest = 0;
  const runStep = async (rate: number, label: string, durationMs = STEP_MS, report = true) => {
    const [d0, l0] = [delivered, lost];
    const done = await ask({ type: 'step', rate, durationMs }, 'stepDone');
    generated += done.generated;
    const exact = await settle();
    const stepDelivered = delivered - d0;
    const stepLost = lost - l0;
    const lossPct = (100 * stepLost) / Math.max(1, done.generated);
    const deliveredRate = stepDelivered / done.seconds;
    const nsPerGenerated = (done.cpuMicros * 1000) / Math.max(1, done.generated);
    const nsPerDelivered = (done.cpuMicros * 1000) / Math.max(1, stepDelivered);
    if (report)
      rows.push(
        `| ${label} | ${(done.generated / done.seconds / 1000).toFixed(0)} k/s | ` +
          `${(deliveredRate / 1000).toFixed(0)} k/s | ${done.generated} = ${stepDelivered} + ${stepLost} ` +
          `(${exact ? 'exact' : 'MISMATCH'}) | ${lossPct.toFixed(2)} % | ${done.maxBurst} / ${done.maxGapMs.toFixed(1)} ms | ` +
          `${nsPerDelivered.toFixed(0)} ns | ${nsPerGenerated.toFixed(0)} ns | ` +
          `${MiB(done.peakRss)} / ${MiB(done.peakHeap)}${options.transport === 'ws' ? ` / ${MiB(done.peakBuffered)}` : ''} |`,
      );
    return { lossPct, deliveredRate, offered: done.generated / done.seconds };
  };
  // Warm-up, not reported (its events still count in the run's accounting).
  await runStep(100_000, 'warm-up', 1000, false);
  for (const rate of RATES) {
    const result = await runStep(rate, rate === 0 ? 'max' : `${rate / 1000}k`);
    fastest = Math.max(fastest, result.deliveredRate);
    if (result.lossPct < 1 && (best === undefined || result.offered > best.rate)) {
      best = { rate: result.offered, delivered: result.deliveredRate, step: rate };
    }
  }
  slowMs = 20;
  await runStep(250_000, 'slow socket (20 ms per receive), 250k');
  slowMs = 0;

  // The anchor: the bytes of the fastest step's delivered events, over plain TCP.
  const anchorEvents = Math.max(100_000, Math.round(fastest * (STEP_MS / 1000)));
  const anchorBytes = anchorEvents * itemBytes(PAYLOAD);
  const reader: Socket = connect({ host: '127.0.0.1', port: ready.anchorPort });
  await new Promise((done) => reader.once('connect', done));
  await new Promise((done) => setTimeout(done, 50));
  let read = 0;
  const started = process.hrtime.bigint();
  const allRead = new Promise<void>((done) =>
    reader.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read >= anchorBytes) done();
    }),
  );
  const anchorCpu = await ask({ type: 'anchor', bytes: anchorBytes }, 'anchorDone');
  await allRead;
  const anchorSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const anchorRate = anchorEvents / anchorSeconds;

  reading = false;
  const stats = await ask({ type: 'stats' }, 'stats');
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const memory = options.transport === 'ws' ? 'server RSS / heap / unsent' : 'server RSS / heap';
  process.stdout.write(
    `${options.title}\n` +
      `| step (offered) | generated | delivered | generated = delivered + lost | loss | largest burst / turn gap | server CPU per delivered | per generated | ${memory} |\n` +
      `|---|---|---|---|---|---|---|---|---|\n` +
      `${rows.join('\n')}\n` +
      `highest rate with < 1 % loss: ${best === undefined ? 'none' : `${(best.rate / 1000).toFixed(0)} k/s offered (${(best.delivered / 1000).toFixed(0)} k/s delivered)`}\n` +
      `anchor, plain TCP stream of the same ${itemBytes(PAYLOAD)}-byte items (${anchorEvents} items): ` +
      `${(anchorRate / 1000).toFixed(0)} k items/s, sender CPU ${((anchorCpu.cpuMicros * 1000) / anchorEvents).toFixed(0)} ns/item; ` +
      `ratio (fastest delivered / anchor): ${(fastest / anchorRate).toFixed(2)}x\n` +
      `accounting over the run: generated ${stats.generated}, delivered ${delivered}, lost ${lost}, unreported ${stats.unreported}: ` +
      `${delivered + lost + stats.unreported === stats.generated ? 'exact' : 'MISMATCH'}\n` +
      `target >= 250k events/s over loopback with < 1 % loss: ${best !== undefined && (best.step === 0 || best.step >= 250_000) ? 'met' : 'not met'} in this run\n` +
      `load average ${load}\n`,
  );
  reader.destroy();
  await client.close();
  await consumer;
  server.send({ type: 'exit' });
  await new Promise((done) => server.once('exit', done));
}
