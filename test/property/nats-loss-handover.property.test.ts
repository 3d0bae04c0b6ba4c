/**
 * The loss hand-over (review16c N2, N5; loss-floors.ts) over the fake
 * JetStream: the servers of one serve entry (`lab-*`) come and go while
 * hosts fill a small stream. Drawn: the stream limit and publisher
 * settings, and any sequence of emits, deliveries, clients that read (or
 * do not yet), client reopens, servers started (a standby beside a live
 * holder, or a cold replacement once none runs), servers stopped cleanly
 * (once their client has everything) and servers killed at any moment
 * (their client never gets what was queued), claims lapsing and clock
 * steps. Once a last server has read everything, across all servers
 *   distinct events delivered + Σ NET_EVENT_LOST == events generated,
 * and no event is delivered twice unless a server was killed (the rest of
 * its last message comes again): loss is counted exactly once whether the
 * holder died before or after its client took the loss.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionTable, type EventBufferMeta, type SessionHandle } from '../../src/capture/index.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import type {
  ConsumePort,
  PublishOutcome,
  PublishPort,
  StreamMessage,
} from '../../src/node/cluster/ports.js';
import { StreamSessionSource } from '../../src/node/cluster/reader.js';
import { makeHost, readBuffer, settle } from '../../src/node/cluster/test-kit.js';
import type { PendingReceive } from '../../src/receive/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';

const HOSTS = ['lab-1', 'lab-2'] as const;

type Op =
  | { kind: 'emit'; host: number; count: number; alone: boolean }
  | { kind: 'deliver'; max: number }
  | { kind: 'read'; server: number }
  | { kind: 'reopen'; server: number }
  | { kind: 'start' }
  | { kind: 'stop'; server: number }
  | { kind: 'kill'; server: number }
  | { kind: 'lapse' }
  | { kind: 'advance'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('emit' as const),
      host: fc.nat(HOSTS.length - 1),
      count: fc.integer({ min: 1, max: 12 }),
      alone: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      max: fc.integer({ min: 1, max: 20 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), server: fc.nat(3) }) },
  fc.record({ kind: fc.constant('reopen' as const), server: fc.nat(3) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('start' as const) }) },
  fc.record({ kind: fc.constant('stop' as const), server: fc.nat(3) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kill' as const), server: fc.nat(3) }) },
  fc.record({ kind: fc.constant('lapse' as const) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 2500 }) }),
);

const settings = fc.record({
  maxMsgs: fc.integer({ min: 1, max: 12 }),
  maxBatchEvents: fc.integer({ min: 1, max: 8 }),
  maxInFlight: fc.integer({ min: 1, max: 4 }),
  eventsPerBuffer: fc.integer({ min: 0, max: 5 }),
});

/** The fake as one server process sees it: killing the process cuts it off at once. */
function processPort(stream: FakeJetStream) {
  const handles = new Set<{ stop(): void }>();
  let dead = false;
  const port: ConsumePort & PublishPort = {
    consume(spec, onMessage, onError, gate) {
      if (dead) return { stop: () => undefined };
      // A dead process acks nothing: its timers still run here (the session object lives
      // on), so a buffer it completes after the kill must not ack what its client never got.
      const alive = (m: StreamMessage): StreamMessage => ({
        subject: m.subject,
        data: m.data,
        seq: m.seq,
        ...(m.msgId === undefined ? {} : { msgId: m.msgId }),
        ...(m.storedAtMs === undefined ? {} : { storedAtMs: m.storedAtMs }),
        ack: () => {
          if (!dead) m.ack();
        },
        nak: () => {
          if (!dead) m.nak();
        },
      });
      const handle = stream.consume(spec, (m) => onMessage(alive(m)), onError, gate);
      handles.add(handle);
      return {
        stop: () => {
          handles.delete(handle);
          handle.stop();
        },
      };
    },
    streamHosts: (stream_, session) => stream.streamHosts(stream_, session),
    lastMessage: (stream_, subject) =>
      dead ? Promise.reject(new Error('process dead')) : stream.lastMessage(stream_, subject),
    publish: (subject, data, msgId): Promise<PublishOutcome> =>
      dead
        ? Promise.resolve({ kind: 'unsent', reason: 'process dead' })
        : stream.publish(subject, data, msgId),
  };
  return {
    port,
    kill() {
      dead = true;
      for (const handle of [...handles]) handle.stop();
      handles.clear();
    },
  };
}

