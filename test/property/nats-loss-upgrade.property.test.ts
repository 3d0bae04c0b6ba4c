/**
 * The first start after an upgrade from a netrx without loss floors
 * (verify16c V1, V2; loss-upgrade.ts) over the fake JetStream. Before the
 * upgrade, hosts of several publisher runs fill a small stream and their
 * loss reports are read by old loss durables (legacy: no
 * `inactive_threshold`), each of a server whose client got the loss of a
 * prefix of its filter (its acks; drawn: none, some, all) and that may also
 * have acked later reports it never counted, past a gap (a standby's
 * acks). After it, each old server comes back either under the same
 * durable (V1: drift) or under a new id that names the old one (V2), a
 * fresh standby may run beside them, more loss may follow, and a holder
 * may stop so another takes its hosts over. Drawn too: the stream limit,
 * the publisher settings and the hosts each old server read. Then
 *   events delivered + loss counted after + loss the old clients got == generated:
 * no old loss is counted again, none is missed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionTable, type EventBufferMeta, type SessionHandle } from '../../src/capture/index.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { parseLossReport } from '../../src/node/cluster/loss-reports.js';
import { StreamSessionSource } from '../../src/node/cluster/reader.js';
import { lossFilterSubject, parseSubject } from '../../src/node/cluster/subjects.js';
import { makeHost, readBuffer, settle, type TestHost } from '../../src/node/cluster/test-kit.js';
import type { PendingReceive } from '../../src/receive/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';

const HOSTS = ['lab-1', 'lab-2'] as const;
const RUNS = ['run1', 'run2'] as const;

const oldServer = fc.record({
  /** V1: the same durable after the upgrade; V2: a new id that adopts this one. */
  mode: fc.constantFrom('same' as const, 'renamed' as const),
  hosts: fc.constantFrom('lab-*', 'lab-1', 'lab-2'),
  /** Quarters of its filter's reports its client got (acked in order): none to all. */
  delivered: fc.integer({ min: 0, max: 4 }),
  /** Also acked some reports after a gap it never counted (held back as a standby). */
  strayAcks: fc.boolean(),
});

const emit = fc.record({
  host: fc.nat(HOSTS.length - 1),
  run: fc.nat(RUNS.length - 1),
  count: fc.integer({ min: 1, max: 6 }),
});

const settings = fc.record({
  maxMsgs: fc.integer({ min: 1, max: 6 }),
  maxBatchEvents: fc.integer({ min: 1, max: 4 }),
  olds: fc.array(oldServer, { minLength: 1, maxLength: 2 }),
  before: fc.array(emit, { minLength: 1, maxLength: 8 }),
  after: fc.array(emit, { maxLength: 4 }),
  standby: fc.boolean(),
  /** The first new server stops (cleanly) once it read a while: its hosts move. */
  handOver: fc.boolean(),
});

/** Microtasks only, enough for an upgrade's chain of answers. */
async function settleLong(): Promise<void> {
  for (let i = 0; i < 6; i++) await settle();
}

function newServer(
  clock: VirtualClock,
  stream: FakeJetStream,
  hosts: string,
  identity: { durable: string; upgradedFrom?: string },
  seen: Set<string>,
) {
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts,
    clock,
    ...identity,
  });
  const session = table.createSession({
    name: 'lab',
    providers: [],
    source,
    limits: { timerMs: 100, bufferBytes: 4096, maxBuffers: 64 },
  });
  session.start();
  let handle: SessionHandle | undefined = table.openSession('lab');
  let pending: PendingReceive<EventBufferMeta> | undefined;
  const got = { delivered: 0, lost: 0, twice: 0 };
  const collect = () => {
    const done = pending?.result;
    if (done === undefined) return;
    pending = undefined;
    if (done.status !== 'data') throw new Error(`receive failed: ${done.status}`);
    const buffer = readBuffer(done.data);
    for (const e of buffer.events) {
      const key = `${e.host}/${e.seq}`;
      if (seen.has(key)) got.twice++;
      seen.add(key);
    }
    got.delivered += buffer.events.length;
    got.lost += buffer.lost;
  };
  return {
    got,
    source,
    read() {
      if (handle === undefined) return;
      collect();
      pending ??= table.receiveData(handle);
      collect();
    },
    quiet() {
      const st = session.stats();
      return st.queuedEvents === 0 && st.unreportedLost === 0;
    },
    get open() {
      return handle !== undefined;
    },
    stop() {
      collect();
      if (handle !== undefined) table.closeSession(handle);
      collect();
      handle = undefined;
    },
  };
}

/** What the old servers' clients got: per host/run, the highest count among reports they acked in order. */
function oldClientsGot(
  reports: readonly { subject: string; data: Uint8Array; seq: number }[],
  cuts: readonly { regex: RegExp; upTo: number }[],
): number {
  const best = new Map<string, number>();
  for (const r of reports) {
    if (!cuts.some((c) => c.regex.test(r.subject) && r.seq <= c.upTo)) continue;
    const subject = parseSubject(r.subject, 'netrxloss');
    const report = parseLossReport(r.data);
    if (subject === undefined || report === undefined) continue;
    const key = `${subject.host}/${report.instance}`;
    best.set(key, Math.max(best.get(key) ?? 0, report.lost));
  }
  return [...best.values()].reduce((a, b) => a + b, 0);
}

