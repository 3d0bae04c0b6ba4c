/**
 * The authenticator's retransmission timer (RFC 4137 calculateTimeout, RFC
 * 3748 §4.3): the initial timeout for a new Request, doubled up to a cap
 * for each resend, and the count of resends of the current Request that
 * decides when the session gives up. Time comes from the injected clock.
 */
import type { Clock, Timer } from '../runtime/index.js';
import type { RetransmitOptions } from './authenticator-options.js';

export class RetransmitTimer {
  private timer: Timer | undefined;
  private currentTimeoutMs = 0;
  /** Resends of the current Request so far (reset by the caller for a new Request). */
  retransmissions = 0;

  constructor(
    private readonly clock: Clock,
    private readonly settings: RetransmitOptions,
    private readonly onTimeout: () => void,
  ) {}

  get timeoutMs(): number {
    return this.currentTimeoutMs;
  }

  /** True once the current Request was resent as often as allowed. */
  get exhausted(): boolean {
    return this.retransmissions >= this.settings.maxRetransmissions;
  }

  /** Arms the timer: `fresh` for a new Request (initial timeout), else doubled, capped. */
  arm(fresh: boolean): void {
    this.cancel();
    this.currentTimeoutMs = fresh
      ? this.settings.initialTimeoutMs
      : Math.min(this.currentTimeoutMs * 2, this.settings.maxTimeoutMs);
    this.timer = this.clock.setTimer(this.currentTimeoutMs, () => {
      this.timer = undefined;
      this.onTimeout();
    });
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