/** One server of the entry (its own durables) and what its client got. */
function server(
  clock: VirtualClock,
  stream: FakeJetStream,
  name: string,
  eventsPerBuffer: number,
  seen: Set<string>,
  twice: { count: number },
) {
  const { port, kill } = processPort(stream);
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const source = new StreamSessionSource({
    port,
    session: 'lab',
    hosts: 'lab-*',
    durable: `netrx-reader-lab-${name}`,
    clock,
  });
  const session = table.createSession({
    name: 'lab',
    providers: [],
    source,
    limits: { timerMs: 100, bufferBytes: 4096, maxBuffers: 64, eventsPerBuffer },
  });
  session.start();
  let handle: SessionHandle | undefined = table.openSession('lab');
  let pending: PendingReceive<EventBufferMeta> | undefined;
  const got = { delivered: 0, lost: 0 };
  const collect = () => {
    const done = pending?.result;
    if (done === undefined) return;
    pending = undefined;
    if (done.status !== 'data') throw new Error(`receive failed: ${done.status}`);
    const buffer = readBuffer(done.data);
    for (const e of buffer.events) {
      const key = `${e.host}/${e.seq}`;
      // Twice only after a kill: the rest of the dead holder's last message comes again
      // (at least once for one buffer, docs/cluster.md).
      if (seen.has(key)) twice.count++;
      seen.add(key);
    }
    got.delivered += buffer.events.length;
    got.lost += buffer.lost;
  };
  return {
    got,
    session,
    /** The client posts a receive (or collects the one it posted). */
    read() {
      if (handle === undefined) return;
      collect();
      pending ??= table.receiveData(handle);
      collect();
    },
    reopen() {
      collect();
      if (handle !== undefined) table.closeSession(handle);
      collect();
      handle = table.openSession('lab');
      pending = undefined;
    },
    /** Only once its client has everything (what a closing session discards is documented). */
    quiet() {
      const st = session.stats();
      return st.queuedEvents === 0 && st.unreportedLost === 0;
    },
    stop() {
      collect();
      if (handle !== undefined) table.closeSession(handle);
      collect();
      handle = undefined;
    },
    /** The process dies: nothing more reaches its client. */
    kill() {
      // A receive already answered reached the client; nothing after it does.
      collect();
      kill();
      handle = undefined;
      pending = undefined;
    },
  };
}

type Settings = typeof settings extends fc.Arbitrary<infer T> ? T : never;

/**
 * verify16d N2 (found by this property at 2000 runs, seed 1012864290, run
 * 878; 150 runs rarely reach it): the holder's client reads a buffer that
 * carries one loss while one more waits, and the holder is killed 100 ms
 * later. Before r-n2 no floor was stored for the part carried, so the next
 * server counted it again (sum 4 of 3); since, each delivered buffer
 * stores the floors of the loss it carried (reader-loss.ts).
 */
const readThenKilled: [Settings, Op[]] = [
  { maxMsgs: 1, maxBatchEvents: 1, maxInFlight: 1, eventsPerBuffer: 0 },
  [
    { kind: 'emit', host: 0, count: 2, alone: false },
    { kind: 'deliver', max: 1 },
    { kind: 'emit', host: 1, count: 1, alone: false },
    { kind: 'deliver', max: 1 },
    { kind: 'read', server: 0 },
    { kind: 'advance', ms: 100 },
    { kind: 'kill', server: 0 },
  ],
];

/**
 * review16e L4 (found at draw 15,264, seed 711112693, with verify16d N2
 * undone; the committed draws did not reach it). It failed on main with N2
 * in place as well (sum 6 of 5): the reopen closed the session with a
 * message partly delivered, whose rest the client got as loss in a buffer
 * while a later report's loss still waited; the message was acked only
 * once nothing waited, so after the kill the next server delivered those
 * events again (partly-delivered.ts). So it pins the per-delivery acks:
 * with the whole per-delivery pass undone (nothing floored or acked until
 * nothing waits) it fails (sum 6 of 5); with only the floors undone it
 * passes, and `readThenKilled` is the example that fails (sum 4 of 3).
 */
