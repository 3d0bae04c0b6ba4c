/**
 * Attaching to NATS once it answers (review F10). A host that boots during
 * a NATS outage starts its connection `reconnecting` (`startDisconnected`,
 * connection.ts) and serves from local state; what needs the server (a KV
 * bucket, streams, consumers, a subscription) is opened here the first
 * time the connection is `connected`, and opened again after a failure
 * (JetStream not ready yet, no meta leader in a cluster that is forming)
 * every `retryMs` while it stays connected. Nothing restarts.
 */
import type { Clock, Timer } from '../../runtime/index.js';
import type { SharedNatsConnection } from './connection-settings.js';

export interface AttachOptions<T> {
  /** The connection whose first `connected` state opens `open`. */
  readonly connection: Pick<SharedNatsConnection, 'status' | 'onState'>;
  /** Opens what needs the server; a rejection is retried. */
  readonly open: () => Promise<T>;
  /** Called once with what `open` gave (not after `stop`). */
  readonly attached: (value: T) => void;
  /** Given what an open that finished after `stop` gave, to close it. */
  readonly discard?: (value: T) => void;
  /** The wait between failed opens while connected. Default 1000 ms. */
  readonly retryMs?: number;
  readonly clock: Clock;
}

export interface Attachment {
  /** True once `attached` was called. */
  readonly done: boolean;
  /** The last failed open's message ('' for none). */
  readonly lastError: string;
  /** Failed opens so far. */
  readonly failures: number;
  /** Stops waiting and retrying; a value opened after it is not handed over. */
  stop(): void;
}

/** Waits for the connection, then opens and hands over, retrying failures. */
export function attachWhenConnected<T>(options: AttachOptions<T>): Attachment {
  const retryMs = options.retryMs ?? 1000;
  let done = false;
  let stopped = false;
  let opening = false;
  let lastError = '';
  let failures = 0;
  let timer: Timer | undefined;
  const tryOpen = () => {
    if (done || stopped || opening || options.connection.status().state !== 'connected') return;
    opening = true;
    options.open().then(
      (value) => {
        opening = false;
        if (stopped) {
          options.discard?.(value);
          return;
        }
        done = true;
        stopWatching();
        options.attached(value);
      },
      (error: unknown) => {
        opening = false;
        failures++;
        lastError = error instanceof Error ? error.message : String(error);
        if (stopped) return;
        timer = options.clock.setTimer(retryMs, () => {
          timer = undefined;
          tryOpen();
        });
      },
    );
  };
  const stopWatching = options.connection.onState((state) => {
    if (state === 'connected' && timer === undefined) tryOpen();
  });
  tryOpen();
  return {
    get done() {
      return done;
    },
    get lastError() {
      return lastError;
    },
    get failures() {
      return failures;
    },
    stop() {
      stopped = true;
      stopWatching();
      timer?.cancel();
      timer = undefined;
    },
  };
}
