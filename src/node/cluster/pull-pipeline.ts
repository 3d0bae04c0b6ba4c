/**
 * The pull requests of one gated consumer (review16 R8; issue 16's fan-in
 * target): what to ask the server for, and when, so that a reader whose
 * session has room always has a request waiting at the server, and one
 * whose session is full pulls nothing but keeps its claim.
 *
 * It replaced one `consumer.fetch` at a time, which cost the fan-in 10x
 * (perf16): `fetch` given `max_bytes` also asks for at most 100 messages
 * (the client's clamp), a fetch that ended on its byte budget ended with
 * an error (409 Message Size Exceeds MaxBytes) and the consume loop slept
 * 250 ms after it, and a fetch whose 100 messages came before its bytes
 * ran out waited for its missed heartbeats (nats-server 2.9.10 sends no
 * word when a batch is complete): seconds without any request at the
 * server, which is also how a gated consumer's claim lapsed
 * (`inactive_threshold` counts from the last request added).
 *
 * Here the window (`windowBytes`: bytes asked for and not yet received, at
 * most) is asked for in requests of `windowBytes / pullsInFlight`, each
 * bounded by bytes alone (its message count can never bind first), and a
 * new one goes out as soon as the bytes outstanding leave room for it
 * while the gate is open: the next request is at the server while the
 * current one drains. The server hands a consumer's messages round-robin
 * over its waiting requests and a data message does not say which request
 * it answers, so the count is kept in total (as the client's `consume`
 * does): each message takes its size (the server's count: subject, reply,
 * headers, data), and a request that ends with bytes unused gives them
 * back from the server's word (408 Request Timeout, 409 Message Size
 * Exceeds MaxBytes, 409 Batch Completed: `Nats-Pending-Bytes`). A request
 * that used its bytes exactly ends silently, and needs nothing given back.
 * One the server never ended (a restart forgot it; the connection coming
 * back: `reset`) is dropped at our deadline past its `expires`, and the
 * total is capped by what the requests still known asked for.
 *
 * While the gate is closed, a request no message fits (`max_bytes: 1`)
 * goes out every third of `claimMs`: the server answers it at once when
 * messages wait (409) and delivers nothing, but its arrival renews the
 * claim; and no request waits longer than half of `claimMs`, so the claim
 * never depends on a request that waited past it.
 *
 * A request queued for the reader's budget (below) is not at the server
 * either, and a host whose turn is slow to come would lose its claim the
 * same way (review16d D3: at the 8 MiB default about 1,900 idle hosts, at
 * the minimum 31 per request slot): while queued, the same request no
 * message fits goes out a third of `claimMs` after the last request of any
 * kind (at once if none went out yet: the consumer it bound may be near
 * its expiry). It takes no budget (it cannot be answered by a message).
 *
 * A consumer the server deleted (a lapsed claim, an operator's `nats
 * consumer rm`) does not say so to a request sent after: nats-server
 * 2.9.10 takes `$JS.API.CONSUMER.MSG.NEXT` of an unknown consumer and
 * answers nothing. So `unansweredInARowLimit` requests with no word from the
 * server in between (no message, no status) fail the pipeline, and the
 * consume loop checks the consumer and makes it again.
 *
 * With a `budget` (the reader's, shared by its hosts: pull-budget.ts,
 * review16c N12) each request also takes its bytes from it before it goes
 * out and waits its turn when they are not free; what `pending` loses
 * (received, given back, capped, forgotten) goes back to it.
 *
 * No I/O here: `send` puts a request on the wire and the adapter (nats.ts)
 * reports what came back, so tests drive it on a VirtualClock.
 */
import type { Clock, Timer } from '../../runtime/index.js';
import type { PullBudget } from './pull-budget.js';
import { PULL_WINDOW_BYTES, type PullGate } from './pull-window.js';

/** A pull request (`$JS.API.CONSUMER.MSG.NEXT`): at most `batch` messages and `maxBytes` bytes. */
export interface PullRequest {
  readonly batch: number;
  readonly maxBytes: number;
  readonly expiresMs: number;
}

