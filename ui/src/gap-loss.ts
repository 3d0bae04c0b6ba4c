/**
 * How many events a page missed while it was not connected (review M3).
 * The page cannot see the gap itself, but it knows two counters on either
 * side of it: the host's `eventsWritten` (every provider, since the host
 * started, from `/api/dashboard/snapshot`) and its own "accounted" count
 * (events received, plus events the host reported lost, plus what earlier
 * gaps were counted as). Every event the host wrote is one the page either
 * got, was told it lost, or missed in a gap; so written minus accounted,
 * over a window both counters cover, is what the page missed.
 *
 * - The same host instance back (a network blip, `startedAtMs` unchanged):
 *   its counters cover the gap, so the loss is counted, not bounded (to
 *   within the events in flight at the two snapshots).
 * - A new host instance (a restart): the dead host's events after its last
 *   snapshot are unknowable, so the figure is a lower bound: what the old
 *   host wrote up to its last snapshot that never arrived, plus what the new
 *   host wrote before this page's new copy of the session opened.
 *
 * Events the host wrote before a snapshot can still be on their way when it
 * arrives; they come later, stamped at or before the snapshot's `atMs`, and
 * each one that does is taken off the gap it was counted in (`arrived`).
 *
 * The host's count is the watched session's `matched` (what its providers
 * and filters let in since the host started), so a filtered session's gap
 * is as exact as an unfiltered one's; a host that does not give it has
 * every provider's `eventsWritten` used, too high for a filtered session
 * (store.ts `writtenFor`, docs/dashboard.md).
 */

/** Both counters at one snapshot's arrival. */
interface Reading {
  readonly atMs: number;
  readonly startedAtMs: number;
  readonly written: number;
  readonly accounted: number;
}

export interface GapLoss {
  /** When the page was connected again; the gap is [atMs - ms, atMs). */
  readonly atMs: number;
  readonly ms: number;
  /** Events missed in it: counted (exact) or at least this many. */
  lost: number;
  readonly exact: boolean;
  /** The host came back as a new instance (it restarted). */
  readonly restarted: boolean;
}

interface PendingGap {
  readonly atMs: number;
  readonly ms: number;
  /** The page's accounted count when it was connected again (nothing arrives in a gap). */
  readonly accounted: number;
  /** Which connection it ended; a snapshot asked for before that one opened does not settle it. */
  readonly connection: number;
}

/** Gaps kept (the totals add them all up; the chart shows the recent ones). */
const MAX_GAPS = 20;

export class GapLedger {
  /** Events missed in gaps so far, counted or bounded. */
  lost = 0;
  /** Every gap so far was counted exactly (only same-instance blips). */
  exact = true;
  readonly gaps: GapLoss[] = [];
  /** Incremented on every reconnection: a snapshot carries the value it was asked under. */
  connection = 0;
  /** The first snapshot of the current connection, and the newest one. */
  private base: Reading | undefined;
  private last: Reading | undefined;
  private pending: PendingGap | undefined;
  /** The gap last settled, and the host time of the snapshot that settled it. */
  private settled: { readonly gap: GapLoss; readonly untilMs: number } | undefined;
  /** Events that arrived after `last` was read but were written before it. */
  private lateForLast = 0;

  /** The page is connected again after `ms` without the host; `accounted` as it is now. */
  reconnected(ms: number, accounted: number, nowMs: number): void {
    this.connection++;
    this.settled = undefined;
    // Two gaps with no snapshot between them: one long gap, settled once.
    const earlier = this.pending;
    this.pending = {
      atMs: nowMs,
      ms: earlier === undefined ? ms : nowMs - (earlier.atMs - earlier.ms),
      // The earliest count: what arrived between the two gaps came from the host that is back.
      accounted: earlier?.accounted ?? accounted,
      connection: this.connection,
    };
  }

  /**
   * A snapshot arrived: `written` is its `eventsWritten`, `accounted` the
   * page's count at its arrival, `askedUnder` the `connection` value when it
   * was requested, `atMs` its host time. Answers the gap it settled, if any.
   */
  snapshot(
    atMs: number,
    startedAtMs: number,
    written: number,
    accounted: number,
    askedUnder: number,
  ): GapLoss | undefined {
    const reading: Reading = { atMs, startedAtMs, written, accounted };
    const late = this.lateForLast;
    this.lateForLast = 0;
    const pending = this.pending;
    // A snapshot asked for before the page's new copy of the session opened
    // says nothing about what that copy will receive: wait for the next one.
    if (pending !== undefined && askedUnder < pending.connection) return undefined;
    if (pending === undefined || this.last === undefined) {
      this.pending = undefined;
      this.base ??= reading;
      this.last = reading;
      return undefined;
    }
    this.pending = undefined;
    const last = this.last;
    const base = this.base ?? last;
    const restarted = startedAtMs !== last.startedAtMs;
    const lost = restarted
      ? // What the old host wrote up to its last snapshot and the page never
        // got, plus what the new host wrote before the page was back.
        Math.max(0, last.written - base.written - (pending.accounted - base.accounted)) +
        Math.max(0, written - (accounted - pending.accounted))
      : Math.max(0, written - last.written - (accounted - last.accounted - late));
    const gap: GapLoss = { atMs: pending.atMs, ms: pending.ms, lost, exact: !restarted, restarted };
    this.lost += lost;
    if (restarted) this.exact = false;
    this.gaps.push(gap);
    this.settled = { gap, untilMs: atMs };
    if (this.gaps.length > MAX_GAPS) this.gaps.shift();
    // The missed events are accounted for from now on.
    this.base = this.last = { atMs, startedAtMs, written, accounted: accounted + lost };
    return gap;
  }

  /** An event stamped `timeMs` arrived: one in flight at the settling snapshot was not missed. */
  arrived(timeMs: number): void {
    const settled = this.settled;
    if (settled !== undefined && timeMs <= settled.untilMs && settled.gap.lost > 0) {
      settled.gap.lost--;
      this.lost--;
    } else if (this.last !== undefined && timeMs <= this.last.atMs) this.lateForLast++;
  }

  /** Forgets everything (the page switched to another session). */
  reset(): void {
    this.lost = 0;
    this.exact = true;
    this.gaps.length = 0;
    this.base = this.last = this.pending = this.settled = undefined;
    this.lateForLast = 0;
  }
}

/** The "Lost by this page" figure: reported loss plus gap loss, "at least" where bounded. */
export function lostFigure(reported: number, ledger: GapLedger): string {
  if (ledger.gaps.length === 0) return String(reported);
  const total = reported + ledger.lost;
  const where = `${ledger.lost} in ${ledger.gaps.length === 1 ? 'a gap' : `${ledger.gaps.length} gaps`}`;
  return ledger.exact ? `${total} (${where})` : `at least ${total} (≥ ${where})`;
}
