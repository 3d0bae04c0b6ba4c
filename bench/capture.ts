/**
 * Event capture in-process: the synthetic provider (128-byte user data)
 * through netrx/trace into one MS-LREC event session, and a client that
 * keeps a receive posted and takes every EVENT_BUFFER, against the physical
 * limit in-process: copying the same 232-byte items into 64 KiB buffers
 * with no session at all, by wall-clock rate and by CPU time per event
 * (process.cpuUsage, interleaved, with the load average). Then a client that reads only after every 32nd
 * chunk of 256 events: loss must be exactly accounted (delivered + lost = generated).
 *
 *   npm run bench -- capture
 */
import { loadavg } from 'node:os';
import type { SessionHandle } from '../src/capture/index.js';
import type { PendingReceive } from '../src/receive/index.js';
import type { EventBufferMeta } from '../src/capture/index.js';
import { compare } from './harness.js';
import { copyItems } from './support/capture-anchor.js';
import { cpuPerItemInterleaved } from './support/cpu-interleaved.js';
import { PAYLOAD, benchSession } from './support/capture-loopback.js';

const { table, session, synthetic } = benchSession({ timerMs: 1000 });
const handle: SessionHandle = table.openSession('bench');
let op: PendingReceive<EventBufferMeta> = table.receiveData(handle);
let delivered = 0;
let lost = 0;

/** Counts every completed receive and posts the next one (unless the session has stopped). */
function drain(from: SessionHandle, repost = true): void {
  while (op.result !== undefined) {
    const result = op.result;
    if (result.status === 'data') {
      delivered += result.meta.events;
      lost += result.meta.lost;
    }
    if (!repost) return;
    op = table.receiveData(from);
  }
}

const CHUNK = 256;
const ours = (n: number): void => {
  for (let i = 0; i < n; i += CHUNK) {
    synthetic.emit(Math.min(CHUNK, n - i));
    drain(handle);
  }
};
const anchor = (n: number): void => {
  copyItems(n, PAYLOAD);
};

/** CPU time per event, ours and the anchor interleaved (support/cpu-interleaved.ts). */
function cpuPerEvent(n: number, rounds = 7): { ours: number; anchor: number } {
  const [oursNs = NaN, anchorNs = NaN] = cpuPerItemInterleaved([ours, anchor], n, {
    rounds,
    warmUp: n / 10,
  });
  return { ours: oursNs, anchor: anchorNs };
}

await compare(
  'capture: synthetic → session → EVENT_BUFFER',
  {
    name: 'netrx session',
    run: ours,
  },
  {
    name: 'memcpy of the same 232-byte items into 64 KiB buffers',
    run: anchor,
  },
  1_000_000,
);
const cpu = cpuPerEvent(1_000_000);
process.stdout.write(
  `cpu per event: netrx session ${cpu.ours.toFixed(1)} ns, memcpy anchor ${cpu.anchor.toFixed(1)} ns, ` +
    `ratio ${(cpu.ours / cpu.anchor).toFixed(2)}x the anchor's (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n`,
);

// Flush what is left, then check the accounting of the fast client.
session.stop();
drain(handle, false);
const fast = { generated: synthetic.generated, delivered, lost, stats: session.stats() };
process.stdout.write(
  `fast client: generated ${fast.generated}, delivered ${fast.delivered}, lost ${fast.lost}, ` +
    `unreported ${fast.stats.unreportedLost}: ${fast.delivered + fast.lost + fast.stats.unreportedLost === fast.generated ? 'exact' : 'MISMATCH'}\n`,
);

// A slow client: takes buffers only every 32nd chunk of 256 events, so the queue overflows.
session.start();
const slowHandle = table.openSession('bench');
const before = synthetic.generated;
delivered = 0;
lost = 0;
op = table.receiveData(slowHandle);
const started = process.hrtime.bigint();
for (let i = 0; i < 2_000_000; i += CHUNK) {
  synthetic.emit(CHUNK);
  if ((i / CHUNK) % 32 === 0) drain(slowHandle);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
// Take what is ready, leave a receive pending: Stop completes it with the rest counted as lost.
drain(slowHandle);
session.stop();
drain(slowHandle, false);
const generated = synthetic.generated - before;
process.stdout.write(
  `slow client: generated ${generated} in ${seconds.toFixed(2)} s (${(generated / seconds / 1e6).toFixed(2)} M/s offered), ` +
    `delivered ${delivered}, lost ${lost}, unreported ${session.stats().unreportedLost}: ` +
    `${delivered + lost === generated ? 'exact' : 'MISMATCH'}\n`,
);
