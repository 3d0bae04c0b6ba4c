/**
 * What the page remembers, bounded: the latest events (a ring), per-second
 * counts for the charts, and the state each module panel shows, folded from
 * the events as they arrive. Nothing here grows with the event rate.
 */
import { GapLedger } from './gap-loss.js';
import type { UiEvent } from './manifest.js';

export const MAX_EVENTS = 2000;
export const RATE_WINDOW_SECONDS = 120;
const RECENT_AUTHS = 20;
const MAX_TABLE_ROWS = 200;
/** Transcript lines kept per port (the newest). */
export const TRANSCRIPT_LINES = 40;
/** Ports whose transcripts are kept. */
const TRANSCRIPT_PORTS = 16;

export interface TranscriptLine {
  readonly timeMs: number;
  /** send, expect, received, matched, timeout or failed. */
  readonly step: string;
  readonly text: string;
  readonly truncated: boolean;
}

export interface Authentication {
  readonly timeMs: number;
  readonly identity: string;
  readonly method: string;
  readonly outcome: string;
  readonly durationMs: number | undefined;
}

export interface Gap {
  /** When the page was connected again. */
  readonly atMs: number;
  /** How long it was not: the gap is [atMs - ms, atMs). */
  readonly ms: number;
}

/** What `GET ./api/dashboard/snapshot` answers (src/node/host/dashboard-snapshot.ts). */
export interface HostSnapshot {
  readonly atMs: number;
  readonly startedAtMs: number;
  readonly eventsWritten: number;
  readonly sessions: readonly {
    readonly name: string;
    readonly delivered: number;
    readonly lost: number;
    /** Events the session's filters let in since the host started (absent from an older host). */
    readonly matched?: number;
  }[];
  readonly authentications: {
    readonly total: number;
    readonly byResult: Readonly<Record<string, number>>;
    readonly recent: readonly {
      readonly timeMs: number;
      readonly identity: string;
      readonly method: string;
      readonly outcome: string;
      /** As the server timed it; absent when it does not know (or an older host). */
      readonly durationMs?: number;
    }[];
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
  /** The neighbour entries now (absent from an older host). */
  readonly neighbours?: readonly {
    readonly address: string;
    readonly protocol: string;
    readonly mac: string;
    readonly state: string;
  }[];
}

/** One second of the rate chart: counts, or null for a second the page was not connected. */
export interface RateSeries {
  readonly received: readonly (number | null)[];
  readonly lost: readonly (number | null)[];
  /** Seconds of the window inside a gap (the host was unreachable). */
  readonly gapSeconds: number;
  /** Events missed in the window's gaps (review M3): counted, or at least this many. */
  readonly gapLost: number;
  readonly gapLostExact: boolean;
}

/** A map that forgets its oldest key once it holds `limit`. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.limit) {
      const oldest = this.keys().next();
      if (oldest.done !== true) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

export class Store {
  readonly events: UiEvent[] = [];
  private head = 0;
  received = 0;
  lost = 0;
  readonly gaps: Gap[] = [];
  /** What the gaps cost, from the host's counters on either side (review M3). */
  readonly gapLoss = new GapLedger();
  /** Since when the page has been disconnected (undefined while connected). */
  downSinceMs: number | undefined;
  /** The host's counters since its start, as last fetched (review D8). */
  host: HostSnapshot | undefined;
  /**
   * The host's clock minus the page's, from the last snapshot (its `atMs`
   * against when it arrived): the chart's time axis is the host's (review L4).
   */
  hostOffsetMs = 0;
  /** The capture session the page watches (set by `reset`): its gaps weigh what it matched. */
  session = 'default';
  /** Per second: [unix second, received, lost]. */
  readonly rates: [number, number, number][] = [];