/**
 * Requests the window is asked for in (the next is at the server while one
 * drains): 8 of 128 KiB, so a request still holds the largest message a
 * capture stream stores, and a reader's budget is shared in 128 KiB turns.
 */
export const PULLS_IN_FLIGHT = 8;
/** How long a request waits at the server for messages. */
export const PULL_EXPIRES_MS = 5000;
/** How long one sent while the reader's budget is scarce waits (pull-budget.ts: an idle host's share). */
export const SCARCE_EXPIRES_MS = 500;
/** Past a request's `expires`, how long we wait for the server's word before counting it gone. */
export const PULL_GRACE_MS = 1000;
/** How often a gated consumer renews its claim, at most (a third of a shorter claim). */
export const CLAIM_KEEPALIVE_MS = 1000;
/**
 * Requests in a row that heard nothing from the server (no message, no
 * status, from when each went out to its deadline) before a pipeline of
 * `pullsInFlight` requests counts its consumer gone (review16d D3). The
 * server answers every request it knows: messages, 409 at once when none
 * fits, 408 at its `expires`. A request used exactly ends silently, but
 * after its messages, so it does not count. Silence is a request the
 * server forgot (a consumer leader change, a restart the connection did
 * not see), which the next request outlives, or a consumer that is gone,
 * which every request meets. One event can forget every request the
 * pipeline has at the server, `pullsInFlight`; one more in a row is the
 * consumer gone (3 at two in flight, 9 at the default PULLS_IN_FLIGHT: two
 * rounds of requests, about 12 s; a queued host's keep-alives, one a third
 * of the claim, take longer). Too soon would remake every consumer of a
 * server at its leader change; too late leaves the host unread meanwhile.
 */
export function unansweredInARowLimit(pullsInFlight: number = PULLS_IN_FLIGHT): number {
  return pullsInFlight + 1;
}

/** A server status that failed a request: the consume loop starts over. */
export interface PullFailure {
  readonly code: number;
  readonly description: string;
}

export interface PullPipelineOptions {
  readonly gate: PullGate;
  readonly clock: Clock;
  /** Puts request `id` on the wire (its statuses come back through `status` with that id). */
  readonly send: (id: number, request: PullRequest) => void;
  /**
   * The consumer's `inactive_threshold`: a request renews the claim
   * (nats-server deletes a pull consumer when none came for this long and
   * none waits), so requests wait at most half of it, and while gated one
   * no message fits goes out every third of it (at most every
   * CLAIM_KEEPALIVE_MS).
   */
  readonly claimMs: number;
  readonly onFailure: (failure: PullFailure) => void;
  /** Bytes asked for and not yet received, at most. Default PULL_WINDOW_BYTES. */
  readonly windowBytes?: number;
  /** Requests the window is asked for in. Default PULLS_IN_FLIGHT. */
  readonly pullsInFlight?: number;
  readonly expiresMs?: number;
  /** The reader's bytes in flight, shared with its other hosts (default: the gate's, if any). */
  readonly budget?: PullBudget;
}

export interface PullPipelineStats {
  /** Requests for messages sent. */
  readonly requests: number;
  /** Claim-renewing requests (`max_bytes: 1`) sent while gated or queued for the budget. */
  readonly keepAlives: number;
  /** Of `keepAlives`, those sent while queued for the reader's budget (review16d D3). */
  readonly queuedKeepAlives: number;
  /** Requests that ended with bytes unused because the next message did not fit (409). */
  readonly filled: number;
  /** Requests that ended at their `expires` (the server's 408, or 404). */
  readonly expired: number;
  /** Requests the server never ended by a status in time (used up exactly, or forgotten). */
  readonly unanswered: number;
  /** Times `unansweredInARowLimit` requests in a row went unanswered: the pipeline failed (consumer gone?). */
  readonly silentFailures: number;
  readonly messages: number;
}

interface Outstanding {
  readonly bytes: number;
  readonly keepAlive: boolean;
  readonly deadline: Timer;
  /** `words` when it went out (a request used exactly ends silently, after its messages). */
  readonly wordsAtSend: number;
}

