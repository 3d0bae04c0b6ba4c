/**
 * Capture fan-in against a real NATS JetStream server (Debian nats-server,
 * a peer nobody here wrote): a private `nats-server -js` on a free loopback
 * port with its own store directory, started here and killed by its PID.
 * Two netrx publishers with different host names feed one capture session's
 * stream; one reader session spans both (`lab-*`). Checked by sequence
 * number per host: every event offered is delivered once or counted in
 * NET_EVENT_LOST, with the stream full (discard: new) and across a
 * nats-server restart mid-run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_PROVIDER_GUID, SessionTable, SyntheticEvent } from '../../src/capture/index.js';
import {
  CapturePublisher,
  StreamSessionSource,
  connectNatsCapture,
  hostFromActivityId,
  type NatsCaptureLink,
} from '../../src/node/cluster/index.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';
import { commandExists, requirePeers } from './support/peers.js';

/** The server version these expectations were checked with. */
const RECORDED_VERSION = 'nats-server: v2.9.10';

const peers = requirePeers('nats-capture.test.ts', [
  {
    name: 'nats-server',
    ok: () => commandExists('nats-server'),
    hint: 'apt-get install -y nats-server',
  },
]);
if (!peers.skip) {
  const version = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.info(`peers: ${version}`);
  if (version !== RECORDED_VERSION)
    console.warn(`[netrx interop] checked with ${RECORDED_VERSION}`);
}

const workdir = mkdtempSync(join(tmpdir(), `netrx-nats-capture-${process.pid}-`));
let server: ChildProcess | undefined;
let port = 0;
const links: NatsCaptureLink[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms for at most `ms`. */
async function until(
  condition: () => boolean,
  ms: number,
  what: string,
  state: () => unknown = () => '',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(state())}`);
    }
    await delay(50);
  }
}

async function startServer(): Promise<void> {
  server = spawn(
    'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(workdir, 'store')],
    { cwd: workdir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  server.once('error', () => undefined);
  let ready = false;
  server.stderr?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('Server is ready')) ready = true;
  });
  await until(() => ready, 15_000, 'nats-server to be ready');
}

async function stopServer(): Promise<void> {
  const child = server;
  if (child?.pid === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGKILL');
  await exited;
}

beforeAll(async () => {
  if (peers.skip) return;
  port = await freePort();
  await startServer();
}, 20_000);

afterAll(async () => {
  for (const link of links) await link.close().catch(() => undefined);
  await stopServer();
  rmSync(workdir, { recursive: true, force: true });
});

async function link(): Promise<NatsCaptureLink> {
  const l = await connectNatsCapture({ servers: `nats://127.0.0.1:${port}`, timeoutMs: 1000 });
  links.push(l);
  return l;
}

async function publisherHost(
  host: string,
  session: string,
  maxMsgs: number,
  maxBuffered = 100_000,
) {
  const l = await link();
  await l.ensureStream(session, { maxBytes: 64 * 1024 * 1024, maxMsgs });
  const registry = new TraceRegistry({ clock: systemClock });
  const provider = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
  const publisher = new CapturePublisher({
    port: l,
    registry,
    clock: systemClock,
    host,
    session,
    providers: [{ provider: 'netrx-synthetic' }],
    instance: randomUUID(),
    maxBuffered,
    retryMs: 100,
  });
  l.onStatus((status) => publisher.setStatus(status));
  const payload = new Uint8Array(16);
  const view = new DataView(payload.buffer);
  let next = 0;
  return {
    host,
    publisher,
    get emitted() {
      return next;
    },
    emit(n: number) {
      for (let i = 0; i < n; i++) {
        view.setUint32(0, next++, true);
        provider.write(SyntheticEvent, payload);
      }
    },
  };
}

/** A reader session over the stream, receiving in a loop; returns what it saw. */
async function readerSession(session: string, hosts: string) {
  const l = await link();
  const table = new SessionTable({
    registry: new TraceRegistry({ clock: systemClock }),
    clock: systemClock,
  });
  const source = new StreamSessionSource({ port: l, session, hosts });
  const s = table.createSession({ name: session, providers: [], source, limits: { timerMs: 100 } });
  s.start();
  const handle = table.openSession(session);
  const seen = new Map<string, number[]>();
  let lost = 0;
  let lostNotLast = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
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
  return {
    source,
    seen,
    get lost() {
      return lost;
    },
    get lostNotLast() {
      return lostNotLast;
    },
    delivered: () => [...seen.values()].reduce((n, l) => n + l.length, 0),
    async close() {
      running = false;
      table.closeSession(handle);
      await loop;
    },
  };
}

