/**
 * The 802.1X authenticator's RADIUS pass-through backend (RFC 3579, RFC 3580,
 * RFC 4137's pass-through authenticator), sans-I/O: it implements netrx/eapol's
 * `AuthenticatorBackend`, so `EapolAuthenticator` relays every supplicant's
 * EAP conversation to a RADIUS server instead of deciding it here.
 *
 * It lives in netrx/radius, not netrx/eapol: it needs this module's codec and
 * signing, and only the types of netrx/eapol's backend seam (a type-only
 * import), so neither module depends on the other at run time.
 *
 * One backend serves every supplicant of one authenticator through one
 * socket: Identifiers (a space of 256 per socket) are shared by all its
 * conversations, each conversation holds at most one outstanding request,
 * and a datagram is routed by its Identifier. A response counts only when it
 * comes from the server asked, with a good Response Authenticator and a good
 * Message-Authenticator (required: BlastRADIUS); anything else is dropped and
 * counted in `stats().dropped`. A request without an answer is resent
 * unchanged after `timeoutMs`, `retries` times; then the next server is tried
 * from the Response/Identity (State belongs to one server), and that server
 * stays the first choice for later conversations. The last EAP Request is
 * resent to a silent supplicant (`supplicantTimeoutMs`, doubled each time,
 * `supplicantRetries` times) before the conversation ends as a timeout.
 */
import type {
  AuthenticatorBackend,
  BackendCallbacks,
  BackendConversation,
  BackendSupplicant,
} from '../eapol/index.js';
import type { Clock, Crypto } from '../runtime/index.js';
import { positiveInteger } from '../runtime/index.js';
import type { RadiusServerAddress } from './client.js';
import { RadiusConversation, type CounterName } from './eapol-conversation.js';
import { parseRadius } from './packet.js';
import type { RadiusEndpoint } from './server-options.js';

export interface RadiusEapolBackendOptions {
  readonly clock: Clock;
  readonly crypto: Crypto;
  /** Tried in order; the next one when a server does not answer. */
  readonly servers: readonly RadiusServerAddress[];
  /** One Access-Request datagram for `to` (the transport is the caller's). */
  readonly send: (datagram: Uint8Array, to: RadiusEndpoint) => void;
  /** Wait for a server's answer this long before resending; default 2000 ms. */
  readonly timeoutMs?: number;
  /** Resends per server before the next; default 2. */
  readonly retries?: number;
  /** Wait for the supplicant's Response this long before resending the Request (doubled each time); default 3000 ms. */
  readonly supplicantTimeoutMs?: number;
  /** Resends of an EAP Request to the supplicant; default 3. */
  readonly supplicantRetries?: number;
  /** NAS-Identifier; default "netrx". */
  readonly nasIdentifier?: string;
  /** Called-Station-Id (RFC 3580 §3.20: the authenticator's MAC, optionally `:SSID`); omitted when undefined. */
  readonly calledStationId?: string;
  /** Framed-MTU offered to the server (RFC 3579 §2.4); default 1400. */
  readonly framedMtu?: number;
}

export interface RadiusEapolBackendStats {
  /** Access-Requests sent, retransmissions not counted. */
  readonly requests: number;
  readonly retransmissions: number;
  readonly failovers: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly challenged: number;
  readonly timeouts: number;
  /** Conversations at the moment. */
  readonly conversations: number;
  /** Datagrams dropped, by reason (`bad-response-authenticator`, `message-authenticator-bad`, …). */
  readonly dropped: Readonly<Record<string, number>>;
}

export class RadiusEapolBackend implements AuthenticatorBackend {
  private readonly options: RadiusEapolBackendOptions;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly supplicantTimeoutMs: number;
  private readonly supplicantRetries: number;
  /** The server new conversations start with (advanced by failover). */
  private preferred = 0;
  private nextIdentifier: number;
  /** Outstanding requests by Identifier: at most 256, one per conversation. */
  private readonly byIdentifier = new Map<number, RadiusConversation>();
  private readonly live = new Set<RadiusConversation>();
  private readonly counters = {
    requests: 0,
    retransmissions: 0,
    failovers: 0,
    accepted: 0,
    rejected: 0,
    challenged: 0,
    timeouts: 0,
  };
  private readonly dropped = new Map<string, number>();

  constructor(options: RadiusEapolBackendOptions) {
    if (options.servers.length === 0)
      throw new TypeError('RadiusEapolBackend needs at least one server');
    this.options = options;
    this.timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, 2000);
    this.supplicantTimeoutMs = positiveInteger(
      'supplicantTimeoutMs',
      options.supplicantTimeoutMs,
      3000,
    );
    this.retries = nonNegative('retries', options.retries, 2);
    this.supplicantRetries = nonNegative('supplicantRetries', options.supplicantRetries, 3);
    this.nextIdentifier = options.crypto.randomBytes(1)[0] as number;
  }

  begin(
    supplicant: BackendSupplicant,
    identityResponse: Uint8Array,
    callbacks: BackendCallbacks,
  ): BackendConversation {
    const conversation = new RadiusConversation(
      this,
      supplicant,
      identityResponse.slice(), // deliberate copy: the view is valid only during the call
      callbacks,
      this.preferred,
    );
    this.live.add(conversation);
    conversation.request(conversation.identityResponse);
    return conversation;
  }

  /** One datagram from the network. Never throws on bad bytes: they are dropped and counted. */
  receive(datagram: Uint8Array, from: RadiusEndpoint): void {
    const parsed = parseRadius(datagram);
    if (!parsed.ok) return this.drop(`malformed:${parsed.failure.code}`);
    const packet = parsed.value;
    const conversation = this.byIdentifier.get(packet.identifier);
    if (conversation === undefined) return this.drop('unknown-identifier');
    conversation.response(packet, from);
  }

  stats(): RadiusEapolBackendStats {
    return {
      ...this.counters,
      conversations: this.live.size,
      dropped: Object.fromEntries(this.dropped),
    };
  }

  // --- for RadiusConversation ---

  /** @internal */ drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  /** @internal */ count(counter: CounterName): void {
    this.counters[counter]++;
  }

  /** @internal */ get settings() {
    return {
      options: this.options,
      timeoutMs: this.timeoutMs,
      retries: this.retries,
      supplicantTimeoutMs: this.supplicantTimeoutMs,
      supplicantRetries: this.supplicantRetries,
    };
  }

  /** @internal A free Identifier for `conversation`, or undefined when all 256 are in flight. */
  allocate(conversation: RadiusConversation): number | undefined {
    for (let i = 0; i < 256; i++) {
      const identifier = (this.nextIdentifier + i) & 0xff;
      if (this.byIdentifier.has(identifier)) continue;
      this.nextIdentifier = (identifier + 1) & 0xff;
      this.byIdentifier.set(identifier, conversation);
      return identifier;
    }
    return undefined;
  }

  /** @internal */ release(identifier: number, conversation: RadiusConversation): void {
    if (this.byIdentifier.get(identifier) === conversation) this.byIdentifier.delete(identifier);
  }

  /** @internal */ ended(conversation: RadiusConversation): void {
    this.live.delete(conversation);
  }

  /** @internal */ failedOver(to: number): void {
    this.preferred = to;
    this.counters.failovers++;
  }
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer >= 0`);
  return v;
}
