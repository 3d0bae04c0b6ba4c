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
  /** How long the conversation ran on the server (RadiusSessionEnded); absent when not known. */
  readonly durationMs?: number;
}

/** A neighbour cache entry (ARP or ND) as NeighborStateChanged names it: the link panel's row. */
export interface SnapshotNeighbour {
  readonly address: string;
  readonly protocol: string;
  readonly mac: string;
  readonly state: string;
}

export interface DashboardSnapshot {
  /** When it was taken (ms since the Unix epoch, the host's clock). */
  readonly atMs: number;
  readonly startedAtMs: number;
  /** Trace events every provider wrote since the start. */
  readonly eventsWritten: number;
  /**
   * The shared capture sessions (RPC, `/capture`): delivered and lost since
   * the start, and `matched`, the events its providers and level let in,
   * whether or not a client had it open (capture-match-counts.ts): a page
   * on a filtered session weighs a gap against this, not `eventsWritten`
   * (review M3).
   */
  readonly sessions: readonly {
    readonly name: string;
    readonly delivered: number;
    readonly lost: number;
    readonly matched: number;
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
  /**
   * The neighbour entries the services' stacks hold now (review L4: a page
   * opened after the ARP exchange had no neighbour table). State, not a
   * count: nothing is carried across a restart.
   */
  readonly neighbours: readonly SnapshotNeighbour[];
}

interface SessionStatus {
  readonly name?: unknown;
  readonly deliveredEvents?: unknown;
  readonly lostTotal?: unknown;
  readonly matched?: unknown;
  readonly matchedSinceStart?: unknown;
}

type Named = { readonly name: string };
type AdapterCounts = DashboardSnapshot['adapters'][number];
type SessionCounts = DashboardSnapshot['sessions'][number];

/**
 * The totals one service instance contributes to the snapshot. The host
 * keeps them for a stopped instance and adds them to the next one of the
 * same name (counter-carry.ts, review H1): the totals never go back.
 */
export interface SnapshotCounts {
  readonly byResult: Readonly<Record<string, number>>;
  /** The newest first. */
  readonly recent: readonly SnapshotAuthentication[];
  readonly accepted: number;
  readonly closeCodes: Readonly<Record<string, number>>;
  readonly adapters: readonly AdapterCounts[];
  readonly sessions: readonly SessionCounts[];
}

export const NO_COUNTS: SnapshotCounts = {
  byResult: {},
  recent: [],
  accepted: 0,
  closeCodes: {},
  adapters: [],
  sessions: [],
};

const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** What `service` counted itself (its status and snapshot), carried nothing. */
export function snapshotCounts(service: HostService): SnapshotCounts {
  const own = service.snapshot?.() ?? {};
  const adapters = (own['adapters'] ?? []) as AdapterCounts[];
  if (service.name === 'radius')
    return {
      ...NO_COUNTS,
      adapters,
      byResult: (own['byResult'] ?? {}) as Record<string, number>,
      recent: ((own['recent'] ?? []) as SnapshotAuthentication[]).slice(0, RECENT_AUTHENTICATIONS),
    };
  if (service.name === 'websocket-echo') {
    const echo = service.status();
    return {
      ...NO_COUNTS,
      adapters,
      accepted: count(echo['accepted']),
      closeCodes: (echo['closeCodes'] ?? {}) as Record<string, number>,
    };
  }
  if (service.name === 'capture') {
    const capture = service.status();
    const sessions = Array.isArray(capture['sessions'])
      ? (capture['sessions'] as SessionStatus[]).map((s) => ({
          name: String(s.name),
          delivered: count(s.deliveredEvents),
          lost: count(s.lostTotal),
          matched: count(s.matchedSinceStart ?? s.matched),
        }))
      : [];
    return { ...NO_COUNTS, adapters, sessions };
  }
  return { ...NO_COUNTS, adapters };
}

function mergeRecords(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
  sign: 1 | -1,
): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [key, value] of Object.entries(b))
    out[key] = Math.max(0, (out[key] ?? 0) + sign * value);
  return out;
}

/** Rows by name: `newer`'s order first, then the names only `older` has. */
function mergeRows<Row extends Named>(
  older: readonly Row[],
  newer: readonly Row[],
  add: (a: Row, b: Row) => Row,
): Row[] {
  const byName = new Map(older.map((row) => [row.name, row]));
  const out = newer.map((row) => {
    const before = byName.get(row.name);
    byName.delete(row.name);
    return before === undefined ? row : add(before, row);
  });
  return [...out, ...byName.values()];
}

