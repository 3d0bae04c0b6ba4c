/**
 * RADIUS on several cores: one receiving thread (the sockets) and N worker
 * threads, each running its own RadiusServer core (worker-main.ts). Node 20's
 * dgram has no SO_REUSEPORT, and measured against cluster's shared UDP handle
 * (docs/radius.md "Workers") one receiving thread that routes is what keeps
 * every rule of the single core:
 *
 * - routing (radius/worker-route.ts): a State a worker set goes back to it;
 *   everything else by a hash of its RFC 5080 duplicate key, so a
 *   retransmission reaches the worker that cached its answer;
 * - per-worker limits are the configured ones divided by N (rounded up):
 *   `maxSessions`, `maxSessionsPerClient`, each client's `maxSessions`,
 *   `maxCachedResponses`. The hash spreads clients' first requests evenly;
 * - counters (`stats()`) are the receiving thread's plus each worker's last
 *   report (with its answers, at most every 250 ms) plus, for a worker that died, its
 *   last report before it died; `refreshStats()` asks every worker now;
 * - trace events: each worker mirrors the receiving thread's enablement of
 *   the RADIUS and EAP providers and forwards what passes, re-written on the
 *   receiving thread's registry;
 * - bounded: at most `maxQueuedPerWorker` datagrams wait for one worker
 *   (sent, not yet processed); more are dropped (`worker-busy`, counted);
 * - a worker that exits or throws is replaced at once; its conversations
 *   are lost (counted in `conversationsLost`, from its last report), their
 *   next rounds reach the new worker, which knows no such State and answers
 *   Access-Reject, and the NAS starts over;
 * - `updateUsers(data)`: every worker replaces its user store between two
 *   batches (the setup module's `createRadiusWorkerUsers`), conversations in
 *   progress included; a worker started later (a crash's replacement) gets
 *   the latest users too;
 * - `close()`: stop routing, flush, tell each worker to stop, send the
 *   answers it still had, wait for it (2 s, then terminate);
 * - a datagram whose transport identified its client (RadSec: the entry its
 *   certificate maps to, `RadiusEndpoint.client`) carries that entry's
 *   number; each entry is sent to every worker once, before the first batch
 *   that names it (and to a replacement worker when it is ready), so the
 *   worker's core sees one stable entry per client, as on one thread.
 */
import { Worker } from 'node:worker_threads';
import {
  routeRequest,
  type RadiusClientEntry,
  type RadiusEndpoint,
  type RadiusServerStats,
} from '../../radius/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { NO_CLIENT } from './worker-protocol.js';
import type {
  FromWorker,
  RadiusWorkerSettings,
  RadiusWorkerSetup,
  ToWorker,
  WorkerInit,
} from './worker-protocol.js';
import { WorkerReplies } from './worker-replies.js';
import {
  ZERO_STATS,
  addStats,
  type RadiusWorkerPoolStats,
  type RadiusWorkerStats,
} from './worker-stats.js';
import { WorkerTraceMirrors } from './worker-trace.js';

export interface RadiusWorkerPoolOptions {
  readonly workers: number;
  readonly setup: RadiusWorkerSetup;
  readonly settings: RadiusWorkerSettings;
  readonly send: (datagram: Uint8Array, to: RadiusEndpoint) => void;
  readonly trace?: TraceRegistry;
  /** Datagrams sent to one worker and not yet processed; default 4096. */
  readonly maxQueuedPerWorker?: number;
  /** The worker entry (worker-main.js beside this file by default). */
  readonly entry?: URL;
}

interface Slot {
  readonly index: number;
  /** Received by this slot's crashed workers (their last report). */
  retiredReceived: number;
  restarts: number;
  worker: Worker;
  ready: boolean;
  /** Sent, not yet processed. */
  outstanding: number;
  datagrams: Uint8Array[];
  meta: (string | number)[];
  last: RadiusServerStats | undefined;
  stopping: boolean;
}

const divided = (value: number | undefined, fallback: number, n: number) =>
  Math.ceil((value ?? fallback) / n);

export class RadiusWorkerPool {
  private readonly options: RadiusWorkerPoolOptions;
  private readonly slots: Slot[] = [];
  private readonly maxQueued: number;
  /** The RADIUS and EAP providers' enablement, mirrored to the workers (from `start`). */
  private traceMirrors: WorkerTraceMirrors | undefined;
  private init: Omit<WorkerInit, 'index'>;
  private retired: RadiusServerStats = ZERO_STATS;
  private counters = { restarts: 0, conversationsLost: 0, routedByState: 0, routedAcross: 0 };
  private readonly drops = new Map<string, number>();
  private flushScheduled = false;
  private closing = false;
  private readonly statsReplies = new WorkerReplies<RadiusServerStats>();
  private readonly usersReplies = new WorkerReplies<string | undefined>();
  /** Client entries the transport identified, by the number the workers know them by. */
  private readonly clientIds = new Map<RadiusClientEntry, number>();
  private readonly clientEntries: RadiusClientEntry[] = [];

