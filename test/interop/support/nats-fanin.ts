/**
 * Capture fan-in parts for the NATS cluster interop suite, with real
 * clients: publishing hosts whose providers are the synthetic one and the
 * packet-capture provider of netrx/link (tapping an in-memory wire on which
 * the test sends frames carrying sequence numbers, so every packet event is
 * a real one of the link layer); a capture server attached to the cluster
 * (a session table whose session reads the stream, behind the LREC RPC and
 * WebSocket servers on loopback); and two clients that read it: netrx's
 * WebSocket client and impacket's RPC client (support/lrec_impacket_stream.py).
 *
 * The reader's setup (the `StreamSessionSource` and its session) is in
 * `fanInCaptureServer` alone, so a change to the reader's consumers touches
 * one place. Each host's counts come from its generator, never from its
 * publisher, so the per-host check (`expectExactPerHost`) is not circular.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import {
  SYNTHETIC_PROVIDER_GUID,
  SessionTable,
  SyntheticEvent,
  type SessionLimits,
} from '../../../src/capture/index.js';
import {
  PACKET_CAPTURE_PROVIDER_GUID,
  PACKET_CAPTURE_PROVIDER_NAME,
  openCaptureTap,
  openPacketCaptureProvider,
} from '../../../src/link/index.js';
import {
  connectLrecWs,
  startLrecTcpServer,
  startLrecWsServer,
} from '../../../src/node/capture/index.js';
import {
  CapturePublisher,
  StreamSessionSource,
  hostFromActivityId,
  type NatsCaptureLink,
} from '../../../src/node/cluster/index.js';
import { systemClock } from '../../../src/node/runtime/index.js';
import { createLinkPair, ethernetFrame } from '../../../src/testing/index.js';
import { TraceRegistry } from '../../../src/trace/index.js';
import { parseEventBuffer } from '../../../src/wire/index.js';

/** An IEEE 802 local experimental EtherType: frames no stack answers, one event each. */
const SEQUENCE_ETHERTYPE = 0x88b5;
const WIRE_PEER = '02:00:00:00:00:0a';
const WIRE_HOST = '02:00:00:00:00:0b';
/** The packet event's user data: MiniportIfIndex, LowerIfIndex, FragmentSize, then the frame. */
const FRAGMENT_AT = 12;

export type EventKind = 'synthetic' | 'packet';

export interface FanInHost {
  readonly host: string;
  readonly publisher: CapturePublisher;
  /** What the generators produced: the synthetic provider's writes, the frames sent on the wire. */
  readonly generated: { readonly synthetic: number; readonly packet: number };
  /** Frames the host adapter's own capture tap saw (the wire's ground truth). */
  readonly framesOnWire: number;
  emit(n: number): void;
  frames(n: number): void;
  close(): void;
}

/** A host publishing synthetic events and the packet events of its adapter's wire. */
export function fanInHost(
  link: NatsCaptureLink,
  host: string,
  session: string,
  maxBuffered = 100_000,
): FanInHost {
  const registry = new TraceRegistry({ clock: systemClock });
  const synthetic = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
  const packets = openPacketCaptureProvider({ registry });
  const mac = (text: string) => Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
  const wire = createLinkPair({ a: { mac: mac(WIRE_PEER) }, b: { mac: mac(WIRE_HOST) } });
  const detach = packets.attach(wire.b, 3);
  let framesOnWire = 0;
  const truth = openCaptureTap(wire.b, (_frame, direction) => {
    if (direction === 'in') framesOnWire++;
  });
  const publisher = new CapturePublisher({
    port: link,
    registry,
    clock: systemClock,
    host,
    session,
    providers: [
      { provider: 'netrx-synthetic' },
      { provider: PACKET_CAPTURE_PROVIDER_NAME, level: 0 },
    ],
    instance: randomUUID(),
    maxBuffered,
    retryMs: 100,
  });
  link.onStatus((status) => publisher.setStatus(status));
  const payload = new Uint8Array(16);
  const view = new DataView(payload.buffer);
  let nextEvent = 0;
  let nextFrame = 0;
  return {
    host,
    publisher,
    get generated() {
      return { synthetic: nextEvent, packet: nextFrame };
    },
    get framesOnWire() {
      return framesOnWire;
    },
    emit(n) {
      for (let i = 0; i < n; i++) {
        view.setUint32(0, nextEvent++, true);
        synthetic.write(SyntheticEvent, payload);
      }
    },
    frames(n) {
      for (let i = 0; i < n; i++) {
        const body = new Uint8Array(46);
        new DataView(body.buffer).setUint32(0, nextFrame++, true);
        wire.a.send(ethernetFrame(WIRE_HOST, WIRE_PEER, SEQUENCE_ETHERTYPE, body));
        wire.flush();
      }
    },
    close() {
      publisher.close();
      truth.close();
      detach();
      packets.close();
    },
  };
}

