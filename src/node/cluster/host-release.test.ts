/**
 * review16d D4: a glob reader releases the claim of a host that shows no
 * sign (no message, no loss report, no event in the stream) for
 * RELEASE_IDLE_DISCOVERIES discoveries, and claims it again when it comes
 * back; the loss stays exact across a release and a reclaim. Driven on a
 * VirtualClock: the reader's discovery runs every DISCOVER_EVERY_MS.
 */
import { describe, expect, it } from 'vitest';
import type { SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { DISCOVER_EVERY_MS, HostClaims, RELEASE_IDLE_DISCOVERIES } from './host-claims.js';
import type { ConsumePort } from './ports.js';
import { makeHost, makeReader, readBuffer, settle } from './test-kit.js';

const IDLE_MS = RELEASE_IDLE_DISCOVERIES * DISCOVER_EVERY_MS;

/** A reader of `hosts` with its session open, and a loop that reads what comes for `ms`. */
function openReader(clock: VirtualClock, stream: FakeJetStream, hosts: string) {
  const reader = makeReader(clock, stream, hosts);
  const handle = reader.table.openSession('lab');
  let posted: ReturnType<SessionTable['receiveData']> | undefined;
  const got = { delivered: 0, lost: 0 };
  /** Time passes in steps of 400 or 500 ms, the server delivering and the client receiving. */
  const run = async (ms: number) => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      clock.advance(400);
      await settle();
      stream.deliver();
      await settle();
      posted ??= reader.table.receiveData(handle);
      if (posted.result === undefined) clock.advance(100); // the data completion timer
      await settle();
      const done = posted.result;
      if (done === undefined) continue;
      posted = undefined;
      if (done.status !== 'data') throw new Error(`receive ended: ${done.status}`);
      const buffer = readBuffer(done.data);
      got.delivered += buffer.events.length;
      got.lost += buffer.lost;
    }
  };
  return { ...reader, run, got };
}

/** Hosts that announced a run and stopped: only their retained announcement names them. */
async function departed(clock: VirtualClock, stream: FakeJetStream, hosts: readonly string[]) {
  for (const host of hosts) {
    const gone = makeHost(clock, stream, host, { instance: `${host}-run` });
    await settle();
    gone.publisher.close();
    await settle();
  }
}

describe('a glob reader releases idle claims (review16d D4)', () => {
  it('releases hosts that only announced a run, after RELEASE_IDLE_DISCOVERIES discoveries and not before', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 2 });
    await departed(clock, stream, ['lab-1', 'lab-2', 'lab-3']);
    const reader = openReader(clock, stream, 'lab-*');
    await reader.run(IDLE_MS - DISCOVER_EVERY_MS);
    expect(reader.source.stats()).toMatchObject({ claimedHosts: 3, releasedHosts: 0 });
    await reader.run(2 * DISCOVER_EVERY_MS);
    expect(reader.source.stats()).toMatchObject({ claimedHosts: 0, releasedHosts: 3 });
    expect(reader.errors).toEqual([]);
  });

  it('keeps a host whose events keep coming, and a host whose loss reports keep coming', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 2 });
    const reader = openReader(clock, stream, 'lab-*');
    const busy = makeHost(clock, stream, 'lab-busy');
    const lossy = makeHost(clock, stream, 'lab-lossy');
    const quiet = makeHost(clock, stream, 'lab-quiet');
    await reader.run(1000);
    expect(reader.source.stats().claimedHosts).toBe(3);
    let seq = 0;
    for (let round = 0; round < 10; round++) {
      await busy.emitAlone(seq);
      // Three at once on a budget of two: one refused, so its count grows and it reports.
      for (let i = 0; i < 3; i++) await lossy.emitAlone(seq + i);
      seq += 3;
      await reader.run(IDLE_MS / 4);
    }
    expect(reader.source.stats().releasedHosts).toBe(1);
    expect(reader.source.stats().claimedHosts).toBe(2);
    expect(reader.got.lost).toBe(10);
    expect(reader.got.delivered).toBe(10 + 20);
    for (const host of [busy, lossy, quiet]) host.publisher.close();
  });

  it('claims a released host again when it comes back, and its loss stays exact over two releases', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 2 });
    const reader = openReader(clock, stream, 'lab-*');
    const lab = makeHost(clock, stream, 'lab-1');
    let seq = 0;
    for (let cycle = 1; cycle <= 2; cycle++) {
      await reader.run(IDLE_MS + 2 * DISCOVER_EVERY_MS);
      expect(reader.source.stats()).toMatchObject({ claimedHosts: 0, releasedHosts: cycle });
      // Back: five events on a budget of two, three refused and reported.
      for (let i = 0; i < 5; i++) await lab.emitAlone(seq++);
      await reader.run(10_000);
      expect(reader.source.stats().claimedHosts).toBe(1);
      expect(lab.publisher.stats().refused).toBe(3 * cycle);
      expect(reader.got).toEqual({ delivered: 2 * cycle, lost: 3 * cycle });
    }
    lab.publisher.close();
  });

  it('a literal reader keeps its one claim however long its host is quiet', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 2 });
    await departed(clock, stream, ['lab-1']);
    const reader = openReader(clock, stream, 'lab-1');
    await reader.run(3 * IDLE_MS);
    expect(reader.source.stats()).toMatchObject({ claimedHosts: 1, releasedHosts: 0 });
  });
});