  constructor(options: RadiusWorkerPoolOptions) {
    this.options = options;
    this.maxQueued = options.maxQueuedPerWorker ?? 4096;
    const n = options.workers;
    const s = options.settings;
    // Limits are the configured ones split over the workers (documented in docs/radius.md).
    this.init = {
      workers: n,
      setup: options.setup,
      settings: {
        ...s,
        maxSessions: divided(s.maxSessions, 4096, n),
        maxSessionsPerClient: divided(s.maxSessionsPerClient, 1024, n),
        maxCachedResponses: divided(s.maxCachedResponses, 8192, n),
        clients: s.clients.map((c) =>
          c.maxSessions === undefined ? c : { ...c, maxSessions: divided(c.maxSessions, 0, n) },
        ),
      },
    };
  }

  /** Starts the workers; resolves when every one is ready (rejects if one fails to set up). */
  async start(): Promise<void> {
    this.traceMirrors = new WorkerTraceMirrors(this.options.trace, (mirror) => {
      for (const slot of this.slots) this.post(slot, { t: 'trace', mirror });
    });
    const started = Array.from({ length: this.options.workers }, (_, index) => this.spawn(index));
    try {
      await Promise.all(started);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** One datagram for the workers (authentication port). */
  dispatch(datagram: Uint8Array, from: RadiusEndpoint): void {
    const route = routeRequest(datagram, from.address, from.port, this.options.workers);
    if (route.by === 'state') {
      this.counters.routedByState++;
      if (route.hashWorker !== route.worker) this.counters.routedAcross++;
    }
    const slot = this.slots[route.worker];
    if (slot === undefined || this.closing) {
      this.drop('worker-unavailable');
      return;
    }
    if (slot.outstanding + slot.datagrams.length >= this.maxQueued) {
      this.drop(slot.ready ? 'worker-busy' : 'worker-unavailable');
      return;
    }
    // Deliberate copy: the socket's (or the stream framer's) buffer is not ours to transfer.
    slot.datagrams.push(datagram.slice());
    slot.meta.push(
      from.address,
      from.port,
      from.listener ?? '',
      from.client === undefined ? NO_CLIENT : this.clientId(from.client),
    );
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The workers' counters summed (last reports), and the pool's own. */
  stats(): { readonly server: RadiusServerStats; readonly pool: RadiusWorkerPoolStats } {
    let server = this.retired;
    for (const slot of this.slots)
      if (slot.last !== undefined) server = addStats(server, slot.last);
    return { server, pool: this.poolStats() };
  }

  /** Each worker slot: up or not, requests received (as of its last report), restarts. */
  workerStats(): RadiusWorkerStats[] {
    return this.slots.map((slot) => ({
      index: slot.index,
      up: slot.ready,
      received: slot.retiredReceived + (slot.last?.received ?? 0),
      restarts: slot.restarts,
    }));
  }

  /** Asks every ready worker for its counters now, then returns `stats()`. */
  async refreshStats(): Promise<ReturnType<RadiusWorkerPool['stats']>> {
    await Promise.all(
      this.slots
        .filter((slot) => slot.ready && !slot.stopping)
        .map((slot) =>
          this.statsReplies.ask(
            (id) => this.post(slot, { t: 'stats', id }),
            2000,
            (stats) => {
              slot.last = stats;
            },
            () => undefined,
          ),
        ),
    );
    return this.stats();
  }

  /**
   * Replaces the users in every worker (`data` for the setup module's
   * `createRadiusWorkerUsers`). Requests dispatched after this call see the
   * new users (a worker reads its messages in order); resolves once every
   * running worker has them, rejects with the first worker's reason if one
   * could not (it keeps its old users).
   */
  async updateUsers(data: unknown): Promise<void> {
    // Before posting: a worker that starts from now on builds these users.
    this.init = { ...this.init, users: data };
    // Batches routed so far go first, so the update takes effect from here on.
    this.flush();
    const errors = await Promise.all(
      this.slots
        .filter((slot) => slot.ready && !slot.stopping)
        .map((slot) =>
          this.usersReplies.ask(
            (id) => this.post(slot, { t: 'users', id, data }),
            5000,
            (error) => (error === undefined ? undefined : `radius worker ${slot.index}: ${error}`),
            () => `radius worker ${slot.index} did not answer in time`,
          ),
        ),
    );
    const failed = errors.find((error) => error !== undefined);
    if (failed !== undefined) throw new Error(failed);
  }

  /** Ends worker `index` as a crash would (tests, operators): it is replaced. */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.slots[index];
    if (slot === undefined) throw new RangeError(`no worker ${index}`);
    await slot.worker.terminate();
  }

  /** Threads ids of the workers now running. */
  threadIds(): number[] {
    return this.slots.map((slot) => slot.worker.threadId);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.traceMirrors?.close();
    this.flush();
    await Promise.all(this.slots.map((slot) => this.stopSlot(slot)));
  }

  /** The entry's number, sent to every ready worker the first time it is seen. */
  private clientId(entry: RadiusClientEntry): number {
    const known = this.clientIds.get(entry);
    if (known !== undefined) return known;
    const id = this.clientEntries.length;
    this.clientIds.set(entry, id);
    // A client's session limit is split over the workers, as the UDP clients' are.
    const n = this.options.workers;
    this.clientEntries.push(
      entry.maxSessions === undefined
        ? entry
        : { ...entry, maxSessions: divided(entry.maxSessions, 0, n) },
    );
    // Before the batch that names it (flush posts later): a port keeps its messages in order.
    const shared = this.clientEntries[id] as RadiusClientEntry;
    for (const slot of this.slots)
      if (slot.ready) this.post(slot, { t: 'client', id, entry: shared });
    return id;
  }

  private poolStats(): RadiusWorkerPoolStats {
    return {
      workers: this.options.workers,
      ...this.counters,
      dropped: Object.fromEntries(this.drops),
    };
  }

  private drop(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const slot of this.slots) {
      if (!slot.ready || slot.datagrams.length === 0) continue;
      const datagrams = slot.datagrams;
      slot.outstanding += datagrams.length;
      this.post(
        slot,
        { t: 'in', datagrams, meta: slot.meta },
        datagrams.map((d) => d.buffer as ArrayBuffer),
      );
      slot.datagrams = [];
      slot.meta = [];
    }
  }

  private post(slot: Slot, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(message, transfer);
  }

  private spawn(index: number): Promise<void> {
    const entry = this.options.entry ?? new URL('./worker-main.js', import.meta.url);
    const worker = new Worker(entry, { workerData: { ...this.init, index } satisfies WorkerInit });
    const existing = this.slots[index];
    const slot: Slot = existing ?? {
      index,
      retiredReceived: 0,
      restarts: 0,
      worker,
      ready: false,
      outstanding: 0,
      datagrams: [],
      meta: [],
      last: undefined,
      stopping: false,
    };
    slot.worker = worker;
    slot.ready = false;
    slot.outstanding = 0;
    slot.last = undefined;
    this.slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.t) {
          case 'ready':
            slot.ready = true;
            for (const mirror of this.traceMirrors?.current() ?? [])
              this.post(slot, { t: 'trace', mirror });
            for (const [id, entry] of this.clientEntries.entries())
              this.post(slot, { t: 'client', id, entry });
            settled = true;
            resolve();
            this.flush();
            break;
          case 'failed':
            if (!settled) {
              settled = true;
              reject(new Error(`radius worker ${index}: ${message.message}`));
            }
            break;
          case 'out':
            this.delivered(slot, message);
            break;
          case 'stats':
            this.statsReplies.answer(message.id, message.stats);
            break;
          case 'users':
            this.usersReplies.answer(message.id, message.error);
            break;
          case 'stopped':
            slot.last = message.stats;
            void worker.terminate();
            break;
        }
      });
      // An uncaught exception in the worker: 'exit' follows with a non-zero code.
      worker.on('error', () => {});
      worker.on('exit', () => {
        if (slot.worker !== worker) return;
        slot.ready = false;
        if (!settled) {
          settled = true;
          reject(new Error(`radius worker ${index} exited while starting`));
          return;
        }
        if (this.closing || slot.stopping) return;
        // A crash: keep its counters, lose its conversations (counted), replace it.
        this.counters.restarts++;
        slot.restarts++;
        const last = slot.last ?? ZERO_STATS;
        slot.retiredReceived += last.received;
        this.counters.conversationsLost += last.sessions;
        this.retired = addStats(this.retired, last, false);
        const waiting = slot.datagrams.length;
        if (waiting > 0) for (let i = 0; i < waiting; i++) this.drop('worker-unavailable');
        slot.datagrams = [];
        slot.meta = [];
        this.spawn(index).catch(() => {
          // Setup failed again: the slot stays down and its datagrams are dropped (counted).
        });
      });
    });
  }

  private delivered(slot: Slot, message: Extract<FromWorker, { t: 'out' }>): void {
    slot.outstanding = Math.max(0, slot.outstanding - message.done);
    if (message.stats !== undefined) slot.last = message.stats;
    const { datagrams, meta } = message;
    for (let i = 0; i < datagrams.length; i++) {
      const listener = meta[3 * i + 2] as string;
      const to: RadiusEndpoint =
        listener === ''
          ? { address: meta[3 * i] as string, port: meta[3 * i + 1] as number }
          : { address: meta[3 * i] as string, port: meta[3 * i + 1] as number, listener };
      this.options.send(datagrams[i] as Uint8Array, to);
    }
    for (const event of message.events) this.traceMirrors?.write(event);
  }

  private stopSlot(slot: Slot): Promise<void> {
    slot.stopping = true;
    const worker = slot.worker;
    // Already gone (a replacement that failed to start): nothing to wait for.
    if (worker.threadId < 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate(), 2000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        this.post(slot, { t: 'stop' });
      } catch {
        void worker.terminate();
      }
    });
  }
}
