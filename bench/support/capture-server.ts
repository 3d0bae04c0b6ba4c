/**
 * The producer side of the loopback capture benchmarks, in its own process
 * (forked by capture-loopback.ts): one MS-LREC session fed by the synthetic
 * provider (128-byte user data) behind the RPC or WebSocket server, and a
 * plain TCP server for the anchor. The parent drives it over IPC: a `step`
 * emits at a rate for a duration (rate 0: as fast as the event loop lets
 * it) and answers with the events generated and this process's CPU time and
 * peak memory during it; `anchor` writes N bytes of whole 232-byte items to
 * the anchor connection in 64 KiB writes with backpressure.
 *
 *   node dist-bench/bench/support/capture-server.js rpc|ws
 */
import { createServer, type Socket } from 'node:net';
import { startLrecTcpServer, startLrecWsServer } from '../../src/node/capture/index.js';
import { itemBytes } from './capture-anchor.js';
import {
  BENCH_TOKEN,
  PAYLOAD,
  benchSession,
  type ServerMessage,
  type ParentMessage,
} from './capture-loopback.js';

const transport = process.argv[2] === 'ws' ? 'ws' : 'rpc';
const { table, session, synthetic } = benchSession({ timerMs: 100 });
const send = (message: ServerMessage) => process.send?.(message);

const rpc =
  transport === 'rpc'
    ? await startLrecTcpServer({ table, port: 0, insecureNoAuth: true })
    : undefined;
const ws =
  transport === 'ws'
    ? await startLrecWsServer({ table, port: 0, token: BENCH_TOKEN, keepAliveIntervalMs: 0 })
    : undefined;
// MS-LREC stops the session when its client goes; the bench keeps one client.
let anchorSocket: Socket | undefined;
const anchor = createServer((socket) => {
  anchorSocket = socket;
  socket.on('error', () => undefined);
});
await new Promise<void>((done) => anchor.listen(0, '127.0.0.1', done));
const anchorPort = (anchor.address() as { port: number }).port;

/**
 * Emits at `rate` events/s (0: CHUNK per turn) for `durationMs`; peak memory
 * sampled every 64 turns. Paced steps emit what fell due each ~1 ms tick, but
 * at most `burstCap(rate)` events per turn: a late tick is made up over the
 * next turns (setImmediate, so the transport runs in between), not in one
 * burst larger than the session (4,512 events) that would lose events
 * whatever the transport does. The largest burst and the largest gap between
 * turns are reported, so a scheduler stall shows next to the loss it causes.
 */
function step(rate: number, durationMs: number): Promise<void> {
  const CHUNK = 512;
  const before = synthetic.generated;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let peakRss = 0;
  let peakHeap = 0;
  let peakBuffered = 0;
  let turns = 0;
  let maxBurst = 0;
  let maxGapMs = 0;
  let lastTurnMs = 0;
  // Four ticks' worth at the target rate (at least 64): 1,000 events at 250k/s.
  const cap = rate === 0 ? CHUNK : Math.max(64, Math.ceil((4 * rate) / 1000));
  return new Promise((done) => {
    const turn = () => {
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      maxGapMs = Math.max(maxGapMs, elapsedMs - lastTurnMs);
      lastTurnMs = elapsedMs;
      if (elapsedMs >= durationMs) {
        const used = process.cpuUsage(cpu);
        send({
          type: 'stepDone',
          generated: synthetic.generated - before,
          seconds: elapsedMs / 1000,
          cpuMicros: used.user + used.system,
          peakRss,
          peakHeap,
          peakBuffered,
          maxBurst,
          maxGapMs,
        });
        done();
        return;
      }
      const due =
        rate === 0 ? CHUNK : Math.floor((rate * elapsedMs) / 1000) - (synthetic.generated - before);
      const burst = Math.min(due, cap);
      if (burst > 0) synthetic.emit(burst);
      maxBurst = Math.max(maxBurst, burst);
      if (++turns % 64 === 0) {
        const memory = process.memoryUsage();
        peakRss = Math.max(peakRss, memory.rss);
        peakHeap = Math.max(peakHeap, memory.heapUsed);
        peakBuffered = Math.max(peakBuffered, ws?.stats().bufferedBytes ?? 0);
      }
      // A paced step sleeps between ~1 ms ticks (so its CPU per event is the
      // work, not a spinning loop); the max step yields a turn only.
      // Behind (a late tick): catch up on the next turn, in bursts of `cap`.
      if (rate === 0 || due > cap) setImmediate(turn);
      else setTimeout(turn, 1);
    };
    setImmediate(turn);
  });
}

/** Writes `bytes` of whole items to the anchor reader, 64 KiB at a time, with backpressure. */
function writeAnchor(bytes: number): void {
  const socket = anchorSocket;
  if (socket === undefined) throw new Error('no anchor reader');
  const item = itemBytes(PAYLOAD);
  const block = Buffer.alloc(65_536 - (65_536 % item), 0x5a);
  const cpu = process.cpuUsage();
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const chunk = left >= block.length ? block : block.subarray(0, left);
      left -= chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    const used = process.cpuUsage(cpu);
    send({ type: 'anchorDone', cpuMicros: used.user + used.system });
  };
  pump();
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'step') void step(message.rate, message.durationMs);
  else if (message.type === 'anchor') writeAnchor(message.bytes);
  else if (message.type === 'stats') {
    send({
      type: 'stats',
      unreported: session.stats().unreportedLost,
      generated: synthetic.generated,
    });
  } else {
    anchorSocket?.destroy();
    void Promise.all([rpc?.close(), ws?.close(), new Promise((done) => anchor.close(done))]).then(
      () => process.exit(0),
    );
  }
});

send({ type: 'ready', port: rpc?.port ?? ws?.port ?? 0, anchorPort });