/** Statuses that end a request normally (anything else of 400 or more fails it). */
function endsNormally(code: number, description: string): 'filled' | 'expired' | undefined {
  const text = description.toLowerCase();
  if (code === 404 || code === 408) return 'expired';
  if (code === 409 && (text.includes('exceeds maxbytes') || text.includes('batch completed'))) {
    return 'filled';
  }
  return undefined;
}

export class PullPipeline {
  private readonly options: PullPipelineOptions;
  private readonly windowBytes: number;
  private readonly requestBytes: number;
  /** Silent requests in a row that fail the pipeline (`unansweredInARowLimit`). */
  private readonly silentLimit: number;
  private readonly expiresMs: number;
  private readonly keepAliveMs: number;
  /** While queued for the budget: a third of the claim after the last request (review16d D3). */
  private readonly queuedKeepAliveMs: number;
  private readonly outstanding = new Map<number, Outstanding>();
  /** Bytes asked for, not received, not given back. */
  private pending = 0;
  private nextId = 1;
  private running = false;
  private waitingForGate = false;
  private readonly budget: PullBudget | undefined;
  /** A request queued for the budget's bytes (one at a time). */
  private waitingForBudget = false;
  private readonly granted = () => this.budgetGranted();
  private keepAliveTimer: Timer | undefined;
  /** The queued claim keep-alive's timer (review16d D3). */
  private queuedTimer: Timer | undefined;
  /** When the last request of any kind went out: the server's claim counts from it. */
  private lastSentAt: number;
  /** Messages and statuses received: a request heard nothing if this did not move after it went out. */
  private words = 0;
  /** Requests in a row that heard nothing from the server before their deadline (review16d D3). */
  private unansweredInARow = 0;
  private counters = {
    requests: 0,
    keepAlives: 0,
    queuedKeepAlives: 0,
    filled: 0,
    expired: 0,
    unanswered: 0,
    silentFailures: 0,
    messages: 0,
  };

  constructor(options: PullPipelineOptions) {
    this.options = options;
    this.windowBytes = options.windowBytes ?? PULL_WINDOW_BYTES;
    const pullsInFlight = options.pullsInFlight ?? PULLS_IN_FLIGHT;
    if (!Number.isInteger(pullsInFlight) || pullsInFlight < 1) {
      throw new RangeError(`pullsInFlight must be a positive integer: got ${pullsInFlight}`);
    }
    this.requestBytes = Math.floor(this.windowBytes / pullsInFlight);
    this.silentLimit = unansweredInARowLimit(pullsInFlight);
    if (!Number.isSafeInteger(this.requestBytes) || this.requestBytes < 1) {
      throw new RangeError(`windowBytes must hold a byte per request: got ${this.windowBytes}`);
    }
    if (!(options.claimMs >= 3)) {
      throw new RangeError(`claimMs must be at least 3: got ${options.claimMs}`);
    }
    this.expiresMs = Math.min(
      options.expiresMs ?? PULL_EXPIRES_MS,
      Math.floor(options.claimMs / 2),
    );
    this.keepAliveMs = Math.min(CLAIM_KEEPALIVE_MS, Math.floor(options.claimMs / 3));
    this.queuedKeepAliveMs = Math.floor(options.claimMs / 3);
    // None sent yet: the consumer bound may be one whose claim is about to lapse (a host
    // claimed again before the server deleted its released consumer), so a pipeline that
    // starts queued renews it at once (the reader property's find).
    this.lastSentAt = Number.NEGATIVE_INFINITY;
    this.budget = options.budget ?? options.gate.budget;
    if (this.budget !== undefined && this.budget.totalBytes < this.requestBytes) {
      throw new RangeError(
        `the pull budget (${this.budget.totalBytes} bytes) must hold one request of ${this.requestBytes}`,
      );
    }
  }

  stats(): PullPipelineStats {
    return { ...this.counters };
  }

  /** Bytes asked for and not received (or given back) yet: at most `windowBytes`. */
  get bytesOutstanding(): number {
    return this.pending;
  }