  readonly authentications: Authentication[] = [];
  private readonly eapStarts = new BoundedMap<string, number>(1024);
  readonly adapters = new BoundedMap<string, { accepted: number; dropped: number }>(MAX_TABLE_ROWS);
  readonly neighbours = new BoundedMap<string, { protocol: string; mac: string; state: string }>(
    MAX_TABLE_ROWS,
  );
  readonly openConnections = new BoundedMap<string, { role: string; since: number }>(
    MAX_TABLE_ROWS,
  );
  readonly closeCodes = new BoundedMap<string, number>(64);
  readonly scripts = new BoundedMap<string, { timeMs: number; result: string }>(MAX_TABLE_ROWS);
  /** Per port, its script's dialogue (ScriptTranscript events), oldest first. */
  readonly transcripts = new BoundedMap<string, TranscriptLine[]>(TRANSCRIPT_PORTS);

  /** Events in arrival order, oldest first. */
  ordered(): UiEvent[] {
    return this.events.length < MAX_EVENTS
      ? this.events.slice()
      : [...this.events.slice(this.head), ...this.events.slice(0, this.head)];
  }

  add(event: UiEvent): void {
    if (this.events.length < MAX_EVENTS) this.events.push(event);
    else {
      this.events[this.head] = event;
      this.head = (this.head + 1) % MAX_EVENTS;
    }
    this.received++;
    this.gapLoss.arrived(event.timeMs);
    this.bucket(Date.now())[1]++;
    this.fold(event);
  }

  addLost(count: number): void {
    this.lost += count;
    this.bucket(Date.now())[2] += count;
  }

  addGap(ms: number, nowMs = Date.now()): void {
    this.gaps.push({ atMs: nowMs, ms });
    if (this.gaps.length > 20) this.gaps.shift();
    this.gapLoss.reconnected(ms, this.accounted(), nowMs);
  }

  /** Events received, reported lost, or counted as missed in a gap. */
  accounted(): number {
    return this.received + this.lost + this.gapLoss.lost;
  }

  /**
   * The host's counters since its start (review D8): a page opened late, or
   * back after a gap, shows at once what the events it missed would have
   * folded into: the recent authentications, the adapters' frame counts, the
   * echo endpoint's close codes, the ports' results. Rows the page counted
   * itself are kept where they are ahead (an event newer than the snapshot).
   */
  applySnapshot(
    snapshot: HostSnapshot,
    askedUnder = this.gapLoss.connection,
    arrivedAtMs = Date.now(),
  ): void {
    this.host = snapshot;
    this.hostOffsetMs = snapshot.atMs - arrivedAtMs;
    this.gapLoss.snapshot(
      snapshot.atMs,
      snapshot.startedAtMs,
      writtenFor(snapshot, this.session),
      this.accounted(),
      askedUnder,
    );
    const seen = new Map(this.authentications.map((a) => [`${a.timeMs} ${a.identity}`, a]));
    const merged: Authentication[] = snapshot.authentications.recent.map((a) => ({
      ...a,
      durationMs: a.durationMs ?? seen.get(`${a.timeMs} ${a.identity}`)?.durationMs,
    }));
    const newest = merged[0]?.timeMs ?? -Infinity;
    const ahead = this.authentications.filter((a) => a.timeMs > newest);
    this.authentications.splice(0, this.authentications.length, ...ahead, ...merged);
    this.authentications.length = Math.min(this.authentications.length, RECENT_AUTHS);
    for (const adapter of snapshot.adapters) {
      const row = this.adapters.get(adapter.name) ?? { accepted: 0, dropped: 0 };
      this.adapters.set(adapter.name, {
        accepted: Math.max(row.accepted, adapter.accepted),
        dropped: Math.max(row.dropped, adapter.dropped),
      });
    }
    for (const [code, n] of Object.entries(snapshot.websocket.closeCodes))
      this.closeCodes.set(code, Math.max(this.closeCodes.get(code) ?? 0, n));
    // The host's entries as they are now: a page opened after the ARP exchange has them too (review L4).
    for (const { address, ...entry } of snapshot.neighbours ?? [])
      this.neighbours.set(address, entry);
    for (const script of snapshot.scripts)
      if (!this.scripts.has(script.port) || script.result !== 'running')
        this.scripts.set(script.port, { timeMs: snapshot.atMs, result: script.result });
  }