describe('HostClaims idle release, alone (review16d D4)', () => {
  /** A port whose stream has no events and whose consumers bind at once and deliver nothing. */
  function claimsOver(clock: VirtualClock, hosts = 'lab-*') {
    const stopped: string[] = [];
    const port: ConsumePort = {
      consume: (spec) => {
        spec.onBound?.();
        return { stop: () => stopped.push(spec.durable) };
      },
      streamHosts: () => Promise.resolve([]),
    };
    const released: string[] = [];
    const claims = new HostClaims({
      port,
      session: 'lab',
      hosts,
      durable: 'd',
      clock,
      discoverEveryMs: DISCOVER_EVERY_MS,
      onError: undefined,
      onReleased: (host) => released.push(host),
    });
    claims.start(() => undefined);
    return { claims, stopped, released };
  }

  it('a loss report of the host (`touch`) keeps its claim; without one it goes', async () => {
    const clock = new VirtualClock();
    const { claims, stopped, released } = claimsOver(clock);
    claims.claim('lab-1');
    claims.claim('lab-2');
    for (let t = 0; t < 3 * IDLE_MS; t += DISCOVER_EVERY_MS) {
      clock.advance(DISCOVER_EVERY_MS);
      await settle();
      claims.touch('lab-1');
    }
    expect(claims.hosts()).toEqual(['lab-1']);
    expect(released).toEqual(['lab-2']);
    expect(stopped).toEqual(['d-lab-2']);
    expect(claims.released).toBe(1);
    // A host released is claimed again by its next sign (a report: `claim`).
    claims.claim('lab-2');
    expect(claims.hosts()).toEqual(['lab-1', 'lab-2']);
    claims.stop();
  });

  // verify16d M5 (touch records a sign for a host with no claim) fails both: a host never
  // claimed was counted released (releasedHosts, onReleased, the _claims_released_total
  // metric), and a literal reader's one claim was let go by a discovery.
  it('a loss report of a host never claimed is no claim: nothing is released for it', async () => {
    const clock = new VirtualClock();
    const { claims, stopped, released } = claimsOver(clock);
    for (let t = 0; t < 3 * IDLE_MS; t += DISCOVER_EVERY_MS) {
      if (t === 0) claims.touch('lab-9');
      clock.advance(DISCOVER_EVERY_MS);
      await settle();
    }
    expect(claims.hosts()).toEqual([]);
    expect(released).toEqual([]);
    expect(stopped).toEqual([]);
    expect(claims.released).toBe(0);
    claims.stop();
  });

  it("a literal reader's report keeps no idle sign: a discovery never releases its claim", async () => {
    const clock = new VirtualClock();
    const { claims, released } = claimsOver(clock, 'lab-1');
    expect(claims.hosts()).toEqual(['lab-1']);
    claims.touch('lab-1');
    clock.advance(2 * IDLE_MS);
    await claims.discover();
    expect(claims.hosts()).toEqual(['lab-1']);
    expect(released).toEqual([]);
    expect(claims.released).toBe(0);
    claims.stop();
  });
});
