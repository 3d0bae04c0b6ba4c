/**
 * The messages between a RADIUS worker pool's receiving thread and its
 * workers (worker-pool.ts, worker-main.ts). Datagrams travel as transferred
 * ArrayBuffers in batches, one message per batch each way: a batch collects
 * what one turn of the event loop received (or answered).
 */
import type { EventDescriptor } from '../../trace/index.js';
import type {
  RadiusClientEntry,
  RadiusClientOptions,
  RadiusServerOptions,
  RadiusServerStats,
} from '../../radius/index.js';

/**
 * How a worker builds what cannot cross threads (EAP methods, the user store
 * or provider): an ES module it imports, and data for it. The module exports
 * `createRadiusWorkerOptions(data)` returning (or resolving to)
 * `RadiusWorkerBuilt`. worker-setup.ts is the standard one. A module that
 * also exports `createRadiusWorkerUsers(data)` (returning a `UserStore`)
 * lets the pool swap the users in place (`RadiusWorkerPool.updateUsers`).
 */
export interface RadiusWorkerSetup {
  /** The module's URL (file: URL string). */
  readonly module: string;
  /** Structured-cloneable data for it. */
  readonly data: unknown;
}

export type RadiusWorkerBuilt = Pick<RadiusServerOptions, 'methods'> &
  Partial<Pick<RadiusServerOptions, 'users' | 'provider'>>;

/** The server settings a worker gets (plain data only). */
export type RadiusWorkerSettings = Omit<
  RadiusServerOptions,
  | 'clock'
  | 'crypto'
  | 'send'
  | 'methods'
  | 'users'
  | 'provider'
  | 'accounting'
  | 'trace'
  | 'clients'
  | 'statePrefix'
> & { readonly clients: readonly RadiusClientOptions[] };

export interface WorkerInit {
  readonly index: number;
  readonly workers: number;
  readonly settings: RadiusWorkerSettings;
  readonly setup: RadiusWorkerSetup;
  /** The latest `updateUsers` data, so a worker replacing a crashed one has the users now. */
  readonly users?: unknown;
}

/** A provider's combined enablement on the receiving thread, mirrored in each worker. */
export interface TraceMirror {
  readonly guid: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly level: number;
  readonly matchAnyKeyword: bigint;
  readonly matchAllKeyword: bigint;
}

/**
 * `meta` holds address, port, listener ('' for none) and client (the number
 * a `client` message gave it, -1 for none) per datagram: `IN_META` values.
 */
export type ToWorker =
  | { readonly t: 'in'; readonly datagrams: Uint8Array[]; readonly meta: (string | number)[] }
  /**
   * A client entry the transport identified (RadSec: by certificate), sent
   * once before the first datagram that names it: the core tells clients
   * apart by entry, so each worker keeps one object per number.
   */
  | { readonly t: 'client'; readonly id: number; readonly entry: RadiusClientEntry }
  | { readonly t: 'trace'; readonly mirror: TraceMirror }
  | { readonly t: 'stats'; readonly id: number }
  /** New users: `createRadiusWorkerUsers(data)` of the setup module replaces the store. */
  | { readonly t: 'users'; readonly id: number; readonly data: unknown }
  | { readonly t: 'stop' };

/** Values per datagram in an `in` batch's `meta`. */
export const IN_META = 4;
/** The client number of a datagram whose client the core looks up by address. */
export const NO_CLIENT = -1;

export interface ForwardedEvent {
  readonly guid: string;
  readonly descriptor: EventDescriptor;
  readonly payload: Uint8Array;
}

export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'failed'; readonly message: string }
  | {
      readonly t: 'out';
      /** Requests of earlier `in` batches now processed (answered or dropped). */
      readonly done: number;
      readonly datagrams: Uint8Array[];
      readonly meta: (string | number)[];
      readonly events: ForwardedEvent[];
      /** The worker's counters, at most every 250 ms (`stats` asks for them now). */
      readonly stats: RadiusServerStats | undefined;
    }
  | { readonly t: 'stats'; readonly id: number; readonly stats: RadiusServerStats }
  /** The users of update `id` are in place (`error`: they are not, and why). */
  | { readonly t: 'users'; readonly id: number; readonly error?: string }
  | { readonly t: 'stopped'; readonly stats: RadiusServerStats };
