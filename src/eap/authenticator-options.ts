/** The standalone authenticator's states, settings, defaults and counters. */
import type { Clock } from '../runtime/index.js';
import type { TraceRegistry } from '../trace/index.js';
import type { EapMethod } from './contract.js';
import type { AuthenticationProvider, InteractiveUi } from './method-runner.js';
import { DEFAULT_SEND_CAPACITY, type EapSessionResult } from './session.js';

/** RFC 4137 §5.4 standalone authenticator states. */
export type EapAuthenticatorState =
  | 'DISABLED'
  | 'INITIALIZE'
  | 'IDLE'
  | 'RETRANSMIT'
  | 'RECEIVED'
  | 'INTEGRITY_CHECK'
  | 'METHOD_RESPONSE'
  | 'PROPOSE_METHOD'
  | 'METHOD_REQUEST'
  | 'DISCARD'
  | 'SEND_REQUEST'
  | 'NAK'
  | 'SELECT_ACTION'
  | 'TIMEOUT_FAILURE'
  | 'SUCCESS'
  | 'FAILURE';

export interface RetransmitOptions {
  /** First retransmission timeout; default 3000 ms (hostapd, RFC 3748's "3-5 s suggested" range). */
  readonly initialTimeoutMs: number;
  /** The doubling stops here; default 20000 ms. */
  readonly maxTimeoutMs: number;
  /** Retransmissions per Request before the session fails (RFC 4137 MaxRetrans); default 5. */
  readonly maxRetransmissions: number;
}

export const DEFAULT_RETRANSMIT: RetransmitOptions = {
  initialTimeoutMs: 3000,
  maxTimeoutMs: 20000,
  maxRetransmissions: 5,
};
/** Requests per session before it fails (hostapd's EAP_MAX_AUTH_ROUNDS); bounds a method that never ends. */
export const DEFAULT_MAX_ROUNDS = 50;

export interface EapAuthenticatorOptions {
  readonly clock: Clock;
  /** Authenticator-capable methods in policy order: the first is proposed first. */
  readonly methods: readonly EapMethod[];
  /** Sends one EAP packet. The bytes are a view of the authenticator's send buffer: copy to keep. */
  readonly send: (packet: Uint8Array) => void;
  readonly onResult?: (result: EapSessionResult) => void;
  /** The provider behind the `authenticate` action (local user store, RADIUS, …). */
  readonly provider?: AuthenticationProvider;
  readonly ui?: InteractiveUi;
  /** Identifier of the first Request (the host should pick it at random); default 0. */
  readonly initialIdentifier?: number;
  readonly retransmit?: Partial<RetransmitOptions>;
  readonly maxRounds?: number;
  readonly sendCapacity?: number;
  /**
   * A buffer to encode packets into instead of one of the authenticator's
   * own (`sendCapacity` is then its length, 5..65535). Many authenticators
   * may share one, provided every `send` copies what it keeps before it
   * returns (the RADIUS server does): nothing is kept in it between calls,
   * and a retransmission encodes its packet again.
   */
  readonly sendBuffer?: Uint8Array;
  readonly flags?: number;
  readonly trace?: TraceRegistry;
  readonly sessionId?: number;
}

export interface EapAuthenticatorStats {
  readonly received: number;
  readonly sent: number;
  readonly retransmissions: number;
  readonly naksReceived: number;
  readonly droppedTotal: number;
  /** Drops by reason: malformed:<code>, not-a-response, wrong-identifier, unexpected-type, busy, … */
  readonly dropped: Readonly<Record<string, number>>;
}

/** The settings an authenticator runs with, after `resolveAuthenticatorOptions` checked them. */
export interface ResolvedAuthenticatorOptions {
  readonly retransmit: RetransmitOptions;
  readonly maxRounds: number;
  readonly sendBuffer: Uint8Array;
}

/**
 * Checks the options as the constructor (and `restore`) must, before any
 * state exists: a bad setting is API misuse, so it throws.
 */
export function resolveAuthenticatorOptions(
  options: EapAuthenticatorOptions,
  authenticatorCapable: (method: EapMethod) => boolean,
): ResolvedAuthenticatorOptions {
  const capacity = options.sendBuffer?.length ?? options.sendCapacity ?? DEFAULT_SEND_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 5 || capacity > 0xffff) {
    throw new RangeError(`sendCapacity must be 5..65535: got ${capacity}`);
  }
  const retransmit = { ...DEFAULT_RETRANSMIT, ...options.retransmit };
  if (
    !(retransmit.initialTimeoutMs > 0) ||
    !(retransmit.maxTimeoutMs >= retransmit.initialTimeoutMs)
  ) {
    throw new RangeError('retransmit timeouts must be positive, maxTimeoutMs >= initialTimeoutMs');
  }
  if (!Number.isInteger(retransmit.maxRetransmissions) || retransmit.maxRetransmissions < 0) {
    throw new RangeError(
      `maxRetransmissions must be a whole number: got ${retransmit.maxRetransmissions}`,
    );
  }
  const initialId = options.initialIdentifier ?? 0;
  if (!Number.isInteger(initialId) || initialId < 0 || initialId > 255) {
    throw new RangeError(`initialIdentifier must be 0..255: got ${initialId}`);
  }
  for (const method of options.methods) {
    if (!authenticatorCapable(method)) {
      throw new TypeError(`EAP method ${method.info.name} cannot run on the authenticator side`);
    }
  }
  return {
    retransmit,
    maxRounds: options.maxRounds ?? DEFAULT_MAX_ROUNDS,
    sendBuffer: options.sendBuffer ?? new Uint8Array(capacity),
  };
}
