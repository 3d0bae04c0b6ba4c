/**
 * Capture fan-in with several readers on one work-queue stream, against a
 * real nats-server (Debian nats-server v2.9.10, recorded in
 * RECORDED_NATS_VERSION; under CI=true a missing server fails the suite).
 * A private `nats-server -js` on a free loopback port with its own store
 * directory (cl-queue2-*), killed by its PID.
 *
 * The regression tests of the outside review's F1 and F2 (its `it.fails`
 * tests in cluster-review:test/interop/cluster-review-capture.test.ts, which
 * failed on main 9a7743a): each reader takes each matching host with a
 * consumer of its own (literal filter), so readers of `lab-*` and `prod-*`
 * on one stream each get exactly their hosts' events, a literal `prod-1`
 * reader after a `lab-*` reader still finds prod-1's events, a second
 * server on the same entry is refused until the first one's claims expire
 * and then takes over, and a host that appears mid-session is picked up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/capture/index.js';
import {
  StreamSessionSource,
  connectNatsCapture,
  type NatsCaptureLink,
} from '../../src/node/cluster/index.js';
import { hostFromActivityId } from '../../src/node/cluster/subjects.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';
import {
  RECORDED_NATS_VERSION,
  delay,
  natsAlone,
  publishingHost,
  requireNatsServer,
  until,
  type NatsNode,
  type PublishingHost,
} from './support/nats.js';

const peers = requireNatsServer('nats-fan-in-claims.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `cl-queue2-nats-${process.pid}-`));
let server: NatsNode | undefined;
const links: NatsCaptureLink[] = [];
const readers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  server = await natsAlone(workdir);
  await server.start();
}, 20_000);

afterAll(async () => {
  for (const reader of readers) await reader.close().catch(() => undefined);
  for (const link of links) await link.close().catch(() => undefined);
  await server?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

/** A link of its own (one per netrx process); its idle consumers expire after `claimExpiresMs`. */
async function link(claimExpiresMs = 15_000): Promise<NatsCaptureLink> {
  const l = await connectNatsCapture({
    servers: (server as NatsNode).url,
    timeoutMs: 2000,
    claimExpiresMs,
  });
  links.push(l);
  return l;
}

/** A reader as capture-nats.ts builds one for serve entry `entry` on server `serverHost`. */
function servedSession(
  port: NatsCaptureLink,
  stream: string,
  entry: string,
  hosts: string,
  serverHost = 'dash-1',
) {
  const source = new StreamSessionSource({
    port,
    session: stream,
    hosts,
    durable: `netrx-reader-${stream}-${entry}-${serverHost}`,
    clock: systemClock,
    discoverEveryMs: 200,
  });
  const table = new SessionTable({
    registry: new TraceRegistry({ clock: systemClock }),
    clock: systemClock,
  });
  const session = table.createSession({
    name: entry,
    providers: [],
    source,
    limits: { timerMs: 100 },
  });
  session.start();
  const handle = table.openSession(entry);
  const seen = new Map<string, number[]>();
  let lost = 0;
  let lostNotLast = 0;
  let running = true;
  // A paused client asks for no buffer: its events wait in the session's queue, unacked.
  let gate: Promise<void> | undefined;
  let open = () => undefined as void;
  let parked = false;
  const loop = (async () => {
    while (running) {
      if (gate !== undefined) {
        parked = true;
        await gate;
        parked = false;
      }
      const done = await table.receiveData(handle).done;
      if (done.status !== 'data') break;
      const parsed = parseEventBuffer(done.data);
      if (!parsed.ok) throw new Error('bad EVENT_BUFFER');
      parsed.value.forEach((item, index) => {
        if (item.kind === 'lost') {
          if (index !== parsed.value.length - 1) lostNotLast++;
          lost += item.lostEventCount;
        } else if (item.kind === 'event') {
          const host = hostFromActivityId(item.record.header.activityId);
          const u = item.record.userData;
          const seq = new DataView(u.buffer, u.byteOffset, u.byteLength).getUint32(0, true);
          let list = seen.get(host);
          if (list === undefined) seen.set(host, (list = []));
          list.push(seq);
        }
      });
    }
  })();
  let closed = false;
  const reader = {
    source,
    seen,
    get lost() {
      return lost;
    },
    get lostNotLast() {
      return lostNotLast;
    },
    delivered: (host?: string) =>
      host === undefined
        ? [...seen.values()].reduce((n, l) => n + l.length, 0)
        : (seen.get(host)?.length ?? 0),
    accounted: () => reader.delivered() + lost,
    get parked() {
      return parked;
    },
    pause() {
      gate ??= new Promise<void>((resolve) => (open = resolve));
    },
    resume() {
      gate = undefined;
      open();
    },
    async close() {
      if (closed) return;
      closed = true;
      running = false;
      reader.resume();
      table.closeSession(handle);
      await loop;
    },
  };
  readers.push(reader);
  return reader;
}

