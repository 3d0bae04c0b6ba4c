/**
 * The host's contract with its services and its caller: what a service is
 * given (HostContext), what it implements (HostService), what `startHost`
 * takes and gives back. host.ts runs them.
 */
import type { Clock, Crypto } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import type { Adapter } from '../../link/index.js';
import type { HostConfig } from './config.js';
import type { HttpStatusServer } from './http-status.js';
import type { HostLogger } from './logger.js';
import type { MetricFamily } from './metrics.js';
import type { ReloadResult } from './reload.js';

/** What every service of the host is given when it starts. */
export interface HostContext {
  readonly clock: Clock;
  readonly crypto: Crypto;
  readonly trace: TraceRegistry;
  readonly http: HttpStatusServer;
  /** The HTTP server's URL (`http://127.0.0.1:7340/`). */
  readonly url: string;
  /** A line for the operator while running (a structured `info` line under `netrx up`). */
  readonly log: (line: string) => void;
  /** The host's structured log (pino). */
  readonly logger: HostLogger;
  /**
   * Puts `adapter` under the host's packet-capture provider (capture
   * sessions and the dashboard's pcapng see its frames); returns the detach.
   */
  readonly captureAdapter: (adapter: Adapter) => () => void;
  /**
   * The running instance of the service named `name`, looked up at each
   * call: a service that talks to another (the synthetic peer to radius)
   * asks here rather than holding an instance a reload may replace, so it
   * need not restart with it (review D7).
   */
  readonly service: (name: string) => HostService | undefined;
}

/**
 * A capability the host runs (the WebSocket echo endpoint, a VXLAN adapter, a
 * RADIUS server…). `start` resolves with one line saying where it is; `status`
 * is what `/health` shows for it, `metrics` what `/metrics` does.
 */
export interface HostService {
  readonly name: string;
  /**
   * What the service was built from (its configuration section): on a reload
   * a service whose name and fingerprint are unchanged keeps running,
   * connections and all. Without one, a reload restarts it.
   */
  readonly fingerprint?: string;
  /** Services that must restart when one of these (by name) restarts. */
  readonly dependsOn?: readonly string[];
  /**
   * On a reload whose section for this service changed: whether this
   * running instance can take `next`'s configuration in place (the capture
   * service replacing one session and keeping the others). Returns the
   * change, which the reload applies once every restarted service is up
   * (afterwards `fingerprint` is `next`'s), or undefined when only a
   * restart will do. Deciding must change nothing. A change that needs I/O
   * (the capture service binding its RPC listener elsewhere) returns a
   * promise; if it rejects it must have changed nothing (the service runs
   * on as before, its fingerprint the old one, so the next reload tries
   * again), and the reload reports it in `failed`.
   */
  updateInPlace?(next: HostService): (() => void | Promise<void>) | undefined;
  start(context: HostContext): Promise<string>;
  /** First phase of the ordered stop: stop taking new work (optional). */
  drain?(): Promise<void> | void;
  /** Finishes or closes what is in progress; may resolve with a line saying what it did. */
  stop(): Promise<void | string>;
  status(): Record<string, unknown>;
  metrics?(): readonly MetricFamily[];
  /**
   * Rows for the dashboard's panels that `status()` does not carry (the
   * recent authentications, adapters' frame counts): what a page opened
   * late is shown at once (dashboard-snapshot.ts, review D8).
   */
  snapshot?(): Record<string, unknown>;
  /**
   * Why the service runs but does not work (its own probe failed: the
   * synthetic peer's rounds), or undefined when it works: `/health` shows
   * it `degraded` (review M4).
   */
  degraded?(): string | undefined;
}

export interface RunningHost {
  readonly url: string;
  /**
   * With `http.token`: the one-time dashboard login link (`…/login?code=…`,
   * one use within 15 minutes). For the operator's terminal only: never log it.
   */
  readonly loginUrl: string | undefined;
  readonly trace: TraceRegistry;
  /** One line per service: name and where it is. */
  readonly started: readonly { readonly name: string; readonly detail: string }[];
  /**
   * Applies a new, validated configuration: services whose fingerprint
   * changed (or that depend on one that did) restart, removed ones stop,
   * new ones start; the others keep running untouched. An `http` change is
   * refused (it would drop every connection): restart the host for it. A
   * service that fails to start is reported and left stopped.
   */
  reload(config: HostConfig, services: readonly HostService[]): Promise<ReloadResult>;
  /** A reload refused before it reached the host (a file that does not parse or check): counted (review D3). */
  reloadRefused(error: string): void;
  /** The `/metrics` text. */
  metrics(): string;
  /** The ordered stop: stop accepting, finish or close sessions, flush captures. Idempotent. */
  stop(): Promise<void>;
}

export interface StartHostOptions {
  readonly clock?: Clock;
  readonly crypto?: Crypto;
  /** Extra services to run beside the built-in ones. */
  readonly services?: readonly HostService[];
  /**
   * Where operator lines (services' `context.log`, `trace.console`) go when
   * no `logger` is given, as plain lines. Default: standard error.
   */
  readonly log?: (line: string) => void;
  /** The structured log; when given, operator lines are its `info` lines. */
  readonly logger?: HostLogger;
  readonly version: string;
  /** The dashboard's build (default ui/dist of this checkout or package). */
  readonly dashboardDir?: string;
  /** How the operator runs the CLI (the Wireshark instructions print it); default `netrx`. */
  readonly cli?: string;
}
