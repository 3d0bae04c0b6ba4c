import type { EventDescriptor } from './descriptor.js';
import { encodePayload, type PayloadFaults, type PayloadValues } from './payload.js';
import { ALL_KEYWORDS, passes, type EnableFilter } from './level.js';

/** What a listener receives: the event, synchronously, during `write`. */
export interface TraceEvent {
  readonly provider: TraceProviderInfo;
  readonly descriptor: EventDescriptor;
  /** The registry clock's `now()` when the event was written (ms). */
  readonly timestamp: number;
  /** Valid only during the listener call unless the provider says otherwise: copy to keep. */
  readonly payload: Uint8Array;
}

export type TraceListener = (event: TraceEvent) => void;

export interface TraceProviderInfo {
  readonly guid: string;
  readonly name: string;
}

/** One listener's subscription to one provider, as an ETW session enables a provider. */
export interface TraceSessionView extends EnableFilter {
  readonly sessionId: number;
  /** Provider-specific filter data (EVENT_FILTER_DESCRIPTOR), e.g. EtherTypes for packet capture. */
  readonly filterData: unknown;
}

/**
 * What the enable callback is told (ETW's EnableCallback): which session
 * changed, how, and the provider's combined state after the change.
 */
export interface EnableNotification {
  readonly control: 'enable' | 'disable';
  readonly session: TraceSessionView;
  /** The union over all sessions now listening: highest level, OR of any-masks, AND of all-masks. */
  readonly combined: EnableFilter & { readonly enabled: boolean };
}

export type EnableCallback = (notification: EnableNotification) => void;

interface Session extends TraceSessionView {
  readonly listener: TraceListener;
}

const EMPTY = new Uint8Array(0);

/**
 * A source of trace events. `isEnabled` is the cheap guard a hot path calls
 * before building a payload; `write` with nobody listening costs one branch.
 * Made by `TraceRegistry.register`.
 */
export class TraceProvider implements TraceProviderInfo {
  readonly guid: string;
  readonly name: string;
  private readonly now: () => number;
  private sessions: Session[] = [];
  private readonly callbacks: EnableCallback[] = [];
  // The combined filter, recomputed when sessions change, so isEnabled never loops.
  private maxLevel = -1;
  private anyKeywords = 0n;
  private allKeywords = 0n;
  /** Events delivered to at least one listener. */
  written = 0;
  /** Listener calls that threw; tracing never breaks the data path, so these are swallowed and counted. */
  listenerErrors = 0;
  /**
   * What `emit` had to mend while encoding: strings cut to the 65,535-byte
   * limit (marked with `TRUNCATION_MARK`) and missing or mistyped values
   * (written as zero). Encoding never throws into the caller's data path.
   */
  readonly payloadFaults: PayloadFaults = { truncated: 0, mistyped: 0 };

  /** @internal use TraceRegistry.register */
  constructor(info: TraceProviderInfo, now: () => number) {
    this.guid = info.guid;
    this.name = info.name;
    this.now = now;
  }

  /** True when any listener may want an event of this level and keywords. */
  isEnabled(level = 0, keywords = 0n): boolean {
    if (this.maxLevel < 0) return false;
    if (level > this.maxLevel && this.maxLevel !== 0) return false;
    if (keywords === 0n) return true;
    return (
      (keywords & this.anyKeywords) !== 0n && (keywords & this.allKeywords) === this.allKeywords
    );
  }

  /**
   * Delivers the event to every listener whose filter passes it (and, when
   * given, whose session `accept` approves: for providers that filter per
   * session with filter data).
   */
  write(
    descriptor: EventDescriptor,
    payload: Uint8Array = EMPTY,
    accept?: (session: TraceSessionView) => boolean,
  ): void {
    if (this.maxLevel < 0) return;
    let event: TraceEvent | undefined;
    let delivered = false;
    for (const session of this.sessions) {
      if (!passes(session, descriptor.level, descriptor.keywords)) continue;
      if (accept !== undefined && !accept(session)) continue;
      event ??= { provider: this, descriptor, timestamp: this.now(), payload };
      delivered = true;
      try {
        session.listener(event);
      } catch {
        this.listenerErrors++;
      }
    }
    if (delivered) this.written++;
  }

  /**
   * The everyday way to trace: if anyone wants this event, encodes `values`
   * by the descriptor's fields and writes it; otherwise does nothing, not
   * even the encoding. Never throws: a value the payload cannot hold is
   * mended and counted in `payloadFaults`.
   */
  emit(descriptor: EventDescriptor, values: PayloadValues): void {
    if (!this.isEnabled(descriptor.level, descriptor.keywords)) return;
    this.write(descriptor, encodePayload(descriptor.fields ?? [], values, this.payloadFaults));
  }

  /** The sessions listening now, with their filter data. */
  listeners(): readonly TraceSessionView[] {
    return this.sessions;
  }

  /**
   * Registers an enable callback; it is called at once for every session
   * already listening, then on every change. Returns a function that removes it.
   */
  onEnable(callback: EnableCallback): () => void {
    this.callbacks.push(callback);
    for (const session of this.sessions) callback(this.notification('enable', session));
    return () => {
      const at = this.callbacks.indexOf(callback);
      if (at >= 0) this.callbacks.splice(at, 1);
    };
  }

  /** @internal */
  attach(session: Session): void {
    this.sessions = [...this.sessions.filter((s) => s.sessionId !== session.sessionId), session];
    this.recompute();
    this.notify('enable', session);
  }

  /** @internal */
  detach(sessionId: number): void {
    const session = this.sessions.find((s) => s.sessionId === sessionId);
    if (session === undefined) return;
    // Copy on write: a listener that disables itself mid-write must not skip its neighbour.
    this.sessions = this.sessions.filter((s) => s !== session);
    this.recompute();
    this.notify('disable', session);
  }

  private recompute(): void {
    if (this.sessions.length === 0) {
      this.maxLevel = -1;
      this.anyKeywords = 0n;
      this.allKeywords = 0n;
      return;
    }
    let level = 0;
    let any = 0n;
    let all = ALL_KEYWORDS;
    let everyLevel = false;
    for (const s of this.sessions) {
      if (s.level === 0) everyLevel = true;
      level = Math.max(level, s.level);
      any |= s.matchAnyKeyword === 0n ? ALL_KEYWORDS : s.matchAnyKeyword;
      all &= s.matchAllKeyword;
    }
    this.maxLevel = everyLevel ? 0 : level;
    this.anyKeywords = any;
    this.allKeywords = all;
  }

  private notify(control: 'enable' | 'disable', session: TraceSessionView): void {
    for (const callback of this.callbacks.slice()) {
      try {
        callback(this.notification(control, session));
      } catch {
        this.listenerErrors++;
      }
    }
  }

  private notification(
    control: 'enable' | 'disable',
    session: TraceSessionView,
  ): EnableNotification {
    const { sessionId, level, matchAnyKeyword, matchAllKeyword, filterData } = session;
    return {
      control,
      session: { sessionId, level, matchAnyKeyword, matchAllKeyword, filterData },
      combined: {
        enabled: this.maxLevel >= 0,
        level: Math.max(this.maxLevel, 0),
        matchAnyKeyword: this.anyKeywords,
        matchAllKeyword: this.allKeywords,
      },
    };
  }
}
