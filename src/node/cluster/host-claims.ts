/**
 * The reader's hosts: which hosts of a session's work-queue stream one
 * reader consumes, each through its own consumer (review F1).
 *
 * On the work-queue stream a consumer's filter is a claim: a glob filter
 * would take (and, acked, delete) every host's events, and a second
 * reader's overlapping filter is refused (10100). So each host is its own
 * claim: the literal filter `netrx.<session>.<host>.>` and the durable
 * `<durable>-<host>`. A literal pattern claims its host at once; a glob
 * asks the stream which hosts have events (`streamHosts`) when the session
 * opens and every `discoverEveryMs` after, and claims the new ones that
 * match. A refused claim keeps trying (its consume loop does), counted by
 * error code, so a second server on an entry takes over once the first
 * one's consumers expire (F2).
 *
 * A glob reader also claims a host it knows only from a loss report
 * (review16c N10: every run announces itself), and the loss stream keeps
 * reports for 7 days: hosts that announced a run and left. So a glob
 * reader releases a claim that has shown no sign for
 * RELEASE_IDLE_DISCOVERIES discoveries (review16d D4): no message of the
 * host, no loss report of it (`touch`), and no event of it in the stream
 * when discovery looked. Its consumer stops, and the server deletes it
 * after `inactive_threshold`; events it sends later are claimed by the
 * next discovery, a loss report claims it at once. A literal reader
 * keeps its one claim.
 *
 * Per-host state (the consumer, later its lag) lives here; what a message
 * carries is the reader's business (reader.ts).
 */
import type { Clock } from '../../runtime/index.js';
import type { ConsumePort, ConsumerError, StreamMessage } from './ports.js';
import type { PullGate } from './pull-window.js';
import { filterSubject, hostMatcher, isHostGlob, streamName } from './subjects.js';

/** How often a glob reader looks for new hosts in the stream. */
export const DISCOVER_EVERY_MS = 2000;
/**
 * Discoveries a glob reader's claim may pass with no sign of its host
 * before it is released (review16d D4): 60 s at the default interval,
 * four default claim expiries (15 s), so a host between bursts is not
 * released and claimed again at every pause, and one that left costs its
 * consumer, keep-alives and share of the pull budget for a minute.
 */
export const RELEASE_IDLE_DISCOVERIES = 30;

export interface HostClaimsOptions {
  readonly port: ConsumePort;
  readonly session: string;
  /** A host name or a glob (checked by the reader). */
  readonly hosts: string;
  /** The reader's durable prefix; a host's consumer is `<durable>-<host>`. */
  readonly durable: string;
  readonly clock: Clock;
  readonly discoverEveryMs: number;
  readonly onError: ((error: ConsumerError) => void) | undefined;
  /** A host's consumer is bound: this reader holds its claim (review16 R5: its loss is ours). */
  readonly onHeld?: (host: string) => void;
  /** A host's claim was refused (10100): another reader holds it. */
  readonly onRefused?: (host: string) => void;
  /** A glob reader released an idle host's claim (review16d D4); a later sign claims it again. */
  readonly onReleased?: (host: string) => void;
  /**
   * True while the reader still owes its client `host`'s counted loss (the
   * floor waits for that delivery): an idle claim is kept then, or the next
   * server to claim the host would count that loss again (verify16d N1).
   */
  readonly owes?: (host: string) => boolean;
  /** A host's durable existed with another config and was made again (consumer-config.ts). */
  readonly onReplaced?: (host: string) => void;
  /** A host's durable was gone when its consume loop bound it again, and was made again. */
  readonly onRecreated?: (host: string) => void;
}

export class HostClaims {
  private readonly options: HostClaimsOptions;
  private readonly matches: (host: string) => boolean;
  private readonly stream: string;
  /** Per host: its consumer while the session is open. */
  private readonly consumers = new Map<string, { stop(): void }>();
  /** Hosts whose consumer is bound now (a refused or failed one is not). */
  private readonly held = new Set<string>();
  /** Hosts whose claim was refused (10100) since it was last ours. */
  private readonly refused = new Set<string>();
  private readonly errorCodes: Record<string, number> = {};
  /** Per claimed host of a glob: when it last showed a sign (claimed, a message, a report, events seen). */
  private readonly lastSign = new Map<string, number>();
  private releasedCount = 0;
  private discoverTimer: { cancel(): void } | undefined;
  /** Where messages go while claiming; undefined when stopped. */
  private onMessage: ((message: StreamMessage) => void) | undefined;
  /** Every host's consumer pulls only while the reader takes messages (pull-window.ts). */
  private gate: PullGate | undefined;

  constructor(options: HostClaimsOptions) {
    this.options = options;
    this.matches = hostMatcher(options.hosts);
    this.stream = streamName(options.session);
  }

  /** Hosts with a consumer (claimed, or trying to claim). */
  get size(): number {
    return this.consumers.size;
  }

  /** True while this reader's consumer of `host` is bound (the claim is ours). */
  holds(host: string): boolean {
    return this.held.has(host);
  }