async function emitAll(
  hosts: TestHost[][],
  emits: readonly { host: number; run: number; count: number }[],
  generated: { n: number },
) {
  for (const e of emits) {
    const host = hosts[e.host]![e.run]!;
    for (let k = 0; k < e.count; k++) await host.emitAlone(generated.n++);
  }
}

describe('an upgrade from a netrx without loss floors (property, verify16c V1 V2)', () => {
  it('events + loss counted after + loss the old clients got == generated', async () => {
    await fc.assert(
      fc.asyncProperty(settings, async (s) => {
        const clock = new VirtualClock(1_700_000_000_000);
        const stream = new FakeJetStream({ maxMsgs: s.maxMsgs });
        const hosts = HOSTS.map((name) =>
          RUNS.map((instance) =>
            makeHost(clock, stream, name, {
              maxBatchEvents: s.maxBatchEvents,
              maxInFlight: 1,
              instance,
            }),
          ),
        );
        const generated = { n: 0 };
        await emitAll(hosts, s.before, generated);
        await settleLong();
        // Before the upgrade: the old servers' durables, their acks as their clients got loss.
        const reports: { subject: string; data: Uint8Array; seq: number }[] = [];
        for await (const r of stream.lossUpgrade.reportsUpTo(
          'netrx-loss-lab',
          'netrxloss.lab.*.*',
          Infinity,
        )) {
          reports.push(r);
        }
        const cuts: { regex: RegExp; upTo: number }[] = [];
        s.olds.forEach((old, i) => {
          const filter = lossFilterSubject('lab', old.hosts);
          const regex = new RegExp(`^${filter.replace(/\./g, '\\.').replace(/\*/g, '[^.]+')}$`);
          const mine = reports.filter((r) => regex.test(r.subject));
          const count = Math.floor(mine.length * (old.delivered / 4));
          const upTo = count === 0 ? 0 : mine[count - 1]!.seq;
          cuts.push({ regex, upTo });
          // Stray acks skip the report after the cut: the ack floor stays at the cut.
          const stray = new Set(
            old.strayAcks
              ? mine
                  .slice(count + 1)
                  .filter((_, k) => k % 2 === 1)
                  .map((r) => r.seq)
              : [],
          );
          stream.legacyLossDurable(
            `netrx-reader-lab-old${i}-loss`,
            filter,
            (r) => r.seq <= upTo || stray.has(r.seq),
          );
        });
        const oldGot = oldClientsGot(reports, cuts);
        // After it: each old server back under its durable (V1) or a new id naming it (V2).
        const seen = new Set<string>();
        const servers: ReturnType<typeof newServer>[] = [];
        for (const [i, old] of s.olds.entries()) {
          const identity =
            old.mode === 'same'
              ? { durable: `netrx-reader-lab-old${i}` }
              : { durable: `netrx-reader-lab-new${i}`, upgradedFrom: `netrx-reader-lab-old${i}` };
          servers.push(newServer(clock, stream, old.hosts, identity, seen));
          await settleLong();
        }
        if (s.standby)
          servers.push(
            newServer(clock, stream, 'lab-*', { durable: 'netrx-reader-lab-standby' }, seen),
          );
        await settleLong();
        await emitAll(hosts, s.after, generated);
        const drain = async (rounds: number) => {
          for (let round = 0; round < rounds; round++) {
            await settleLong();
            stream.deliver();
            await settleLong();
            for (const x of servers) x.read();
            clock.advance(150);
            await settleLong();
            for (const x of servers) x.read();
          }
        };
        await drain(4);
        if (s.handOver) {
          const first = servers[0]!;
          for (let round = 0; round < 8 && !first.quiet(); round++) await drain(1);
          if (first.quiet()) {
            first.stop();
            stream.expireIdleConsumers();
          }
        }
        // A last server of every host reads whatever no one else reads.
        servers.push(newServer(clock, stream, 'lab-*', { durable: 'netrx-reader-lab-last' }, seen));
        for (let round = 0; round < 400; round++) {
          await drain(1);
          const waiting = await stream.streamHosts('netrx-lab', 'lab');
          if (
            hosts.flat().every((h) => h.publisher.settled) &&
            waiting.length === 0 &&
            servers.every((x) => !x.open || x.quiet())
          ) {
            break;
          }
          stream.expireIdleConsumers();
        }
        for (const x of servers) x.stop();
        const lostAfter = servers.reduce((n, x) => n + x.got.lost, 0);
        expect({
          delivered: seen.size,
          lostAfter,
          oldGot,
          sum: seen.size + lostAfter + oldGot,
        }).toEqual({
          delivered: seen.size,
          lostAfter,
          oldGot,
          sum: generated.n,
        });
        expect(servers.reduce((n, x) => n + x.got.twice, 0)).toBe(0);
        // No old durable is left to live for ever (N8's leak after V2).
        expect(
          stream
            .lossDurableNames()
            .filter(
              (n) =>
                /old\d-loss$/.test(n) && s.olds[Number(n.match(/old(\d)/)![1])]!.mode === 'renamed',
            ),
        ).toEqual([]);
      }),
      { numRuns: 100 },
    );
  }, 180_000);
});