/** What a client received, per host of origin and kind, by sequence number. */
export interface FanInTally {
  readonly seen: Map<string, Record<EventKind, number[]>>;
  readonly lost: number;
  /** Buffers whose NET_EVENT_LOST was not their last item. */
  readonly lostNotLast: number;
  /** Events of another provider or frame type (none expected). */
  readonly foreign: number;
  delivered(): number;
  add(buffer: Uint8Array): void;
}

export function fanInTally(): FanInTally {
  const seen = new Map<string, Record<EventKind, number[]>>();
  let lost = 0;
  let lostNotLast = 0;
  let foreign = 0;
  const seqAt = (data: Uint8Array, at: number) =>
    new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(at, true);
  return {
    seen,
    get lost() {
      return lost;
    },
    get lostNotLast() {
      return lostNotLast;
    },
    get foreign() {
      return foreign;
    },
    delivered: () =>
      [...seen.values()].reduce((n, s) => n + s.synthetic.length + s.packet.length, 0),
    add(buffer) {
      const parsed = parseEventBuffer(buffer);
      if (!parsed.ok) throw new Error('bad EVENT_BUFFER');
      parsed.value.forEach((item, index) => {
        if (item.kind === 'lost') {
          if (index !== parsed.value.length - 1) lostNotLast++;
          lost += item.lostEventCount;
          return;
        }
        if (item.kind !== 'event') return;
        const { header, userData } = item.record;
        const host = hostFromActivityId(header.activityId);
        let lists = seen.get(host);
        if (lists === undefined) seen.set(host, (lists = { synthetic: [], packet: [] }));
        const provider = header.providerId.toLowerCase();
        if (provider === SYNTHETIC_PROVIDER_GUID) {
          lists.synthetic.push(seqAt(userData, 0));
        } else if (
          provider === PACKET_CAPTURE_PROVIDER_GUID &&
          userData[FRAGMENT_AT + 12] === SEQUENCE_ETHERTYPE >> 8 &&
          userData[FRAGMENT_AT + 13] === (SEQUENCE_ETHERTYPE & 0xff)
        ) {
          lists.packet.push(seqAt(userData, FRAGMENT_AT + 14));
        } else {
          foreign++;
        }
      });
    },
  };
}

export interface FanInServer {
  readonly source: StreamSessionSource;
  readonly rpcPort: number;
  readonly wsUrl: string;
  readonly token: string;
  close(): Promise<void>;
}

/** A capture server attached to the cluster: one session reading `session`'s stream for `hosts`. */
export async function fanInCaptureServer(
  link: NatsCaptureLink,
  session: string,
  hosts: string,
  limits: Partial<SessionLimits> = { timerMs: 100 },
): Promise<FanInServer> {
  const table = new SessionTable({
    registry: new TraceRegistry({ clock: systemClock }),
    clock: systemClock,
  });
  const source = new StreamSessionSource({ port: link, session, hosts });
  table.createSession({ name: session, providers: [], source, limits }).start();
  const token = randomBytes(24).toString('hex');
  const rpc = await startLrecTcpServer({ table, port: 0, insecureNoAuth: true });
  const ws = await startLrecWsServer({ table, port: 0, token });
  return {
    source,
    rpcPort: rpc.port,
    wsUrl: `ws://127.0.0.1:${ws.port}`,
    token,
    async close() {
      await rpc.close();
      await ws.close();
    },
  };
}

export interface FanInClient {
  readonly tally: FanInTally;
  /** Closes the session and the connection; rejects if the client failed. */
  close(): Promise<void>;
}