const partialReopenThenKilled: [Settings, Op[]] = [
  { maxMsgs: 2, maxBatchEvents: 2, maxInFlight: 1, eventsPerBuffer: 1 },
  [
    { kind: 'emit', host: 0, count: 2, alone: false },
    { kind: 'read', server: 0 },
    { kind: 'deliver', max: 1 },
    { kind: 'deliver', max: 1 },
    { kind: 'emit', host: 0, count: 3, alone: false },
    { kind: 'reopen', server: 0 },
    { kind: 'deliver', max: 2 },
    { kind: 'read', server: 0 },
    { kind: 'kill', server: 0 },
  ],
];

/**
 * Found by this property (1 run in 3–6 of 150): a standby kept the holder's
 * loss report (and acked it), its client reopened, and the close forgot the
 * kept report; the holder died before its client got that loss, so the
 * standby took the claim and counted none of it (delivered 1, lost 0 of 2).
 */
const standbyReopenThenHolderKilled: [Settings, Op[]] = [
  { maxMsgs: 1, maxBatchEvents: 1, maxInFlight: 1, eventsPerBuffer: 0 },
  [
    { kind: 'start' },
    { kind: 'emit', host: 0, count: 2, alone: false },
    { kind: 'deliver', max: 1 },
    { kind: 'reopen', server: 1 },
    { kind: 'kill', server: 0 },
  ],
];

/**
 * Found by this property too: a reader counted the loss of a host known only
 * by its loss, its client reopened before getting it (the session's count
 * carries it to the next open; the floors wait for that delivery), and the
 * reopened reader did not claim that host again, so a server started next
 * claimed it, read no floor yet and counted it a second time (lost 2 of 1).
 */
const reopenOwingLossThenStart: [Settings, Op[]] = [
  { maxMsgs: 1, maxBatchEvents: 1, maxInFlight: 1, eventsPerBuffer: 0 },
  [
    { kind: 'emit', host: 0, count: 1, alone: false },
    { kind: 'emit', host: 1, count: 1, alone: false },
    { kind: 'deliver', max: 1 },
    { kind: 'reopen', server: 0 },
    { kind: 'start' },
  ],
];

/**
 * And: a closing session completed its client's receive with the loss, but
 * the reader was not told (the hold was closed first), so no floor was
 * published; the process died and the next server counted it again.
 */
const closeDeliversLossThenKilled: [Settings, Op[]] = [
  { maxMsgs: 1, maxBatchEvents: 1, maxInFlight: 1, eventsPerBuffer: 0 },
  [
    { kind: 'emit', host: 0, count: 2, alone: false },
    { kind: 'deliver', max: 1 },
    { kind: 'read', server: 0 },
    { kind: 'reopen', server: 0 },
    { kind: 'kill', server: 0 },
  ],
];

/**
 * A fault of this test, not of the reader: a killed process's session still
 * fired its timer and acked the event its dead client was given, so the event
 * was neither delivered nor redelivered (`processPort` now drops its acks).
 */
const killedProcessTimerFires: [Settings, Op[]] = [
  { maxMsgs: 1, maxBatchEvents: 1, maxInFlight: 1, eventsPerBuffer: 0 },
  [
    { kind: 'emit', host: 0, count: 1, alone: false },
    { kind: 'advance', ms: 2000 },
    { kind: 'deliver', max: 1 },
    { kind: 'read', server: 0 },
    { kind: 'kill', server: 0 },
    { kind: 'advance', ms: 100 },
  ],
];

/**
 * And (pre-existing): a session closed with the rest of a partly delivered
 * message queued and no receive pending; the message was acked and its rest
 * counted lost only in the session's count, carried to the next open's first
 * buffer. The process died before that buffer: nobody counted the rest
 * (delivered 1, lost 0 of 2). Such a message is now acked only once a client
 * got that loss; a process killed first leaves it to the next holder.
 */