  /** Requests for messages the server has not ended by a status yet. */
  get requestsOutstanding(): number {
    let n = 0;
    for (const request of this.outstanding.values()) if (!request.keepAlive) n++;
    return n;
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  /** Stops asking; what was asked for may still arrive (the adapter's subscription ends it). */
  stop(): void {
    this.running = false;
    this.keepAliveTimer?.cancel();
    this.keepAliveTimer = undefined;
    this.queuedTimer?.cancel();
    this.queuedTimer = undefined;
    for (const request of this.outstanding.values()) request.deadline.cancel();
    this.outstanding.clear();
    this.lower(0);
    if (this.waitingForBudget) {
      this.waitingForBudget = false;
      this.budget?.cancel(this.granted);
    }
  }

  /** A message of `size` bytes as the server counts them (it answers one of our requests). */
  message(size: number): void {
    this.counters.messages++;
    this.heard();
    this.lower(this.pending - size);
    this.pump();
  }

  /**
   * A status for request `id` (100, heartbeat or flow control: ignored), with
   * the bytes it left unused (`Nats-Pending-Bytes`) when the server says.
   */
  status(id: number, code: number, description: string, bytesLeft?: number): void {
    // Any word from the server (a heartbeat too) says the consumer is there.
    this.heard();
    if (code < 400) return;
    const end = endsNormally(code, description);
    if (end === undefined) {
      this.stop();
      this.options.onFailure({ code, description });
      return;
    }
    const request = this.outstanding.get(id);
    if (request === undefined) return;
    this.forget(id, request);
    if (!request.keepAlive && end === 'filled' && bytesLeft === request.bytes) {
      // Nothing fitted a whole request: the next message is larger than any request we send,
      // and asking again would spin. Failed, so the consume loop says so and waits.
      this.stop();
      this.options.onFailure({
        code,
        description: `${description}: a message larger than ${request.bytes} bytes`,
      });
      return;
    }
    if (!request.keepAlive) {
      this.counters[end]++;
      if (bytesLeft === undefined) this.capPending();
      else this.lower(this.pending - Math.min(bytesLeft, request.bytes));
    }
    this.pump();
  }

  /** The connection came back: the server knows none of our requests now. */
  reset(): void {
    // The server forgot them: their silence says nothing of the consumer.
    this.unansweredInARow = 0;
    for (const [id, request] of [...this.outstanding]) this.forget(id, request);
    this.lower(0);
    this.pump();
  }

  private heard(): void {
    this.words++;
    this.unansweredInARow = 0;
  }

  private forget(id: number, request: Outstanding): void {
    request.deadline.cancel();
    this.outstanding.delete(id);
  }

  /** Pending can be no more than what the requests still known asked for. */
  private capPending(): void {
    let asked = 0;
    for (const request of this.outstanding.values()) if (!request.keepAlive) asked += request.bytes;
    this.lower(Math.min(this.pending, asked));
  }

  /** Pending falls to `to` (at least 0): what it loses goes back to the budget. */
  private lower(to: number): void {
    const next = Math.max(0, to);
    if (next >= this.pending) return;
    const freed = this.pending - next;
    this.pending = next;
    this.budget?.give(freed);
  }

  private pump(): void {
    if (!this.running) return;
    if (!this.options.gate.ready()) {
      this.whileGated();
      return;
    }
    this.keepAliveTimer?.cancel();
    this.keepAliveTimer = undefined;
    while (!this.waitingForBudget && this.pending + this.requestBytes <= this.windowBytes) {
      if (this.budget !== undefined && !this.budget.take(this.requestBytes, this.granted)) {
        // Queued behind the reader's other hosts: `budgetGranted` sends it in its turn,
        // and the claim is kept meanwhile (review16d D3).
        this.waitingForBudget = true;
        this.whileQueued();
        return;
      }
      this.pull();
    }
  }

  /** Its turn came: the bytes are reserved for one request. */
  private budgetGranted(): void {
    this.waitingForBudget = false;
    this.queuedTimer?.cancel();
    this.queuedTimer = undefined;
    const wanted =
      this.running &&
      this.options.gate.ready() &&
      this.pending + this.requestBytes <= this.windowBytes;
    if (!wanted) {
      this.budget?.give(this.requestBytes);
      // Gated meanwhile: `pump` waits for the gate (and keeps the claim), then asks again.
      // Without it this host never asked again once the gate opened (the property's find).
      this.pump();
      return;
    }
    this.pull();
    this.pump();
  }

  /** One request for messages, its bytes counted in `pending` (and taken from the budget). */
  private pull(): void {
    this.counters.requests++;
    // Asked after its bytes were taken: scarce when no other request would fit now.
    const scarce = this.budget?.scarce(this.requestBytes) === true;
    this.pending += this.requestBytes;
    // By bytes alone: a message has more than one byte, so `batch` never binds first.
    this.request({ batch: this.requestBytes, maxBytes: this.requestBytes }, false, scarce);
  }

  /** The reader has no room: ask for nothing more, keep the claim, pump when room comes. */
  private whileGated(): void {
    if (!this.waitingForGate) {
      this.waitingForGate = true;
      void this.options.gate.whenReady().then(() => {
        this.waitingForGate = false;
        this.pump();
      });
    }
    if (this.keepAliveTimer !== undefined) return;
    this.keepAliveTimer = this.options.clock.setTimer(this.keepAliveMs, () => {
      this.keepAliveTimer = undefined;
      if (!this.running || this.options.gate.ready()) return;
      // Even if the last one still waits: it leaves at its `expires`, and a claim needs a
      // request added within the threshold once none waits.
      this.counters.keepAlives++;
      this.request({ batch: 1, maxBytes: 1 }, true);
      this.whileGated();
    });
  }

  /**
   * Queued for the budget, so no request of ours may be at the server: one
   * no message fits goes out a third of the claim after the last request
   * sent, and again after each, until the turn comes (review16d D3).
   */
  private whileQueued(): void {
    if (this.queuedTimer !== undefined) return;
    const dueIn = Math.max(0, this.lastSentAt + this.queuedKeepAliveMs - this.options.clock.now());
    this.queuedTimer = this.options.clock.setTimer(dueIn, () => {
      this.queuedTimer = undefined;
      if (!this.running || !this.waitingForBudget) return;
      if (this.options.clock.now() - this.lastSentAt >= this.queuedKeepAliveMs) {
        this.counters.keepAlives++;
        this.counters.queuedKeepAlives++;
        this.request({ batch: 1, maxBytes: 1 }, true);
      }
      this.whileQueued();
    });
  }

  /** A request's deadline passed with no status: silence in a row means the consumer is gone. */
  private unanswered(request: Outstanding): void {
    if (!request.keepAlive) this.counters.unanswered++;
    // Messages came after it went out: it may have been used exactly, which ends silently.
    if (this.words !== request.wordsAtSend) return;
    this.unansweredInARow++;
    if (this.unansweredInARow < this.silentLimit) return;
    this.counters.silentFailures++;
    const count = this.unansweredInARow;
    this.stop();
    this.options.onFailure({
      code: 0,
      description: `no answer to ${count} pull requests in a row: the consumer may be gone`,
    });
  }

  private request(
    size: { batch: number; maxBytes: number },
    keepAlive: boolean,
    scarce = false,
  ): void {
    const id = this.nextId++;
    this.lastSentAt = this.options.clock.now();
    const expiresMs =
      keepAlive || scarce
        ? Math.min(this.expiresMs, keepAlive ? this.keepAliveMs : SCARCE_EXPIRES_MS)
        : this.expiresMs;
    const deadline = this.options.clock.setTimer(expiresMs + PULL_GRACE_MS, () => {
      const request = this.outstanding.get(id);
      if (request === undefined) return;
      this.forget(id, request);
      this.unanswered(request);
      if (!this.running) return;
      if (request.keepAlive) return;
      this.capPending();
      this.pump();
    });
    this.outstanding.set(id, {
      bytes: size.maxBytes,
      keepAlive,
      deadline,
      wordsAtSend: this.words,
    });
    this.options.send(id, { ...size, expiresMs });
  }
}