/** netrx's WebSocket capture client, receiving in a loop over loopback. */
export async function wsFanInClient(server: FanInServer, session: string): Promise<FanInClient> {
  const client = await connectLrecWs({ url: server.wsUrl, token: server.token });
  const handle = await client.open(session);
  const tally = fanInTally();
  let running = true;
  const loop = (async () => {
    while (running) {
      let buffer: Uint8Array;
      try {
        buffer = await client.receive(handle);
      } catch (error) {
        if (!running) return; // the receive our close cut short
        throw error;
      }
      tally.add(buffer);
    }
  })();
  return {
    tally,
    async close() {
      running = false;
      await client.close(handle);
      await loop;
      client.end();
      await client.closed;
    },
  };
}

const PYTHON = '/usr/bin/python3';
const IMPACKET_STREAM = resolve(import.meta.dirname, 'lrec_impacket_stream.py');

/**
 * impacket's RPC client: receives until `total` events and losses arrived
 * (its calls cannot overlap, so it cannot be stopped while a receive
 * waits), then closes. `done` resolves with the receive count; `stop`
 * ends a client still waiting for events that will not come, so the
 * caller's per-host check can say which host is short.
 */
export function impacketFanInClient(
  server: FanInServer,
  session: string,
  total: number,
): {
  readonly tally: FanInTally;
  readonly done: Promise<{ receives: number; stderr: string }>;
  /** Ends the client (SIGKILL), as when fewer than `total` ever come. */
  stop(): void;
} {
  const tally = fanInTally();
  const child = spawn(PYTHON, [IMPACKET_STREAM, String(server.rpcPort), session, String(total)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let receives: number | undefined;
  let failure: string | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('buffer ')) tally.add(Buffer.from(line.slice(7), 'hex'));
    else if (line.startsWith('closed ')) receives = Number(line.slice(7));
    else failure = line;
  });
  const done = new Promise<{ receives: number; stderr: string }>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0 && receives !== undefined) resolvePromise({ receives, stderr });
      else reject(new Error(`impacket client: exit ${code}: ${failure ?? ''} ${stderr}`));
    });
  });
  return {
    tally,
    done,
    stop() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGKILL');
      }
    },
  };
}

/**
 * Per host, from the generators: every synthetic and packet event either
 * reached the client once (by sequence number) or is in the loss the
 * reader counted for that host; the client's NET_EVENT_LOST total is the
 * sum of the per-host loss, and NET_EVENT_LOST was always the last item.
 */
export function expectExactPerHost(
  tally: FanInTally,
  hosts: readonly FanInHost[],
  source: StreamSessionSource,
): void {
  const lossByHost = source.lossByHost();
  for (const host of hosts) {
    const lists = tally.seen.get(host.host) ?? { synthetic: [], packet: [] };
    for (const kind of ['synthetic', 'packet'] as const) {
      const list = lists[kind];
      expect(new Set(list).size, `${host.host} ${kind}: none delivered twice`).toBe(list.length);
      const beyond = list.filter((seq) => seq >= host.generated[kind]);
      expect(beyond, `${host.host} ${kind}: only generated ones`).toEqual([]);
    }
    expect(host.framesOnWire, `${host.host}: each frame seen once on the wire`).toBe(
      host.generated.packet,
    );
    const generated = host.generated.synthetic + host.generated.packet;
    const delivered = lists.synthetic.length + lists.packet.length;
    expect(
      { generated, deliveredPlusLost: delivered + (lossByHost.get(host.host) ?? 0) },
      `${host.host}: generated == delivered + lost`,
    ).toEqual({ generated, deliveredPlusLost: generated });
  }
  const perHostLoss = [...lossByHost.values()].reduce((n, l) => n + l, 0);
  expect(tally.lost, 'NET_EVENT_LOST == the per-host loss').toBe(perHostLoss);
  expect(tally.lostNotLast, 'NET_EVENT_LOST last').toBe(0);
  expect(tally.foreign, 'no foreign events').toBe(0);
}

/** The python3-impacket version the fan-in suite was checked with (Debian). */
export const RECORDED_IMPACKET_VERSION = '0.10.0-4';

/** The installed python3-impacket's Debian version, or undefined when it cannot be imported. */
export function impacketVersion(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import impacket.dcerpc.v5.transport'], {
    stdio: 'ignore',
  });
  if (probe.status !== 0) return undefined;
  const dpkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'python3-impacket'], {
    encoding: 'utf8',
  });
  return dpkg.stdout.trim() || 'unknown';
}