function expectUnique(seen: Map<string, number[]>, host: string, emitted: number): void {
  const list = seen.get(host) ?? [];
  expect(new Set(list).size, `${host}: no event delivered twice`).toBe(list.length);
  expect(list.every((seq) => seq >= 0 && seq < emitted)).toBe(true);
}

describe.skipIf(peers.skip)(`capture fan-in over ${RECORDED_VERSION}`, () => {
  it('two hosts into one full stream (discard: new): delivered + NET_EVENT_LOST = emitted, per host by sequence', async () => {
    const a = await publisherHost('lab-1', 'full', 300);
    const b = await publisherHost('lab-2', 'full', 300);
    a.emit(200);
    b.emit(200);
    await until(
      () => a.publisher.stats().pending + b.publisher.stats().pending === 0,
      10_000,
      'publishes to settle',
    );
    const refused = a.publisher.stats().refused + b.publisher.stats().refused;
    expect(a.publisher.stats().stored + b.publisher.stats().stored).toBe(300);
    expect(refused).toBe(100);
    const reader = await readerSession('full', 'lab-*');
    await until(
      () => a.publisher.settled && b.publisher.settled && reader.delivered() + reader.lost === 400,
      15_000,
      'every event delivered or reported lost',
    );
    await delay(300);
    expect(reader.delivered()).toBe(300);
    expect(reader.lost).toBe(100);
    expect(reader.lostNotLast).toBe(0);
    expectUnique(reader.seen, 'lab-1', 200);
    expectUnique(reader.seen, 'lab-2', 200);
    // Tail drop: each host's stored events are its first ones, in order.
    for (const host of ['lab-1', 'lab-2']) {
      const list = reader.seen.get(host) ?? [];
      expect(list).toEqual([...Array(list.length).keys()]);
    }
    expect(reader.source.stats().publisherLost).toBe(100);
    await reader.close();
  }, 40_000);

  it('a nats-server restart mid-run: loss stays exact end to end', async () => {
    // A local buffer smaller than the outage: some events are dropped while NATS is away.
    const a = await publisherHost('lab-1', 'restart', 1_000_000, 1000);
    const b = await publisherHost('lab-2', 'restart', 1_000_000, 1000);
    const reader = await readerSession('restart', 'lab-*');
    let producing = true;
    const producer = (async () => {
      while (producing) {
        a.emit(50);
        b.emit(50);
        await delay(10);
      }
    })();
    await delay(500);
    await stopServer();
    await delay(700);
    await startServer();
    await delay(800);
    producing = false;
    await producer;
    const emitted = a.emitted + b.emitted;
    await until(
      () =>
        a.publisher.settled && b.publisher.settled && reader.delivered() + reader.lost === emitted,
      30_000,
      `every one of ${emitted} events delivered or reported lost`,
      () => ({
        a: a.publisher.stats(),
        b: b.publisher.stats(),
        delivered: reader.delivered(),
        lost: reader.lost,
        source: reader.source.stats(),
        consumerErrors: links.map((l) => l.consumerErrors),
      }),
    );
    await delay(300);
    expect(reader.delivered() + reader.lost).toBe(emitted);
    expect(reader.lostNotLast).toBe(0);
    expectUnique(reader.seen, 'lab-1', a.emitted);
    expectUnique(reader.seen, 'lab-2', b.emitted);
    const lost = a.publisher.lost + b.publisher.lost;
    console.info(
      `restart: emitted ${emitted}, delivered ${reader.delivered()}, lost ${reader.lost} (publishers: ${lost}; retries ${a.publisher.stats().retries + b.publisher.stats().retries})`,
    );
    expect(lost).toBeGreaterThan(0);
    expect(a.publisher.stats().dropped + b.publisher.stats().dropped).toBe(lost);
    expect(reader.lost).toBe(lost + reader.source.stats().queueLost);
    await reader.close();
  }, 60_000);
});
