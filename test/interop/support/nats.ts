/**
 * nats-server processes and capture fan-in parts for the NATS interop
 * suites: servers (alone or as a JetStream cluster on loopback, each with
 * its own ports and store), publishing hosts that emit u32 sequence
 * numbers, and a reader session that receives in a loop and records what
 * it saw per host of origin.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  SYNTHETIC_PROVIDER_GUID,
  SessionTable,
  SyntheticEvent,
} from '../../../src/capture/index.js';
import {
  CapturePublisher,
  StreamSessionSource,
  hostFromActivityId,
  type NatsCaptureLink,
} from '../../../src/node/cluster/index.js';
import { systemClock } from '../../../src/node/runtime/index.js';
import { TraceRegistry } from '../../../src/trace/index.js';
import { parseEventBuffer } from '../../../src/wire/index.js';
import { commandExists, requirePeers } from './peers.js';
import { freePort } from './ports.js';

export { freePort };

/** The server version these suites were checked with. */
export const RECORDED_NATS_VERSION = 'nats-server: v2.9.10';

export function requireNatsServer(suite: string) {
  const peers = requirePeers(suite, [
    {
      name: 'nats-server',
      ok: () => commandExists('nats-server'),
      hint: 'apt-get install -y nats-server',
    },
  ]);
  if (!peers.skip) {
    const version = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.info(`peers: ${version}`);
    if (version !== RECORDED_NATS_VERSION)
      console.warn(`[netrx interop] checked with ${RECORDED_NATS_VERSION}`);
  }
  return peers;
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms for at most `ms`. */
export async function until(
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

/** One nats-server process, restartable on the same ports and store. */
export class NatsNode {
  private child: ChildProcess | undefined;
  constructor(
    readonly name: string,
    readonly port: number,
    private readonly args: readonly string[],
    private readonly cwd: string,
    /** Its HTTP monitoring port, when started with one. */
    readonly monitorPort?: number,
  ) {}

  /** The names of the clients connected to this node now (its `/connz`). */
  async connectionNames(): Promise<string[]> {
    if (this.monitorPort === undefined) throw new Error(`${this.name} has no monitoring port`);
    const response = await fetch(`http://127.0.0.1:${this.monitorPort}/connz`);
    const body = (await response.json()) as { connections?: { name?: string }[] };
    return (body.connections ?? []).map((c) => c.name ?? '');
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port), ...this.args], {
      cwd: this.cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.once('error', () => undefined);
    let ready = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Server is ready')) ready = true;
    });
    await until(() => ready, 15_000, `nats-server ${this.name} to be ready`);
  }

  /** SIGKILL: no goodbye to clients or routes. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
}

/** A single JetStream server. */
export async function natsAlone(workdir: string): Promise<NatsNode> {
  const port = await freePort();
  return new NatsNode('alone', port, ['-js', '-sd', join(workdir, 'store')], workdir);
}

/**
 * A JetStream cluster of `size` servers on loopback (routes between all, own
 * stores). With `monitor`, each node also serves its HTTP monitoring
 * (`NatsNode.connectionNames` reads `/connz`).
 */
export async function natsCluster(
  workdir: string,
  size: number,
  options: { readonly monitor?: boolean } = {},
): Promise<NatsNode[]> {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = await Promise.all(Array.from({ length: size }, () => freePort()));
  const monitors: (number | undefined)[] =
    options.monitor === true
      ? await Promise.all(Array.from({ length: size }, () => freePort()))
      : Array.from({ length: size }, () => undefined);
  return ports.map((port, i) => {
    const others = routes.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`);
    const monitor = monitors[i];
    return new NatsNode(
      `n${i + 1}`,
      port,
      [
        ...(monitor === undefined ? [] : ['-m', String(monitor)]),
        '-js',
        '-sd',
        join(workdir, `store-n${i + 1}`),
        '-n',
        `n${i + 1}`,
        '--cluster_name',
        'netrx-interop',
        '--cluster',
        `nats://127.0.0.1:${routes[i]}`,
        '--routes',
        others.join(','),
      ],
      workdir,
      monitor,
    );
  });
}

export interface PublishingHost {
  readonly host: string;
  readonly publisher: CapturePublisher;
  readonly emitted: number;
  emit(n: number): void;
}

export function publishingHost(
  link: NatsCaptureLink,
  host: string,
  session: string,
  maxBuffered = 100_000,
): PublishingHost {
  const registry = new TraceRegistry({ clock: systemClock });
  const provider = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
  const publisher = new CapturePublisher({
    port: link,
    registry,
    clock: systemClock,
    host,
    session,
    providers: [{ provider: 'netrx-synthetic' }],
    instance: randomUUID(),
    maxBuffered,
    retryMs: 100,
  });
  link.onStatus((status) => publisher.setStatus(status));
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

/** A reader session over the stream, receiving in a loop; records what it saw. */
export function readerSession(
  link: NatsCaptureLink,
  session: string,
  hosts: string,
  identity: {
    readonly durable?: string;
    readonly readerId?: string;
    readonly upgradedFrom?: string;
    readonly pullBudgetBytes?: number;
    /** A glob reader's discovery interval (its idle claims go after 30 of them). */
    readonly discoverEveryMs?: number;
  } = {},
) {
  const table = new SessionTable({
    registry: new TraceRegistry({ clock: systemClock }),
    clock: systemClock,
  });
  const source = new StreamSessionSource({ port: link, session, hosts, ...identity });
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

/** No event of `host` delivered twice, and every one is one it emitted. */
export function expectUnique(seen: Map<string, number[]>, host: string, emitted: number): void {
  const list = seen.get(host) ?? [];
  expect(new Set(list).size, `${host}: no event delivered twice`).toBe(list.length);
  expect(list.every((seq) => seq >= 0 && seq < emitted)).toBe(true);
}