const sameAuthentication = (a: SnapshotAuthentication, b: SnapshotAuthentication) =>
  a.timeMs === b.timeMs &&
  a.identity === b.identity &&
  a.method === b.method &&
  a.outcome === b.outcome;

/** The totals of `older` (carried) and `newer` (counted since) together. */
export function addSnapshotCounts(older: SnapshotCounts, newer: SnapshotCounts): SnapshotCounts {
  return {
    byResult: mergeRecords(older.byResult, newer.byResult, 1),
    recent: [...newer.recent, ...older.recent].slice(0, RECENT_AUTHENTICATIONS),
    accepted: older.accepted + newer.accepted,
    closeCodes: mergeRecords(older.closeCodes, newer.closeCodes, 1),
    adapters: mergeRows(older.adapters, newer.adapters, (a, b) => ({
      name: b.name,
      accepted: a.accepted + b.accepted,
      dropped: a.dropped + b.dropped,
    })),
    sessions: mergeRows(older.sessions, newer.sessions, (a, b) => ({
      name: b.name,
      delivered: a.delivered + b.delivered,
      lost: a.lost + b.lost,
      matched: a.matched + b.matched,
    })),
  };
}

/**
 * `carried` without what an instance started again kept counting itself
 * (`kept`, read right after its start): a stopped instance that comes back
 * (a refused reload's rollback) may still hold its totals, already carried.
 */
export function withoutKept(carried: SnapshotCounts, kept: SnapshotCounts): SnapshotCounts {
  const less = (a: number, b: number) => Math.max(0, a - b);
  return {
    byResult: mergeRecords(carried.byResult, kept.byResult, -1),
    recent: carried.recent.filter((a) => !kept.recent.some((b) => sameAuthentication(a, b))),
    accepted: less(carried.accepted, kept.accepted),
    closeCodes: mergeRecords(carried.closeCodes, kept.closeCodes, -1),
    adapters: carried.adapters.map((row) => {
      const k = kept.adapters.find((r) => r.name === row.name);
      return k === undefined
        ? row
        : {
            ...row,
            accepted: less(row.accepted, k.accepted),
            dropped: less(row.dropped, k.dropped),
          };
    }),
    sessions: carried.sessions.map((row) => {
      const k = kept.sessions.find((r) => r.name === row.name);
      return k === undefined
        ? row
        : {
            ...row,
            delivered: less(row.delivered, k.delivered),
            lost: less(row.lost, k.lost),
            matched: less(row.matched, k.matched),
          };
    }),
  };
}

/**
 * `countsOf` gives each running service's totals, carried ones included
 * (the host's ServiceTotals); by default what the instance counted itself.
 */
export function dashboardSnapshot(
  services: readonly HostService[],
  trace: TraceRegistry,
  atMs: number,
  startedAtMs: number,
  countsOf: (service: HostService) => SnapshotCounts = snapshotCounts,
): DashboardSnapshot {
  const counts = services.map(countsOf);
  // Folded so the rows keep the services' start order.
  const total = counts.reduce((sum, own) => addSnapshotCounts(own, sum), NO_COUNTS);
  const echo = services.find((s) => s.name === 'websocket-echo')?.status() ?? {};
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
  // Other services' script rows (the synthetic peer's login script, review M2).
  for (const s of services)
    if (!s.name.startsWith('port:'))
      scripts.push(...((s.snapshot?.()['scripts'] ?? []) as DashboardSnapshot['scripts']));
  const neighbours = services.flatMap(
    (s) => (s.snapshot?.()['neighbours'] ?? []) as SnapshotNeighbour[],
  );
  return {
    atMs,
    startedAtMs,
    neighbours,
    eventsWritten: trace.providers().reduce((n, p) => n + p.written, 0),
    sessions: total.sessions,
    authentications: {
      total: Object.values(total.byResult).reduce((n, v) => n + v, 0),
      byResult: total.byResult,
      recent: total.recent,
    },
    websocket: {
      open: count(echo['connections']),
      accepted: total.accepted,
      closeCodes: total.closeCodes,
    },
    adapters: total.adapters,
    scripts,
  };
}
