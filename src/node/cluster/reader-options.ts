/**
 * The capture reader's settings and counters (`StreamSessionSource`,
 * reader.ts): what a caller passes and what `stats()` reports, kept apart
 * from the reader's behaviour so that each file stays one concern.
 */
import type { LagSettings } from './lag-sampler.js';
import type { ConsumePort, ConsumerError } from './ports.js';
import type { Clock } from '../../runtime/index.js';

export interface StreamSessionSourceOptions {
  readonly port: ConsumePort;
  /** The capture session (and stream) to read. */
  readonly session: string;
  /** Which hosts: a name or a glob (`lab-*`). Default `*`. */
  readonly hosts?: string;
  /**
   * The durable consumers' prefix (`<durable>-<host>` per host,
   * `<durable>-loss` for the loss stream). Default
   * `netrx-reader-<session>-<readerId>`: one per server, so a second server
   * of the session is refused a held host (10100), never given a share (review16 R2).
   */
  readonly durable?: string;
  /** This server's identity in the default durable. Default `defaultReaderId()` (the host name). */
  readonly readerId?: string;
  /**
   * The durable prefix an earlier netrx used for this server: its legacy
   * `-loss` durable is adopted (its acked loss becomes floors) and deleted
   * (loss-upgrade.ts, verify16c V2). Default: with the default durable and
   * this machine's default id, the pre-N1 default durable when it differs.
   */
  readonly upgradedFrom?: string;
  /** Distinct publisher runs remembered for loss accounting. Default 4096. */
  readonly maxPublishers?: number;
  /** Paces a glob reader's look for new hosts (`discoverEveryMs`). Default the system clock. */
  readonly clock?: Clock;
  readonly discoverEveryMs?: number;
  /** A consume loop failed (e.g. 10100: another reader claims a host); it tries again. */
  readonly onError?: (error: ConsumerError) => void;
  /** Samples the host consumers' lag while open, when the port answers consumer info (lag-sampler.ts). */
  readonly lag?: LagSettings;
  /** The stream's duplicate window (as `ensureStream` set it). Default 120,000 ms. */
  readonly duplicateWindowMs?: number;
  /** How far publishers', servers' and this reader's clocks may differ. Default 10,000 ms. */
  readonly clockToleranceMs?: number;
  /** A copy was delivered that may have been delivered before (late-copies.ts); `count` is cumulative. */
  readonly onDuplicatePossible?: (host: string, count: number) => void;
  /**
   * Bytes all hosts' pulls may have asked for at once, shared fairly
   * (pull-budget.ts, review16c N12). Default READER_PULL_BYTES (8 MiB);
   * at least one request (PULL_WINDOW_BYTES / PULLS_IN_FLIGHT).
   */
  readonly pullBudgetBytes?: number;
}

export interface StreamSessionSourceStats {
  readonly messages: number;
  readonly events: number;
  /**
   * Events this session's queue refused, and the rest of a partly delivered
   * message that waited for room when the client closed (also in its Lost
   * Event Count).
   */
  readonly queueLost: number;
  /** Loss the publishers reported (the growth of their counts). */
  readonly publisherLost: number;
  /** Items that were not an EventRecord, or messages whose framing broke: each counted one lost. */
  readonly malformed: number;
  /** Messages of hosts the pattern does not match (not this session's). */
  readonly filtered: number;
  /** Loss reports ignored because `maxPublishers` runs were already tracked. */
  readonly untrackedReports: number;
  /**
   * Messages delivered again (stream sequence at or below one already
   * handled): a server that restarted before our acks were stored sends
   * them again. Skipped, so no event is delivered twice.
   */
  readonly redelivered: number;
  /**
   * Messages whose publisher batch ID was already delivered: a retry stored
   * again after the stream's duplicate window. Skipped (acked), not delivered twice.
   */
  readonly duplicates: number;
  /**
   * Messages delivered that may be a second copy delivered before: stored
   * after the duplicate window, of a batch this reader cannot have seen
   * (late-copies.ts; a restarted reader). Delivered, counted, not exact.
   */
  readonly duplicatesPossible: number;
  /**
   * `duplicatesPossible` per host of origin (issue 16: which host's events
   * may repeat), the hosts held now at 0; sums to `duplicatesPossible`
   * (past `maxPublishers` hosts the rest are under `(other)`).
   */
  readonly duplicatesPossibleByHost: Readonly<Record<string, number>>;
  /** Hosts this reader has a consumer for (claimed, or trying to claim). */
  readonly claimedHosts: number;
  /**
   * Claims a glob reader released because their host showed no sign (no
   * message, no loss report, no event in the stream) for
   * RELEASE_IDLE_DISCOVERIES discoveries (review16d D4); a later sign claims it again.
   */
  readonly releasedHosts: number;

  /** Consume loop failures, by JetStream error code (`other` without one). */
  readonly consumerErrors: Readonly<Record<string, number>>;
  readonly open: boolean;
}
