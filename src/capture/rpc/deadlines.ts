/**
 * The three deadlines of one RPC connection, on the injected clock, so a
 * peer cannot hold a connection slot for nothing:
 *
 * - **bind**: the connection must be bound (bind_ack sent) within
 *   `bindTimeoutMs` of opening; a bind_nak does not count.
 * - **idle**: a bound connection is closed after `idleTimeoutMs` without a
 *   byte from the peer, unless it is busy: a receive parked on it, or a
 *   session (context handle) held by its association group. Checked when
 *   the timer fires, so activity costs a timestamp, not a timer.
 * - **input**: an incomplete PDU must complete within `partialPduTimeoutMs`
 *   of its first byte (more bytes of the same PDU do not extend it; a
 *   completed PDU starts the clock again for the next one), and a
 *   fragmented request must get its last fragment within the same time of
 *   its first (tiny fragments do not extend it either).
 *
 * 0 turns a deadline off. Each expiry calls `expire(reason)` once.
 */
import type { Clock, Timer } from '../../runtime/index.js';
import type { RpcConnectionLimits } from './server.js';

export type DeadlineReason = 'bind-timeout' | 'idle-timeout' | 'partial-pdu-timeout';

export interface DeadlineHost {
  /** The connection holds something worth keeping: a parked receive or a session. */
  isBusy(): boolean;
  expire(reason: DeadlineReason): void;
}

export class ConnectionDeadlines {
  private readonly clock: Clock;
  private readonly limits: RpcConnectionLimits;
  private readonly host: DeadlineHost;
  private bindTimer: Timer | undefined;
  private idleTimer: Timer | undefined;
  private inputTimer: Timer | undefined;
  private inputDue: number | undefined;
  private lastInput = 0;
  /** When the current incomplete PDU began; undefined when none is held. */
  private partialSince: number | undefined;
  /** When the fragmented request being reassembled began. */
  private callSince: number | undefined;
  private stopped = false;

  constructor(clock: Clock, limits: RpcConnectionLimits, host: DeadlineHost) {
    this.clock = clock;
    this.limits = limits;
    this.host = host;
  }

  /** The connection opened. */
  start(): void {
    this.lastInput = this.clock.now();
    if (this.limits.bindTimeoutMs > 0) {
      this.bindTimer = this.clock.setTimer(this.limits.bindTimeoutMs, () => {
        this.bindTimer = undefined;
        this.fire('bind-timeout');
      });
    }
  }

  /** A bind_ack went out: the bind deadline is met and the idle one starts. */
  bound(): void {
    this.bindTimer?.cancel();
    this.bindTimer = undefined;
    if (this.limits.idleTimeoutMs > 0 && this.idleTimer === undefined && !this.stopped) {
      this.armIdle(this.limits.idleTimeoutMs);
    }
  }

  /**
   * Bytes arrived and were framed: `completed` PDUs came out, `partial` says
   * whether bytes of an unfinished PDU are held, `callInProgress` whether a
   * fragmented request is being reassembled, `callStarted` whether one began
   * in these bytes (after another ended in them: its own deadline starts).
   */
  input(completed: number, partial: boolean, callInProgress: boolean, callStarted = false): void {
    if (this.stopped) return;
    const now = this.clock.now();
    this.lastInput = now;
    if (!partial) this.partialSince = undefined;
    else if (this.partialSince === undefined || completed > 0) this.partialSince = now;
    if (!callInProgress) this.callSince = undefined;
    else if (this.callSince === undefined || callStarted) this.callSince = now;
    this.armInput();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of [this.bindTimer, this.idleTimer, this.inputTimer]) timer?.cancel();
    this.bindTimer = this.idleTimer = this.inputTimer = undefined;
  }

  private fire(reason: DeadlineReason): void {
    if (this.stopped) return;
    this.stop();
    this.host.expire(reason);
  }

  private armIdle(delay: number): void {
    this.idleTimer = this.clock.setTimer(delay, () => {
      this.idleTimer = undefined;
      if (this.stopped) return;
      const quiet = this.clock.now() - this.lastInput;
      const limit = this.limits.idleTimeoutMs;
      if (this.host.isBusy()) this.armIdle(limit);
      else if (quiet < limit) this.armIdle(limit - quiet);
      else this.fire('idle-timeout');
    });
  }

  private armInput(): void {
    const limit = this.limits.partialPduTimeoutMs;
    if (limit === 0) return;
    const since =
      this.partialSince === undefined
        ? this.callSince
        : this.callSince === undefined
          ? this.partialSince
          : Math.min(this.partialSince, this.callSince);
    const due = since === undefined ? undefined : since + limit;
    if (due === this.inputDue) return;
    this.inputTimer?.cancel();
    this.inputTimer = undefined;
    this.inputDue = due;
    if (due === undefined) return;
    this.inputTimer = this.clock.setTimer(Math.max(0, due - this.clock.now()), () => {
      this.inputTimer = undefined;
      this.inputDue = undefined;
      this.fire('partial-pdu-timeout');
    });
  }
}