const reopenWithPartRestQueuedThenKilled: [Settings, Op[]] = [
  { maxMsgs: 1, maxBatchEvents: 2, maxInFlight: 1, eventsPerBuffer: 1 },
  [
    { kind: 'deliver', max: 1 },
    { kind: 'emit', host: 0, count: 2, alone: false },
    { kind: 'deliver', max: 1 },
    { kind: 'read', server: 0 },
    { kind: 'reopen', server: 0 },
    { kind: 'kill', server: 0 },
  ],
];

describe('loss hand-over between the servers of one entry (property, review16c N2 N5)', () => {
  it('Σ delivered + Σ lost == generated across holder deaths, standbys, cold replacements and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(settings, fc.array(op, { maxLength: 40 }), async (s, ops) => {
        const clock = new VirtualClock(1_700_000_000_000);
        const stream = new FakeJetStream({ maxMsgs: s.maxMsgs });
        const hosts = HOSTS.map((name) =>
          makeHost(clock, stream, name, {
            maxBatchEvents: s.maxBatchEvents,
            maxInFlight: s.maxInFlight,
          }),
        );
        const seen = new Set<string>();
        const twice = { count: 0 };
        let kills = 0;
        const all: ReturnType<typeof server>[] = [];
        let live: ReturnType<typeof server>[] = [];
        const start = () => {
          const made = server(clock, stream, `s${all.length}`, s.eventsPerBuffer, seen, twice);
          all.push(made);
          live.push(made);
        };
        start();
        const generated = HOSTS.map(() => 0);
        for (const o of ops) {
          const pick = (i: number) => (live.length === 0 ? undefined : live[i % live.length]);
          switch (o.kind) {
            case 'emit': {
              const host = hosts[o.host]!;
              for (let k = 0; k < o.count; k++) {
                if (o.alone) await host.emitAlone(generated[o.host]!++);
                else host.emit(generated[o.host]!++);
              }
              break;
            }
            case 'deliver':
              stream.deliver(o.max);
              break;
            case 'read':
              pick(o.server)?.read();
              break;
            case 'reopen':
              pick(o.server)?.reopen();
              break;
            case 'start':
              if (live.length < 3) start();
              break;
            case 'stop': {
              // A clean stop: its client reads what is queued first (up to a few buffers).
              const chosen = pick(o.server);
              for (let round = 0; round < 8 && chosen?.quiet() === false; round++) {
                chosen.read();
                clock.advance(150);
                await settle();
                chosen.read();
              }
              if (chosen?.quiet() === true) {
                chosen.stop();
                live = live.filter((x) => x !== chosen);
              }
              break;
            }
            case 'kill': {
              const chosen = pick(o.server);
              if (chosen !== undefined) kills++;
              chosen?.kill();
              live = live.filter((x) => x !== chosen);
              break;
            }
            case 'lapse':
              // The claims of servers gone expire (inactive_threshold).
              stream.expireIdleConsumers();
              break;
            case 'advance':
              clock.advance(o.ms);
              break;
          }
          await settle();
        }
        // A last server reads everything once the dead ones' claims lapsed.
        if (live.length === 0) start();
        stream.expireIdleConsumers();
        for (let round = 0; round < 2000; round++) {
          await settle();
          stream.deliver();
          await settle();
          for (const x of live) x.read();
          const waiting = await stream.streamHosts('netrx-lab', 'lab');
          if (
            hosts.every((h) => h.publisher.settled) &&
            waiting.length === 0 &&
            live.every((x) => x.quiet())
          ) {
            break;
          }
          clock.advance(250);
          for (const x of live) x.read();
        }
        for (const x of live) x.stop();
        const total = generated.reduce((a, b) => a + b, 0);
        // Each event once (by its key), each loss once: exactly generated.
        const lost = all.reduce((n, x) => n + x.got.lost, 0);
        expect({ delivered: seen.size, lost, sum: seen.size + lost }).toEqual({
          delivered: seen.size,
          lost,
          sum: total,
        });
        if (kills === 0) expect(twice.count).toBe(0);
      }),
      {
        numRuns: 150,
        examples: [
          standbyReopenThenHolderKilled,
          reopenOwingLossThenStart,
          closeDeliversLossThenKilled,
          killedProcessTimerFires,
          reopenWithPartRestQueuedThenKilled,
          readThenKilled,
          partialReopenThenKilled,
        ],
      },
    );
  }, 180_000);
});
