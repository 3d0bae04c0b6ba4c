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

  constructor(
    private readonly clock: Clock,
    private readonly interval: number,
    private readonly owner: Owner,
    private readonly host: KeepAliveHost<Owner>,
  ) {}

  start(): void {
    this.lastReceivedAt = this.clock.now();
    this.timer = this.clock.setTimer(this.interval, () => this.tick());
  }

  /** Bytes arrived: the peer is alive. */
  received(): void {
    this.pingOutstanding = false;
    this.lastReceivedAt = this.clock.now();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.host.isLive(this.owner)) return;
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
