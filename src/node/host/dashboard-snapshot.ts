/**
 * `GET /api/dashboard/snapshot`: what the host has counted since it
 * started, for a dashboard page that opens (or reconnects) later than the
 * events it would otherwise have folded itself (review D8). It is built
 * from counters the services already keep (their `status()`, and a
 * `snapshot()` where a panel needs rows: the recent authentications, the
 * adapters' frame counts), never from a second copy of the event stream.
 * Bounded: at most `RECENT_AUTHENTICATIONS` authentications, one row per
 * adapter, port and close code.
 */
import type { TraceRegistry } from '../../trace/index.js';
import type { HostService } from './host.js';

/** Authentications a snapshot carries (the page's EAP panel shows as many). */
export const RECENT_AUTHENTICATIONS = 20;

export interface SnapshotAuthentication {
  readonly timeMs: number;
  readonly identity: string;
  readonly method: string;
  readonly outcome: string;
}

export interface DashboardSnapshot {
  /** When it was taken (ms since the Unix epoch, the host's clock). */
  readonly atMs: number;
  readonly startedAtMs: number;
  /** Trace events every provider wrote since the start. */
  readonly eventsWritten: number;
  /** The shared capture sessions (RPC, `/capture`): delivered and lost since the start. */
  readonly sessions: readonly {
    readonly name: string;
    readonly delivered: number;
    readonly lost: number;
  }[];
  readonly authentications: {
    /** Ended EAP conversations counted by the RADIUS server, by `method result`. */
    readonly total: number;
    readonly byResult: Readonly<Record<string, number>>;
    /** The newest first. */
    readonly recent: readonly SnapshotAuthentication[];
  };
  readonly websocket: {
    readonly open: number;
    readonly accepted: number;
    readonly closeCodes: Readonly<Record<string, number>>;
  };
  readonly adapters: readonly {
    readonly name: string;
    readonly accepted: number;
    readonly dropped: number;
  }[];
  readonly scripts: readonly { readonly port: string; readonly result: string }[];
}

interface SessionStatus {
  readonly name?: unknown;
  readonly deliveredEvents?: unknown;
  readonly lostTotal?: unknown;
}

const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

export function dashboardSnapshot(
  services: readonly HostService[],
  trace: TraceRegistry,
  atMs: number,
  startedAtMs: number,
): DashboardSnapshot {
  const byName = new Map(services.map((s) => [s.name, s]));
  const capture = byName.get('capture')?.status() ?? {};
  const sessions = Array.isArray(capture['sessions'])
    ? (capture['sessions'] as SessionStatus[]).map((s) => ({
        name: String(s.name),
        delivered: count(s.deliveredEvents),
        lost: count(s.lostTotal),
      }))
    : [];
  const radius = byName.get('radius')?.snapshot?.() ?? {};
  const byResult = (radius['byResult'] ?? {}) as Record<string, number>;
  const echo = byName.get('websocket-echo')?.status() ?? {};
  const adapters = services.flatMap(
    (s) => (s.snapshot?.()['adapters'] ?? []) as DashboardSnapshot['adapters'],
  );
  const scripts = services
    .filter((s) => s.name.startsWith('port:'))
    .map((s) => {
      const status = s.status();
      const state = typeof status['state'] === 'string' ? status['state'] : 'waiting';
      // As the page words ScriptFinished (chat's exit code) and ScpFinished (the outcome).
      const result =
        typeof status['outcome'] === 'string'
          ? status['outcome']
          : state !== 'running' && typeof status['code'] === 'number'
            ? `exit ${status['code']}`
            : state;
      return { port: typeof status['port'] === 'string' ? status['port'] : s.name, result };
    });
  return {
    atMs,
    startedAtMs,
    eventsWritten: trace.providers().reduce((n, p) => n + p.written, 0),
    sessions,
    authentications: {
      total: Object.values(byResult).reduce((n, v) => n + v, 0),
      byResult,
      recent: ((radius['recent'] ?? []) as SnapshotAuthentication[]).slice(
        0,
        RECENT_AUTHENTICATIONS,
      ),
    },
    websocket: {
      open: count(echo['connections']),
      accepted: count(echo['accepted']),
      closeCodes: (echo['closeCodes'] ?? {}) as Record<string, number>,
    },
    adapters,
    scripts,
  };
}
