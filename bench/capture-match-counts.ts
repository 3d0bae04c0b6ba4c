/**
 * What the host's counting listeners cost the trace bus (capture-match-counts.ts,
 * review M3: one listener per configured capture session, always on, so a
 * dashboard can weigh a gap; the review of issue 14 noted it unmeasured).
 *
 * A per-packet event with fields (RadiusResponseSent: a string and four
 * numbers, as the RADIUS server writes one per response) emitted through
 * netrx/trace, CPU time per event (process.cpuUsage: user + system, this
 * process only, so the machine's other load counts far less than in
 * wall-clock time), medians of interleaved rounds, each case against the
 * anchor in the same run: the same bus with no listener at all.
 *
 * - 0, 1 and 8 counting sessions (SessionMatchCounts with that many entries,
 *   each on the provider): with nothing else listening, the first one pays
 *   the payload's encoding;
 * - the same with one other listener already there (an open capture session,
 *   a dashboard's pcapng history): the encoding is paid, a counter adds a call.
 *
 *   npm run bench -- capture-match-counts
 */
import { loadavg } from 'node:os';
import { SessionMatchCounts } from '../src/node/host/capture-match-counts.js';
import type { SessionEntry } from '../src/node/host/capture-sessions.js';
import { systemClock } from '../src/node/runtime/index.js';
import { RADIUS_PROVIDER, RadiusEventDescriptor } from '../src/radius/index.js';
import { TraceRegistry } from '../src/trace/index.js';
import { cpuPerItemInterleaved } from './support/cpu-interleaved.js';

const EVENTS = 400_000;
const ROUNDS = 9;

interface Case {
  readonly name: string;
  readonly sessions: number;
  readonly otherListener: boolean;
}

const CASES: readonly Case[] = [
  { name: 'no listener (anchor)', sessions: -1, otherListener: false },
  { name: '0 sessions', sessions: 0, otherListener: false },
  { name: '1 session', sessions: 1, otherListener: false },
  { name: '8 sessions', sessions: 8, otherListener: false },
  { name: 'one other listener (anchor 2)', sessions: -1, otherListener: true },
  { name: 'one other listener + 1 session', sessions: 1, otherListener: true },
  { name: 'one other listener + 8 sessions', sessions: 8, otherListener: true },
];

const entry = (i: number): SessionEntry => ({
  name: `s${i}`,
  providers: [RADIUS_PROVIDER.name],
  level: 5,
  queueEvents: 65_536,
});

/** A bus set up as `c` says, and a function emitting `n` events on it. */
function setUp(c: Case): { emit: (n: number) => void; close: () => void } {
  const trace = new TraceRegistry({ clock: systemClock });
  const provider = trace.register(RADIUS_PROVIDER);
  let seen = 0;
  const other = c.otherListener
    ? trace.enable(RADIUS_PROVIDER.name, () => {
        seen++;
      })
    : undefined;
  const counts = c.sessions < 0 ? undefined : new SessionMatchCounts(trace);
  counts?.sync(Array.from({ length: c.sessions }, (_, i) => entry(i)));
  const values = { address: '127.0.0.1', port: 40000, code: 11, identifier: 0, duplicate: false };
  return {
    emit(n) {
      for (let i = 0; i < n; i++) {
        values.identifier = i & 0xff;
        provider.emit(RadiusEventDescriptor.responseSent, values);
      }
    },
    close() {
      counts?.close();
      other?.disable();
      if (c.otherListener && seen === 0) throw new Error('the other listener saw nothing');
      if (c.sessions > 0 && counts?.matched('s0') === 0) throw new Error('s0 counted nothing');
    },
  };
}

const runs = CASES.map(setUp);
const heapBefore = process.memoryUsage().heapUsed;
const figures = cpuPerItemInterleaved(
  runs.map((run) => run.emit),
  EVENTS,
  { rounds: ROUNDS, warmUp: EVENTS / 4 },
);
const heapAfter = process.memoryUsage().heapUsed;
for (const run of runs) run.close();

const anchor = figures[0] ?? NaN;
const anchor2 = figures[4] ?? NaN;
process.stdout.write(
  `capture-match-counts: CPU per RadiusResponseSent event, median of ${ROUNDS} interleaved rounds of ${EVENTS} ` +
    `(load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n`,
);
CASES.forEach((c, i) => {
  const ns = figures[i] ?? NaN;
  const base = c.otherListener ? anchor2 : anchor;
  process.stdout.write(
    `  ${c.name.padEnd(34)} ${ns.toFixed(1).padStart(7)} ns  ${(ns / base).toFixed(2)}x ${c.otherListener ? 'anchor 2' : 'the anchor'}\n`,
  );
});
process.stdout.write(
  `  heap used after the rounds: ${((heapAfter - heapBefore) / 1024).toFixed(0)} KiB against before (a gc before each round)\n`,
);
