/**
 * One RADIUS worker thread of a pool (worker-pool.ts): a RadiusServer core
 * whose States carry this worker's prefix, fed batches of datagrams by the
 * receiving thread and answering in batches. Trace events of the providers
 * the receiving thread has listeners for are forwarded there; counters go
 * back with every batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { UserStore } from '../../eap/index.js';
import {
  RadiusServer,
  workerStatePrefix,
  type RadiusClientEntry,
  type RadiusEndpoint,
} from '../../radius/index.js';
import { TraceRegistry, type TraceSubscription } from '../../trace/index.js';
import { systemClock } from '../runtime/clock.js';
import { nodeCrypto } from '../runtime/crypto.js';
import { IN_META, NO_CLIENT } from './worker-protocol.js';
import type {
  ForwardedEvent,
  FromWorker,
  RadiusWorkerBuilt,
  ToWorker,
  TraceMirror,
  WorkerInit,
} from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker-main.js runs as a worker thread');
const init = workerData as WorkerInit;

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

interface SetupModule {
  createRadiusWorkerOptions(data: unknown): RadiusWorkerBuilt | Promise<RadiusWorkerBuilt>;
  /** Optional: the users alone, for an update in place (`{ t: 'users' }`). */
  createRadiusWorkerUsers?(data: unknown): UserStore;
}

let built: RadiusWorkerBuilt;
let setup: SetupModule;
/** The users now; the core looks them up through `users` below, so an update swaps them. */
let currentUsers: UserStore | undefined;
try {
  setup = (await import(init.setup.module)) as SetupModule;
  built = await setup.createRadiusWorkerOptions(init.setup.data);
  currentUsers = built.users;
  if (init.users !== undefined) currentUsers = usersOf(init.users);
} catch (error) {
  post({ t: 'failed', message: (error as Error).message });
  throw error;
}

function usersOf(data: unknown): UserStore {
  if (built.users === undefined)
    throw new Error('this worker looks users up through a provider: they cannot be replaced');
  if (setup.createRadiusWorkerUsers === undefined)
    throw new Error(`${init.setup.module} exports no createRadiusWorkerUsers`);
  return setup.createRadiusWorkerUsers(data);
}

const registry = new TraceRegistry({ clock: systemClock });
let outDatagrams: Uint8Array[] = [];
let outMeta: (string | number)[] = [];
let events: ForwardedEvent[] = [];
let done = 0;
let scheduled = false;

/** Counters ride along at most this often (cloning them per batch cost CPU per auth in bench/eap). */
const STATS_EVERY_MS = 250;
let statsSentAt = Number.NEGATIVE_INFINITY;

function flush(): void {
  scheduled = false;
  const datagrams = outDatagrams;
  const now = performance.now();
  const stats = now - statsSentAt >= STATS_EVERY_MS ? core.stats() : undefined;
  if (stats !== undefined) statsSentAt = now;
  post(
    { t: 'out', done, datagrams, meta: outMeta, events, stats },
    datagrams.map((d) => d.buffer as ArrayBuffer),
  );
  outDatagrams = [];
  outMeta = [];
  events = [];
  done = 0;
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(flush);
}

const core = new RadiusServer({
  ...init.settings,
  ...built,
  ...(built.users === undefined
    ? {}
    : { users: { lookup: (name: string) => currentUsers?.lookup(name) } }),
  clock: systemClock,
  crypto: nodeCrypto,
  trace: registry,
  statePrefix: workerStatePrefix(init.index),
  send: (datagram, to) => {
    // Deliberate copy: responses are carved from the core's slab, and this one is transferred.
    outDatagrams.push(datagram.slice());
    outMeta.push(to.address, to.port, to.listener ?? '');
    schedule();
  },
});

const mirrors = new Map<string, TraceSubscription>();
function mirror(m: TraceMirror): void {
  mirrors.get(m.guid)?.disable();
  mirrors.delete(m.guid);
  if (!m.enabled) return;
  mirrors.set(
    m.guid,
    registry.enable(
      m.guid,
      (event) => {
        // Deliberate copy: the payload is valid only during the call.
        events.push({ guid: m.guid, descriptor: event.descriptor, payload: event.payload.slice() });
        schedule();
      },
      { level: m.level, matchAnyKeyword: m.matchAnyKeyword, matchAllKeyword: m.matchAllKeyword },
    ),
  );
}

/** The clients the receiving thread identified (RadSec), one object per number. */
const clients = new Map<number, RadiusClientEntry>();

/** Where datagram `i` of a batch came from, with its client when the transport named one. */
function endpointOf(meta: readonly (string | number)[], i: number): RadiusEndpoint {
  const at = IN_META * i;
  const address = meta[at] as string;
  const from = meta[at + 1] as number;
  const listener = meta[at + 2] as string;
  const clientId = meta[at + 3] as number;
  const client = clientId === NO_CLIENT ? undefined : clients.get(clientId);
  return {
    address,
    port: from,
    ...(listener === '' ? {} : { listener }),
    ...(client === undefined ? {} : { client }),
  };
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'in': {
      const { datagrams, meta } = message;
      for (let i = 0; i < datagrams.length; i++)
        core.receive(datagrams[i] as Uint8Array, endpointOf(meta, i), 'auth');
      done += datagrams.length;
      schedule();
      break;
    }
    case 'client':
      clients.set(message.id, message.entry);
      break;
    case 'trace':
      mirror(message.mirror);
      break;
    case 'stats':
      post({ t: 'stats', id: message.id, stats: core.stats() });
      break;
    case 'users':
      // Between two batches: every request after this message sees the new
      // users; a conversation in progress keeps its State and goes on.
      try {
        currentUsers = usersOf(message.data);
        post({ t: 'users', id: message.id });
      } catch (error) {
        post({ t: 'users', id: message.id, error: (error as Error).message });
      }
      break;
    case 'stop':
      if (scheduled) flush();
      post({ t: 'stopped', stats: core.stats() });
      port.close();
      break;
  }
});

post({ t: 'ready' });
