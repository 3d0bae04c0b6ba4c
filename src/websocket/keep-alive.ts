/**
 * Keep-alive for a handle (websocket.dll's WEB_SOCKET_KEEPALIVE_INTERVAL):
 * after `interval` ms without a received byte a ping goes out; if another
 * interval passes in silence the connection has failed. Time comes from the
 * injected `Clock`; the handle says what a ping and a failure mean.
 */
import type { Clock, Timer } from '../runtime/index.js';

/** What keep-alive asks of its handle. */
export interface KeepAliveHost<Owner> {
  /** Whether the connection still wants keep-alive (not closed, aborted or deleted). */
  isLive(owner: Owner): boolean;
  /** Queue a ping and wake the host. */
  ping(owner: Owner): void;
  /** Nothing arrived for an interval after a ping: fail the connection (`idle` ms). */
  timedOut(owner: Owner, idle: number): void;
}

export class KeepAlive<Owner> {
  private timer: Timer | undefined;
  private lastReceivedAt = 0;
  private pingOutstanding = false;
  /** Between `start` and `stop`: only then does a new interval arm a timer. */
  private started = false;

  constructor(
    private readonly clock: Clock,
    private interval: number,
    private readonly owner: Owner,
    private readonly host: KeepAliveHost<Owner>,
  ) {}

  start(): void {
    this.lastReceivedAt = this.clock.now();
    this.started = true;
    if (this.interval > 0) this.timer = this.clock.setTimer(this.interval, () => this.tick());
  }

  /**
   * A new interval (0: off) for a running connection, so a host can change
   * it without closing anyone (a `netrx up` reload, review L3). The silence
   * since the last received byte counts against the new interval, so the
   * next ping comes on the new schedule; a ping already sent keeps the
   * deadline it was given (its timer runs on and the next tick reads the
   * new interval).
   */
  setInterval(interval: number): void {
    this.interval = interval;
    if (!this.started || this.pingOutstanding) return;
    this.timer?.cancel();
    this.timer = undefined;
    if (interval === 0) return;
    const idle = this.clock.now() - this.lastReceivedAt;
    this.timer = this.clock.setTimer(Math.max(0, interval - idle), () => this.tick());
  }

  /** Bytes arrived: the peer is alive. */
  received(): void {
    this.pingOutstanding = false;
    this.lastReceivedAt = this.clock.now();
  }

  stop(): void {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.interval === 0 || !this.host.isLive(this.owner)) return;
    const idle = this.clock.now() - this.lastReceivedAt;
    if (idle >= this.interval) {
      if (this.pingOutstanding) {
        this.host.timedOut(this.owner, idle);
        return;
      }
      this.pingOutstanding = true;
      this.host.ping(this.owner);
    }
    this.timer = this.clock.setTimer(
      idle >= this.interval ? this.interval : this.interval - idle,
      () => this.tick(),
    );
  }
}