/** Emits `count` events of `host`, each in a message of its own (a quiet host). */
async function emitAlone(host: PublishingHost, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    host.emit(1);
    await delay(1);
  }
}

async function settled(hosts: readonly PublishingHost[]): Promise<void> {
  await until(
    () => hosts.every((h) => h.publisher.settled),
    15_000,
    'publishes to settle',
    () => hosts.map((h) => h.publisher.stats()),
  );
}

/** Every event of `host` seen at most once, and each one it emitted. */
function expectExactlyOnce(seen: Map<string, number[]>, host: PublishingHost): void {
  const list = seen.get(host.host) ?? [];
  expect(new Set(list).size, `${host.host}: no event twice`).toBe(list.length);
  expect(list.every((seq) => seq >= 0 && seq < host.emitted)).toBe(true);
}

describe.skipIf(peers.skip)(
  `fan-in readers on one work-queue stream (${RECORDED_NATS_VERSION})`,
  () => {
    it("readers of 'lab-*' and 'prod-*' each get exactly their hosts' events, a full stream's refusals counted lost (F1)", async () => {
      const l = await link();
      // 15 messages per host for four quiet hosts of 40 events each: each host is refused some.
      await l.ensureStream('mixed', { maxBytes: 1024 * 1024, maxMsgs: 15 });
      const hosts = await Promise.all(
        ['lab-1', 'lab-2', 'prod-1', 'prod-2'].map(async (name) =>
          publishingHost(await link(), name, 'mixed'),
        ),
      );
      // Round robin, so that every host has events stored as well as refused.
      for (let i = 0; i < 40; i++) for (const host of hosts) await emitAlone(host, 1);
      await settled(hosts);
      const refused = hosts.reduce((n, h) => n + h.publisher.stats().refused, 0);
      expect(refused).toBeGreaterThan(0);
      const lab = servedSession(await link(), 'mixed', 'lab', 'lab-*');
      const prod = servedSession(await link(), 'mixed', 'prod', 'prod-*');
      const ofLab = hosts.filter((h) => h.host.startsWith('lab-'));
      const ofProd = hosts.filter((h) => h.host.startsWith('prod-'));
      const generated = (of: PublishingHost[]) => of.reduce((n, h) => n + h.emitted, 0);
      await until(
        () => lab.accounted() === generated(ofLab) && prod.accounted() === generated(ofProd),
        15_000,
        'each reader accounts for its hosts',
        () => ({ lab: lab.source.stats(), prod: prod.source.stats() }),
      );
      await delay(300); // nothing more arrives
      for (const [reader, mine, others] of [
        [lab, ofLab, ofProd],
        [prod, ofProd, ofLab],
      ] as const) {
        // delivered + lost == generated, per host: what a host lost is its stream refusals.
        for (const host of mine) {
          expectExactlyOnce(reader.seen, host);
          expect(reader.delivered(host.host) + host.publisher.lost).toBe(host.emitted);
        }
        for (const host of others) expect(reader.delivered(host.host)).toBe(0);
        expect(reader.lost).toBe(mine.reduce((n, h) => n + h.publisher.lost, 0));
        expect(reader.lostNotLast).toBe(0);
        expect(reader.source.stats().claimedHosts).toBe(2);
        expect(reader.source.stats().consumerErrors).toEqual({});
      }
      await lab.close();
      await prod.close();
    }, 40_000);

    it("a literal 'prod-1' reader after a 'lab-*' reader has run finds prod-1's events (F1)", async () => {
      const l = await link();
      await l.ensureStream('mixed2', { maxBytes: 1024 * 1024, maxMsgs: 1000 });
      const prod = publishingHost(l, 'prod-1', 'mixed2');
      const lab = publishingHost(await link(), 'lab-1', 'mixed2');
      prod.emit(30);
      lab.emit(30);
      await settled([prod, lab]);
      const labReader = servedSession(await link(), 'mixed2', 'lab', 'lab-*');
      await until(() => labReader.accounted() === 30, 10_000, 'lab-1 delivered');
      await delay(500); // discovery rounds that see prod-1 in the stream
      await labReader.close();
      expect(labReader.delivered('prod-1')).toBe(0);
      expect(labReader.source.stats().filtered).toBe(0);
      const literal = servedSession(await link(), 'mixed2', 'prod1', 'prod-1');
      await until(() => literal.accounted() === 30, 10_000, 'prod-1 delivered to its own reader');
      expectExactlyOnce(literal.seen, prod);
      expect(literal.delivered('prod-1')).toBe(30);
      await literal.close();
    }, 30_000);

    it('a second server on the same entry is refused (10100) while the first holds the claim, then takes over once it expires (F2)', async () => {
      const claimMs = 1500;
      const l = await link();
      await l.ensureStream('shared', { maxBytes: 1024 * 1024, maxMsgs: 1000 });
      const host = publishingHost(l, 'lab-1', 'shared');
      host.emit(20);
      await settled([host]);
      const first = servedSession(await link(claimMs), 'shared', 'lab', 'lab-*', 'dash-1');
      await until(() => first.delivered() === 20, 10_000, 'the first server reads');
      // The first server's client stops asking (its last receive takes these 5): the next
      // 20 wait in its queue, unacked, so lab-1 is in the stream for the second to find.
      first.pause();
      host.emit(5);
      await until(() => first.parked, 10_000, 'the first client parked');
      host.emit(20);
      await settled([host]);
      const second = servedSession(await link(claimMs), 'shared', 'lab', 'lab-*', 'dash-2');
      await until(
        () => (second.source.stats().consumerErrors['10100'] ?? 0) > 0,
        10_000,
        'the second server refused',
        () => second.source.stats(),
      );
      first.resume();
      await until(() => first.delivered() === 45, 10_000, 'the first still reads everything');
      expect(second.delivered()).toBe(0);
      await first.close();
      // The first server's consumers are idle now; the server deletes them after claimMs.
      host.emit(20);
      await settled([host]);
      await until(
        () => second.delivered() === 20,
        claimMs + 15_000,
        'the second server takes over',
        () => second.source.stats(),
      );
      expectExactlyOnce(second.seen, host);
      const all = [...(first.seen.get('lab-1') ?? []), ...(second.seen.get('lab-1') ?? [])];
      expect(all.sort((a, b) => a - b)).toEqual([...Array(65).keys()]);
      expect(first.lost + second.lost).toBe(0);
      await second.close();
    }, 40_000);

    it('a host that appears mid-session is picked up by a glob reader', async () => {
      const l = await link();
      await l.ensureStream('growing', { maxBytes: 1024 * 1024, maxMsgs: 1000 });
      const first = publishingHost(l, 'lab-1', 'growing');
      first.emit(10);
      await settled([first]);
      const reader = servedSession(await link(), 'growing', 'lab', 'lab-*');
      await until(() => reader.delivered() === 10, 10_000, 'lab-1 delivered');
      expect(reader.source.stats().claimedHosts).toBe(1);
      const late = publishingHost(await link(), 'lab-9', 'growing');
      late.emit(25);
      await settled([late]);
      await until(
        () => reader.delivered('lab-9') === 25,
        10_000,
        'the new host discovered',
        () => reader.source.stats(),
      );
      expectExactlyOnce(reader.seen, late);
      expect(reader.source.stats().claimedHosts).toBe(2);
      expect(reader.lost).toBe(0);
      await reader.close();
    }, 30_000);
  },
);
