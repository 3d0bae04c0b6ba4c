/**
 * The authenticator's backend (802.1X-2004 §8.2.9, RFC 4137's backend or
 * pass-through authenticator): whatever decides an EAP conversation once the
 * PAE has the supplicant's identity. The PAE owns the EAPOL side (Start,
 * Logoff, the Request/Identity and its txPeriod restarts, the port); a
 * backend owns everything after the Response/Identity: the method Requests,
 * their retransmission, the Success or Failure, and the keys.
 *
 * Two backends fit: `LocalEapBackend` runs netrx/eap's standalone
 * authenticator here; `RadiusEapolBackend` (netrx/radius, which imports only
 * these types, so there is no cycle) sends the
 * Response/Identity as EAP-Message in an Access-Request with User-Name, and
 * relays each Access-Challenge's EAP-Message with `send`, the Accept's or
 * Reject's EAP Success/Failure with `send` then `finished`. Callbacks may
 * come at any time later (a RADIUS answer is asynchronous); after `abort`,
 * or after `finished`, the PAE ignores them.
 */
import {
  EapAuthenticator,
  type AuthAttribute,
  type AuthenticationProvider,
  type EapMethod,
  type RetransmitOptions,
} from '../eap/index.js';
import type { Clock } from '../runtime/index.js';
import type { TraceRegistry } from '../trace/index.js';

/** The supplicant a conversation is for. */
export interface BackendSupplicant {
  /** Its MAC (a copy the backend may keep). */
  readonly mac: Uint8Array;
  /** As `aa:bb:cc:dd:ee:ff`, for Calling-Station-Id and logs. */
  readonly macText: string;
  /** The identity from the Response/Identity (UTF-8 decoded). */
  readonly identity: string;
}

export type BackendOutcome = 'success' | 'failure' | 'timeout' | 'error';

export interface BackendResult {
  readonly outcome: BackendOutcome;
  readonly reason: string;
  /** The user's attributes on success (MS-MPPE keys, Session-Timeout, …). */
  readonly attributes: readonly AuthAttribute[];
}

/** What the PAE gives a conversation. */
export interface BackendCallbacks {
  /** An EAP packet for the supplicant (Request, Success or Failure). The bytes may be a view: the PAE copies. */
  send(eap: Uint8Array): void;
  /** The conversation is over; any Success/Failure was `send`'s before this. Once. */
  finished(result: BackendResult): void;
}

/** One supplicant's conversation with the backend. */
export interface BackendConversation {
  /** An EAP Response from the supplicant (never the Response/Identity that opened it). */
  receive(eap: Uint8Array): void;
  /** The PAE gave up (Logoff, Start, eviction, close): stop, send nothing more. Idempotent. */
  abort(reason: string): void;
}

export interface AuthenticatorBackend {
  /**
   * Opens a conversation for `supplicant` from its Response/Identity
   * (`identityResponse`, the whole EAP packet, a view valid only during the
   * call). May call `send` (and even `finished`) before it returns.
   */
  begin(
    supplicant: BackendSupplicant,
    identityResponse: Uint8Array,
    callbacks: BackendCallbacks,
  ): BackendConversation;
}

export interface LocalEapBackendOptions {
  readonly clock: Clock;
  /** Authenticator methods in policy order (netrx/eap's `createMd5Method`, …). */
  readonly methods: readonly EapMethod[];
  /** Behind the methods' `authenticate` action: `LocalAuthenticationProvider` over a user store. */
  readonly provider: AuthenticationProvider;
  readonly retransmit?: Partial<RetransmitOptions>;
  readonly maxRounds?: number;
  /** EAP packet bytes the backend may send (the Ethernet MTU less the EAPOL header at most); default 1020. */
  readonly sendCapacity?: number;
  readonly trace?: TraceRegistry;
}

/**
 * netrx/eap's standalone authenticator as a backend. The PAE has already
 * asked for the identity, so the conversation replays that exchange into a
 * fresh `EapAuthenticator`: it is started with the Response's Identifier as
 * its first, its own Request/Identity is not sent (the supplicant already
 * answered the PAE's), and the Response is handed to it. From there it
 * proposes its methods, retransmits on the clock and ends with Success or
 * Failure exactly as it does on its own.
 */
export class LocalEapBackend implements AuthenticatorBackend {
  constructor(private readonly options: LocalEapBackendOptions) {}

  begin(
    _supplicant: BackendSupplicant,
    identityResponse: Uint8Array,
    callbacks: BackendCallbacks,
  ): BackendConversation {
    const options = this.options;
    let replaying = true;
    let ended = false;
    let aborted = false;
    const authenticator = new EapAuthenticator({
      clock: options.clock,
      methods: options.methods,
      provider: options.provider,
      initialIdentifier: identityResponse[1] ?? 0,
      ...(options.retransmit === undefined ? {} : { retransmit: options.retransmit }),
      ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
      ...(options.sendCapacity === undefined ? {} : { sendCapacity: options.sendCapacity }),
      ...(options.trace === undefined ? {} : { trace: options.trace }),
      send: (packet) => {
        if (!replaying) callbacks.send(packet);
      },
      onResult: (result) => {
        ended = true;
        // An end the PAE asked for (abort) is not reported back to it.
        if (aborted) return;
        callbacks.finished({
          outcome: result.outcome,
          reason: result.reason,
          attributes: result.attributes,
        });
      },
    });
    authenticator.start();
    replaying = false;
    authenticator.receive(identityResponse);
    return {
      receive: (eap) => {
        if (!ended) authenticator.receive(eap);
      },
      abort: (reason) => {
        if (ended) return;
        aborted = true;
        authenticator.abort(reason);
      },
    };
  }
}
