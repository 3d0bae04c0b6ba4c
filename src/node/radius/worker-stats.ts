/**
 * The counters of a RADIUS worker pool (worker-pool.ts): the pool's own,
 * each worker slot's, and the sum of the workers' RadiusServer counters
 * (`addStats`), which the UDP server (server.ts) adds to its own.
 */
import type { RadiusServerStats } from '../../radius/index.js';

/** Counters of the pool itself. */
export interface RadiusWorkerPoolStats {
  readonly workers: number;
  /** Workers replaced after they exited or threw. */
  readonly restarts: number;
  /** Conversations in progress in workers that died. */
  readonly conversationsLost: number;
  /** Requests routed by their State to the worker that set it. */
  readonly routedByState: number;
  /** Of those, how many a hash would have sent to another worker. */
  readonly routedAcross: number;
  /** Datagrams dropped because their worker was busy, starting or gone. */
  readonly dropped: Readonly<Record<string, number>>;
}

/** One worker thread's counters, for per-worker metrics. */
export interface RadiusWorkerStats {
  readonly index: number;
  /** Started and not exited (a crashed worker is down until its replacement is ready). */
  readonly up: boolean;
  /** Datagrams this slot's workers received, those of crashed ones included. */
  readonly received: number;
  /** Times this slot's worker was replaced after a crash. */
  readonly restarts: number;
}

export const ZERO_STATS: RadiusServerStats = {
  received: 0,
  sent: 0,
  duplicatesAnswered: 0,
  sessions: 0,
  cachedResponses: 0,
  sessionsStarted: 0,
  accepted: 0,
  rejected: 0,
  challenged: 0,
  expired: 0,
  identityMismatches: 0,
  accountingRecords: 0,
  droppedTotal: 0,
  dropped: {},
};

/** Sums counters; `gauges` too when true (sessions, cachedResponses). */
export function addStats(
  a: RadiusServerStats,
  b: RadiusServerStats,
  gauges = true,
): RadiusServerStats {
  const dropped: Record<string, number> = { ...a.dropped };
  for (const [reason, n] of Object.entries(b.dropped)) dropped[reason] = (dropped[reason] ?? 0) + n;
  return {
    received: a.received + b.received,
    sent: a.sent + b.sent,
    duplicatesAnswered: a.duplicatesAnswered + b.duplicatesAnswered,
    sessions: a.sessions + (gauges ? b.sessions : 0),
    cachedResponses: a.cachedResponses + (gauges ? b.cachedResponses : 0),
    sessionsStarted: a.sessionsStarted + b.sessionsStarted,
    accepted: a.accepted + b.accepted,
    rejected: a.rejected + b.rejected,
    challenged: a.challenged + b.challenged,
    expired: a.expired + b.expired,
    identityMismatches: a.identityMismatches + b.identityMismatches,
    accountingRecords: a.accountingRecords + b.accountingRecords,
    droppedTotal: a.droppedTotal + b.droppedTotal,
    dropped,
  };
}