  /** True if `host`'s claim was refused (10100) and has not been ours since: another reader holds it. */
  refusedNow(host: string): boolean {
    return this.refused.has(host);
  }

  /** The hosts with a consumer, in the order they were claimed. */
  hosts(): readonly string[] {
    return [...this.consumers.keys()];
  }

  /** Claims released because their host showed no sign for RELEASE_IDLE_DISCOVERIES discoveries. */
  get released(): number {
    return this.releasedCount;
  }

  /** `host` showed a sign of life (a loss report of it): its claim is not idle. */
  touch(host: string): void {
    // Only a glob's claimed host keeps signs: one kept for any other would be released (and
    // counted released) though never claimed, or a literal claim let go (verify16d M5).
    if (this.lastSign.has(host)) this.lastSign.set(host, this.options.clock.now());
  }

  /** Consume loop failures by JetStream error code (`other` without one). */
  errors(): Readonly<Record<string, number>> {
    return { ...this.errorCodes };
  }

  /** Claims the pattern's hosts (now, and for a glob as they appear) until `stop`. */
  start(onMessage: (message: StreamMessage) => void, gate?: PullGate): void {
    this.onMessage = onMessage;
    this.gate = gate;
    if (!isHostGlob(this.options.hosts)) {
      this.claim(this.options.hosts);
      return;
    }
    void this.discover();
    this.scheduleDiscovery(onMessage);
  }

  /** Stops every host's consumer and the discovery timer. */
  stop(): void {
    this.onMessage = undefined;
    this.discoverTimer?.cancel();
    this.discoverTimer = undefined;
    for (const consumer of this.consumers.values()) consumer.stop();
    this.consumers.clear();
    this.held.clear();
    this.refused.clear();
    this.lastSign.clear();
  }

  /** A glob reader: claims the matching hosts that have events in the stream now. */
  async discover(): Promise<void> {
    const target = this.onMessage;
    if (target === undefined) return;
    let hosts: readonly string[];
    try {
      hosts = await this.options.port.streamHosts(this.stream, this.options.session);
    } catch (error) {
      this.failed({
        stream: this.stream,
        durable: this.options.durable,
        code: undefined,
        message: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    // Stopped (or restarted) while the stream answered: not this run's hosts.
    if (this.onMessage !== target) return;
    for (const host of hosts) this.claim(host);
    this.releaseIdle();
  }

  /** Releases the claims of hosts with no sign for RELEASE_IDLE_DISCOVERIES discoveries. */
  private releaseIdle(): void {
    const idleSince =
      this.options.clock.now() - RELEASE_IDLE_DISCOVERIES * this.options.discoverEveryMs;
    for (const [host, at] of [...this.lastSign]) {
      if (at > idleSince || this.options.owes?.(host) === true) continue;
      this.consumers.get(host)?.stop();
      this.consumers.delete(host);
      this.held.delete(host);
      this.refused.delete(host);
      this.lastSign.delete(host);
      this.releasedCount++;
      this.options.onReleased?.(host);
    }
  }

  private scheduleDiscovery(target: (message: StreamMessage) => void): void {
    this.discoverTimer = this.options.clock.setTimer(this.options.discoverEveryMs, () => {
      void this.discover().then(() => {
        if (this.onMessage === target) this.scheduleDiscovery(target);
      });
    });
  }

  /** Claims `host` if the pattern matches it and it has no consumer yet (e.g. a host known from its loss reports). */
  claim(host: string): void {
    const onMessage = this.onMessage;
    if (onMessage === undefined || !this.matches(host)) return;
    // A glob's claim is kept while its host shows signs (a claim asked again is one).
    if (isHostGlob(this.options.hosts)) this.lastSign.set(host, this.options.clock.now());
    if (this.consumers.has(host)) return;
    const consumer = this.options.port.consume(
      {
        stream: this.stream,
        filter: filterSubject(this.options.session, host),
        durable: `${this.options.durable}-${host}`,
        onReplaced: () => this.options.onReplaced?.(host),
        onRecreated: () => this.options.onRecreated?.(host),
        onBound: () => {
          if (this.onMessage !== onMessage) return;
          this.held.add(host);
          this.refused.delete(host);
          this.options.onHeld?.(host);
        },
      },
      this.lastSign.has(host)
        ? (message) => {
            this.lastSign.set(host, this.options.clock.now());
            onMessage(message);
          }
        : onMessage,
      (error) => {
        // Its loop tries again; until it is bound again the claim may be another reader's.
        this.held.delete(host);
        if (error.code === 10100 && this.onMessage === onMessage) {
          this.refused.add(host);
          this.options.onRefused?.(host);
        }
        this.failed(error);
      },
      this.gate,
    );
    this.consumers.set(host, consumer);
  }

  private failed(error: ConsumerError): void {
    const code = error.code === undefined ? 'other' : String(error.code);
    this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
    this.options.onError?.(error);
  }
}
