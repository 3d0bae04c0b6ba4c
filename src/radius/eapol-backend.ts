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
import {
  AuthAttributeType,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  type AuthAttribute,
} from '../eap/index.js';
import type {
  AuthenticatorBackend,
  BackendCallbacks,
  BackendConversation,
  BackendOutcome,
  BackendSupplicant,
} from '../eapol/index.js';
import type { Clock, Crypto, Timer } from '../runtime/index.js';
import { positiveInteger } from '../runtime/index.js';
import type { RadiusServerAddress } from './client.js';
import { RadiusAttributeType } from './dictionary.js';
import { carriedEap, eapMessageAttributes } from './eap-message.js';
import {
  integerBytes,
  parseRadius,
  parseVendorSpecific,
  RadiusCode,
  type RadiusAttribute,
  type RadiusPacket,
} from './packet.js';
import type { RadiusEndpoint } from './server-options.js';
import { checkResponse, decryptMppeKey, signAccessRequest } from './signing.js';

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

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NAS_PORT_TYPE_ETHERNET = 15;
const SERVICE_TYPE_FRAMED = 2;

type CounterName =
  | 'requests'
  | 'retransmissions'
  | 'failovers'
  | 'accepted'
  | 'rejected'
  | 'challenged'
  | 'timeouts';

interface Outstanding {
  readonly identifier: number;
  readonly authenticator: Uint8Array;
  readonly datagram: Uint8Array;
  readonly server: number;
  sends: number;
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

/** One supplicant's conversation with the RADIUS server. @internal */
class RadiusConversation implements BackendConversation {
  private state: Uint8Array | undefined;
  private outstanding: Outstanding | undefined;
  private radiusTimer: Timer | undefined;
  private supplicantTimer: Timer | undefined;
  private lastRequest: Uint8Array | undefined;
  private supplicantSends = 0;
  private failovers = 0;
  private done = false;

  constructor(
    private readonly backend: RadiusEapolBackend,
    private readonly supplicant: BackendSupplicant,
    readonly identityResponse: Uint8Array,
    private readonly callbacks: BackendCallbacks,
    private server: number,
  ) {}

  receive(eap: Uint8Array): void {
    if (this.done) return;
    if (this.outstanding !== undefined) {
      // The server has not answered the last one: a supplicant's duplicate, not a new Response.
      this.backend.drop('response-while-waiting');
      return;
    }
    if (this.lastRequest !== undefined && eap[1] !== this.lastRequest[1]) {
      this.backend.drop('eap-identifier-mismatch');
      return;
    }
    this.stopSupplicantTimer();
    this.request(eap.slice());
  }

  abort(_reason: string): void {
    if (this.done) return;
    this.end();
  }

  /** Sends `eap` in a fresh Access-Request to the current server. */
  request(eap: Uint8Array): void {
    const { options } = this.backend.settings;
    const identifier = this.backend.allocate(this);
    if (identifier === undefined) {
      this.finish('error', 'no free RADIUS Identifier (256 requests in flight)', []);
      return;
    }
    const attributes: RadiusAttribute[] = [
      { type: RadiusAttributeType.UserName, value: encoder.encode(this.supplicant.identity) },
      {
        type: RadiusAttributeType.NasIdentifier,
        value: encoder.encode(options.nasIdentifier ?? 'netrx'),
      },
      { type: RadiusAttributeType.ServiceType, value: integerBytes(SERVICE_TYPE_FRAMED) },
      { type: RadiusAttributeType.NasPortType, value: integerBytes(NAS_PORT_TYPE_ETHERNET) },
      { type: RadiusAttributeType.FramedMtu, value: integerBytes(options.framedMtu ?? 1400) },
      {
        type: RadiusAttributeType.CallingStationId,
        value: encoder.encode(this.supplicant.macText),
      },
      ...(options.calledStationId === undefined
        ? []
        : [
            {
              type: RadiusAttributeType.CalledStationId,
              value: encoder.encode(options.calledStationId),
            },
          ]),
      ...eapMessageAttributes(eap),
      ...(this.state === undefined ? [] : [{ type: RadiusAttributeType.State, value: this.state }]),
    ];
    const authenticator = options.crypto.randomBytes(16);
    const datagram = signAccessRequest(
      options.crypto,
      RadiusCode.AccessRequest,
      identifier,
      authenticator,
      attributes,
      this.secret(),
    );
    this.backend.count('requests');
    this.outstanding = { identifier, authenticator, datagram, server: this.server, sends: 0 };
    this.transmit();
  }

