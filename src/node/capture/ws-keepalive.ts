/**
 * Keep-alive of the capture WebSocket connections: a ping every
 * `intervalMs` (0: off); a pong later than `timeoutMs` after its ping
 * terminates the peer. The settings are read at every arming, so an
 * endpoint's `reconfigure` (a `netrx up` reload of `capture.ws`) re-arms
 * every open connection with the new interval at once, and its next ping
 * waits for the new timeout.
 */
import { NetrxError, type Clock, type Timer } from '../../runtime/index.js';

export interface KeepAliveSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** Checks a keep-alive pair: RangeError for a bad number, ERR_CAPTURE_WS_KEEPALIVE for a bad pair. */
export function checkKeepAlive(settings: KeepAliveSettings): KeepAliveSettings {
  const { intervalMs, timeoutMs } = settings;
  for (const [name, value, min] of [
    ['keepAliveIntervalMs', intervalMs, 0],
    ['keepAliveTimeoutMs', timeoutMs, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`${name} must be an integer of at least ${min}: got ${value}`);
    }
  }
  // One pong deadline per ping: a deadline longer than the interval would
  // outlive the next ping and cut a live client, so it is refused, not fixed up.
  if (intervalMs > 0 && timeoutMs >= intervalMs) {
    throw new NetrxError(
      'ERR_CAPTURE_WS_KEEPALIVE',
      `keepAliveTimeoutMs (${timeoutMs}) must be less than keepAliveIntervalMs (${intervalMs}): the pong deadline must end before the next ping`,
    );
  }
  return settings;
}

/** What a connection's keep-alive drives: ping, and terminate on a missing pong. */
export interface KeepAlivePeer {
  ping(): void;
  terminate(): void;
}

/** One connection's keep-alive; `pong()` on every pong, `dispose()` at close. */
export class ConnectionKeepAlive {
  private tick: Timer | undefined;
  private deadline: Timer | undefined;

  constructor(
    private readonly peer: KeepAlivePeer,
    private readonly clock: Clock,
    private readonly settings: () => KeepAliveSettings,
    private readonly onTimeout: () => void,
  ) {
    this.rearm();
  }

  /** Starts the interval again from now with the current settings (a pong deadline running stays). */
  rearm(): void {
    this.tick?.cancel();
    this.tick = undefined;
    const { intervalMs } = this.settings();
    if (intervalMs > 0) this.tick = this.clock.setTimer(intervalMs, () => this.ping());
  }

  pong(): void {
    this.deadline?.cancel();
    this.deadline = undefined;
  }

  dispose(): void {
    this.tick?.cancel();
    this.deadline?.cancel();
    this.tick = undefined;
    this.deadline = undefined;
  }

  private ping(): void {
    this.rearm();
    if (this.deadline !== undefined) return;
    this.deadline = this.clock.setTimer(this.settings().timeoutMs, () => {
      this.deadline = undefined;
      this.onTimeout();
      this.peer.terminate();
    });
    try {
      this.peer.ping();
    } catch {
      // Closing already: 'close' follows and disposes of the timers.
    }
  }
}