  /**
   * The chart's last RATE_WINDOW_SECONDS seconds up to `nowMs`: a second the
   * page was disconnected for (a gap, or now while down) is null, unknown,
   * not zero (review D9).
   */
  rateSeries(nowMs = Date.now()): RateSeries {
    const now = Math.floor(nowMs / 1000);
    const received = new Array<number | null>(RATE_WINDOW_SECONDS).fill(0);
    const lost = new Array<number | null>(RATE_WINDOW_SECONDS).fill(0);
    for (const [second, r, l] of this.rates) {
      const at = RATE_WINDOW_SECONDS - 1 - (now - second);
      if (at < 0 || at >= RATE_WINDOW_SECONDS) continue;
      received[at] = r;
      lost[at] = l;
    }
    const spans = this.gaps.map((g) => [g.atMs - g.ms, g.atMs] as const);
    if (this.downSinceMs !== undefined) spans.push([this.downSinceMs, nowMs + 1]);
    let gapSeconds = 0;
    for (let at = 0; at < RATE_WINDOW_SECONDS; at++) {
      const start = (now - (RATE_WINDOW_SECONDS - 1 - at)) * 1000;
      // A second wholly or partly inside a gap: what it counted is not all there was.
      if (spans.some(([from, to]) => from < start + 1000 && to > start)) {
        received[at] = null;
        lost[at] = null;
        gapSeconds++;
      }
    }
    const windowStartMs = (now - RATE_WINDOW_SECONDS + 1) * 1000;
    const inWindow = this.gapLoss.gaps.filter((g) => g.atMs > windowStartMs);
    return {
      received,
      lost,
      gapSeconds,
      gapLost: inWindow.reduce((n, g) => n + g.lost, 0),
      gapLostExact: inWindow.every((g) => g.exact),
    };
  }

  /** Forgets everything (the page switched to another session). */
  reset(session = this.session): void {
    this.session = session;
    this.events.length = 0;
    this.head = 0;
    this.received = 0;
    this.lost = 0;
    this.gaps.length = 0;
    this.gapLoss.reset();
    this.downSinceMs = undefined;
    this.rates.length = 0;
    this.authentications.length = 0;
    this.eapStarts.clear();
    this.adapters.clear();
    this.neighbours.clear();
    this.openConnections.clear();
    this.closeCodes.clear();
    this.scripts.clear();
    this.transcripts.clear();
    this.lastEapDuration = undefined;
  }

  private bucket(nowMs: number): [number, number, number] {
    const second = Math.floor(nowMs / 1000);
    const last = this.rates[this.rates.length - 1];
    if (last !== undefined && last[0] === second) return last;
    const fresh: [number, number, number] = [second, 0, 0];
    this.rates.push(fresh);
    while (this.rates.length > RATE_WINDOW_SECONDS) this.rates.shift();
    return fresh;
  }