  /** A parsed datagram carrying our outstanding Identifier. */
  response(packet: RadiusPacket, from: RadiusEndpoint): void {
    const outstanding = this.outstanding;
    if (outstanding === undefined || this.done) return this.backend.drop('nothing-outstanding');
    const server = this.address();
    if (from.port !== server.port || from.address !== server.address)
      return this.backend.drop('wrong-source');
    const { options } = this.backend.settings;
    const check = checkResponse(
      options.crypto,
      packet,
      outstanding.authenticator,
      this.secret(),
      true,
    );
    if (check !== undefined)
      return this.backend.drop(
        check === 'bad-response-authenticator' ? check : `message-authenticator-${check}`,
      );
    const carried = carriedEap(packet);
    const eap = carried.ok && carried.value.kind === 'eap' ? carried.value.bytes : undefined;
    const reply = packet.attributes.find((a) => a.type === RadiusAttributeType.ReplyMessage);
    const replyMessage = reply === undefined ? undefined : decoder.decode(reply.value);
    const lastId = this.lastRequest?.[1] ?? this.identityResponse[1] ?? 0;
    switch (packet.code) {
      case RadiusCode.AccessChallenge: {
        if (eap === undefined || eap[0] !== 1)
          return this.backend.drop('challenge-without-eap-request');
        this.settle();
        this.backend.count('challenged');
        this.state = packet.attributes
          .find((a) => a.type === RadiusAttributeType.State)
          ?.value.slice();
        this.lastRequest = eap.slice();
        this.supplicantSends = 0;
        this.sendToSupplicant();
        return;
      }
      case RadiusCode.AccessAccept: {
        this.settle();
        this.backend.count('accepted');
        this.callbacks.send(eap?.[0] === 3 ? eap : Uint8Array.of(3, lastId, 0, 4));
        this.finish(
          'success',
          replyMessage === undefined ? 'Access-Accept' : `Access-Accept: ${replyMessage}`,
          this.acceptedAttributes(packet, outstanding.authenticator),
        );
        return;
      }
      case RadiusCode.AccessReject: {
        this.settle();
        this.backend.count('rejected');
        this.callbacks.send(eap?.[0] === 4 ? eap : Uint8Array.of(4, lastId, 0, 4));
        this.finish(
          'failure',
          replyMessage === undefined ? 'Access-Reject' : `Access-Reject: ${replyMessage}`,
          [],
        );
        return;
      }
      default:
        return this.backend.drop('unexpected-code');
    }
  }

  private address(): RadiusServerAddress {
    return this.backend.settings.options.servers[this.server] as RadiusServerAddress;
  }

  private secret(): Uint8Array {
    const secret = this.address().secret;
    return typeof secret === 'string' ? encoder.encode(secret) : secret;
  }

  private transmit(): void {
    const outstanding = this.outstanding;
    if (outstanding === undefined) return;
    if (outstanding.sends > 0) this.backend.count('retransmissions');
    outstanding.sends++;
    const { options, timeoutMs } = this.backend.settings;
    this.radiusTimer?.cancel();
    this.radiusTimer = options.clock.setTimer(timeoutMs, () => this.onRadiusTimeout());
    const server = this.address();
    options.send(outstanding.datagram, { address: server.address, port: server.port });
  }