  /** Module state from the events every module already writes (netrx/trace descriptors). */
  private fold(event: UiEvent): void {
    const f = event.fields;
    switch (event.name) {
      case 'EapStateChanged':
        // The first state change of a conversation starts its clock.
        if (!this.eapStarts.has(key(f))) this.eapStarts.set(key(f), event.timeMs);
        break;
      case 'EapSessionEnded': {
        // Its duration goes with the authentication the RADIUS server or the
        // 802.1X authenticator reports right after (they carry the identity).
        const started = this.eapStarts.get(key(f));
        this.eapStarts.delete(key(f));
        if (started !== undefined)
          this.lastEapDuration = { atMs: event.timeMs, ms: event.timeMs - started };
        break;
      }
      case 'RadiusSessionEnded':
      case 'EapolAuthenticationEnded': {
        // The server's own timing when it says (review L4), else the EAP events' pairing.
        const paired = this.takeDuration(event.timeMs);
        const said = Number(f['durationMs'] ?? -1);
        this.authentication({
          timeMs: event.timeMs,
          identity: f['identity'] ?? '',
          method:
            f['method'] ??
            (event.name === 'EapolAuthenticationEnded' ? `802.1X ${f['mac'] ?? ''}` : ''),
          outcome: f['outcome'] ?? '',
          durationMs: said >= 0 ? said : paired,
        });
        break;
      }
      case 'RadiusAccessRejected':
        this.authentication({
          timeMs: event.timeMs,
          identity: f['address'] ?? '',
          method: f['method'] ?? '',
          outcome: `reject (${f['reason'] ?? ''})`,
          durationMs: undefined,
        });
        break;
      case 'FrameAccepted':
      case 'FrameDropped': {
        const name = f['adapter'] ?? f['binding'] ?? '?';
        const row = this.adapters.get(name) ?? { accepted: 0, dropped: 0 };
        if (event.name === 'FrameAccepted') row.accepted++;
        else row.dropped++;
        this.adapters.set(name, row);
        break;
      }
      case 'NeighborStateChanged':
        this.neighbours.set(f['address'] ?? '?', {
          protocol: f['protocol'] ?? '',
          mac: f['mac'] ?? '',
          state: f['to'] ?? '',
        });
        break;
      case 'ConnectionOpened':
        this.openConnections.set(f['connection'] ?? '?', {
          role: f['role'] ?? '',
          since: event.timeMs,
        });
        break;
      case 'ConnectionClosed': {
        this.openConnections.delete(f['connection'] ?? '?');
        const code = f['code'] ?? '?';
        this.closeCodes.set(code, (this.closeCodes.get(code) ?? 0) + 1);
        break;
      }
      case 'ScriptTranscript': {
        const port = f['port'] ?? '?';
        const lines = this.transcripts.get(port) ?? [];
        lines.push({
          timeMs: event.timeMs,
          step: f['step'] ?? '',
          text: f['text'] ?? '',
          truncated: f['truncated'] === 'true',
        });
        if (lines.length > TRANSCRIPT_LINES) lines.splice(0, lines.length - TRANSCRIPT_LINES);
        this.transcripts.set(port, lines);
        if (!this.scripts.has(port))
          this.scripts.set(port, { timeMs: event.timeMs, result: 'running' });
        break;
      }
      case 'ScriptFinished':
        this.scripts.set(f['port'] ?? '?', {
          timeMs: event.timeMs,
          result: `exit ${f['exitCode'] ?? '?'}${f['abortString'] ? ` (${f['abortString']})` : ''}`,
        });
        break;
      case 'ScpFinished':
        this.scripts.set(f['port'] ?? '?', {
          timeMs: event.timeMs,
          result: `${f['outcome'] ?? '?'}${f['line'] && f['line'] !== '0' ? ` at line ${f['line']}` : ''}`,
        });
        break;
      default:
        break;
    }
  }

  private lastEapDuration: { atMs: number; ms: number } | undefined;

  /** The duration of the EAP conversation that ended just before (within 1 s), once. */
  private takeDuration(atMs: number): number | undefined {
    const last = this.lastEapDuration;
    this.lastEapDuration = undefined;
    return last !== undefined && atMs - last.atMs <= 1000 ? last.ms : undefined;
  }

  private authentication(auth: Authentication): void {
    this.authentications.unshift(auth);
    if (this.authentications.length > RECENT_AUTHS) this.authentications.pop();
  }
}

function key(fields: Readonly<Record<string, string>>): string {
  return `${fields['role'] ?? ''}/${fields['session'] ?? ''}`;
}

/**
 * The count a page's gaps are weighed against (gap-loss.ts): what its
 * session matched since the host started, so a session filtered to a few
 * providers is not charged the others' events (review M3); every
 * provider's `eventsWritten` from a host that does not say (an older one).
 */
export function writtenFor(snapshot: HostSnapshot, session: string): number {
  return snapshot.sessions.find((s) => s.name === session)?.matched ?? snapshot.eventsWritten;
}