  private onRadiusTimeout(): void {
    this.radiusTimer = undefined;
    const outstanding = this.outstanding;
    if (outstanding === undefined || this.done) return;
    const { options, retries } = this.backend.settings;
    if (outstanding.sends <= retries) return this.transmit();
    this.settle();
    // Tried every server once from this conversation's first: a timeout.
    const next = (this.server + 1) % options.servers.length;
    const triedAll = this.failovers + 1 >= options.servers.length;
    if (triedAll) {
      this.backend.count('timeouts');
      this.finish(
        'timeout',
        `no answer from ${options.servers.map((s) => `${s.address}:${s.port}`).join(', ')}`,
        [],
      );
      return;
    }
    this.failovers++;
    this.server = next;
    this.backend.failedOver(next);
    // State belongs to the server that gave it: start over with the Response/Identity.
    this.state = undefined;
    this.lastRequest = undefined;
    this.stopSupplicantTimer();
    this.request(this.identityResponse);
  }

  private sendToSupplicant(): void {
    const request = this.lastRequest;
    if (request === undefined) return;
    const { options, supplicantTimeoutMs } = this.backend.settings;
    this.supplicantTimer?.cancel();
    this.supplicantTimer = options.clock.setTimer(
      supplicantTimeoutMs * 2 ** Math.min(this.supplicantSends, 6),
      () => this.onSupplicantTimeout(),
    );
    this.supplicantSends++;
    this.callbacks.send(request);
  }

  private onSupplicantTimeout(): void {
    this.supplicantTimer = undefined;
    if (this.done) return;
    if (this.supplicantSends <= this.backend.settings.supplicantRetries)
      return this.sendToSupplicant();
    this.backend.count('timeouts');
    this.finish('timeout', 'the supplicant stopped answering', []);
  }

  /** The outstanding request is answered (or abandoned): free its Identifier and timer. */
  private settle(): void {
    const outstanding = this.outstanding;
    if (outstanding !== undefined) this.backend.release(outstanding.identifier, this);
    this.outstanding = undefined;
    this.radiusTimer?.cancel();
    this.radiusTimer = undefined;
  }

  private stopSupplicantTimer(): void {
    this.supplicantTimer?.cancel();
    this.supplicantTimer = undefined;
  }

  private end(): void {
    this.done = true;
    this.settle();
    this.stopSupplicantTimer();
    this.state = undefined;
    this.lastRequest = undefined;
    this.backend.ended(this);
  }

  private finish(
    outcome: BackendOutcome,
    reason: string,
    attributes: readonly AuthAttribute[],
  ): void {
    if (this.done) return;
    this.end();
    this.callbacks.finished({ outcome, reason, attributes });
  }

  /** The Accept's MS-MPPE keys unsalted (as netrx/eap attributes hold them) and its Session-Timeout. */
  private acceptedAttributes(
    packet: RadiusPacket,
    requestAuthenticator: Uint8Array,
  ): AuthAttribute[] {
    const { options } = this.backend.settings;
    const out: AuthAttribute[] = [];
    for (const attribute of packet.attributes) {
      if (attribute.type === RadiusAttributeType.SessionTimeout && attribute.value.length === 4) {
        out.push({ type: AuthAttributeType.SessionTimeout, value: attribute.value.slice() });
        continue;
      }
      if (attribute.type === RadiusAttributeType.Class) {
        out.push({ type: RadiusAttributeType.Class, value: attribute.value.slice() });
        continue;
      }
      if (attribute.type !== RadiusAttributeType.VendorSpecific) continue;
      const vendor = parseVendorSpecific(attribute.value);
      if (vendor?.vendorId !== MICROSOFT_VENDOR_ID) continue;
      for (const sub of vendor.subAttributes) {
        if (
          sub.type !== MicrosoftAttributeType.MsMppeSendKey &&
          sub.type !== MicrosoftAttributeType.MsMppeRecvKey
        )
          continue;
        const key = decryptMppeKey(options.crypto, sub.value, this.secret(), requestAuthenticator);
        if (key === undefined) {
          this.backend.drop('malformed-mppe-key');
          continue;
        }
        out.push({
          type: AuthAttributeType.VendorSpecific,
          vendorId: MICROSOFT_VENDOR_ID,
          vendorType: sub.type,
          value: key,
        });
      }
    }
    return out;
  }
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer >= 0`);
  return v;
}
