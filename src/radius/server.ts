/**
 * The RADIUS server core (RFC 2865, 2866, 3579, 5080, 5997), sans-I/O:
 * datagrams in through `receive`, datagrams out through `send`, time from
 * the injected clock, digests from the injected crypto.
 *
 * Every request is checked before anything else happens: an unknown client,
 * a malformed packet, a missing or bad Message-Authenticator (required on
 * every Access-Request by default: BlastRADIUS, CVE-2024-3596; always on
 * EAP and Status-Server), too many Proxy-States, or a bad Accounting Request
 * Authenticator is dropped, counted by reason and traced, never answered.
 * A retransmitted request gets the cached response (RFC 5080). Every
 * response carries Message-Authenticator as its first attribute, the
 * request's Proxy-States in order, and a Response Authenticator computed
 * last.
 *
 * EAP (RFC 3579): one `EapAuthenticator` per conversation, keyed by the
 * State attribute the server sets in its first Access-Challenge. Requests go
 * out in Access-Challenge, EAP-Success in Access-Accept with the method's
 * MS-MPPE keys salted (RFC 2548 §2.4.2), EAP-Failure in Access-Reject. The
 * server never retransmits (the NAS does); a conversation without a valid
 * Response for `sessionTimeoutMs` ends, and at most `maxSessions` run at once.
 */
import {
  DEFAULT_SEND_CAPACITY,
  EapAuthenticator,
  LocalAuthenticationProvider,
  StaticUserStore,
  type AuthAttribute,
  type AuthenticationProvider,
  type EapSessionResult,
} from '../eap/index.js';
import type { TraceProvider } from '../trace/index.js';
import { AccountingLedger } from './accounting.js';
import { RadiusClientTable, type RadiusClientEntry } from './clients.js';
import { RadiusAttributeType } from './dictionary.js';
import { acceptAttributes } from './accept-attributes.js';
import { AccessPolicy } from './access-policy.js';
import { createSlabAllocator } from '../bytes/index.js';
import { DuplicateCache } from './duplicate-cache.js';
import { carriedEap, eapMessageAttributes } from './eap-message.js';
import { RADIUS_PROVIDER, RadiusEventDescriptor } from './events.js';
import { parseRadius, RadiusCode, type RadiusAttribute, type RadiusPacket } from './packet.js';
import {
  RADIUS_SERVER_DEFAULTS,
  type AccountingSession,
  type RadiusEndpoint,
  type RadiusServerOptions,
  type RadiusServerStats,
  type RadiusService,
} from './server-options.js';
import { checkAccountingRequest, signResponse } from './signing.js';
import {
  isIdentityResponse,
  sameUserName,
  stateKey,
  type Conversation,
  type RequestContext,
} from './server-context.js';
import { papChapRequest } from './pap-chap.js';
import { positiveInteger } from '../runtime/index.js';

const MAX_DROP_REASONS = 48;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const NO_ATTRIBUTES: readonly RadiusAttribute[] = [];

export class RadiusServer {
  private readonly options: RadiusServerOptions;
  private readonly clients: RadiusClientTable;
  private readonly provider: AuthenticationProvider;
  private readonly cache: DuplicateCache;
  private readonly ledger: AccountingLedger;
  private readonly conversations = new Map<string, Conversation>();
  private readonly sessionTimeoutMs: number;
  private readonly maxSessions: number;
  private readonly maxSessionsPerClient: number;
  /** Conversations in progress per client entry (bounded by the client table). */
  private readonly perClient = new Map<RadiusClientEntry, number>();
  private readonly policy: AccessPolicy;
  private readonly maxProxyStates: number;
  private readonly trace: TraceProvider | undefined;
  private readonly drops = new Map<string, number>();
  /**
   * One EAP send buffer for every conversation: each packet an authenticator
   * sends is encoded into the response (or copied) before `send` returns.
   */
  private readonly eapSendBuffer = new Uint8Array(DEFAULT_SEND_CAPACITY);
  /**
   * Responses live in the duplicate cache for seconds: carved from slabs of
   * their own instead of one ArrayBuffer each (garbage collection was a
   * quarter of the server's CPU in the bench/eap profile).
   */
  private readonly allocResponse = createSlabAllocator(16 * 1024, 1024);
  private counters = {
    received: 0,
    sent: 0,
    duplicatesAnswered: 0,
    sessionsStarted: 0,
    accepted: 0,
    rejected: 0,
    challenged: 0,
    expired: 0,
    identityMismatches: 0,
    accountingRecords: 0,
    droppedTotal: 0,
  };

  constructor(options: RadiusServerOptions) {
    this.options = options;
    this.clients =
      options.clients instanceof RadiusClientTable
        ? options.clients
        : new RadiusClientTable(options.clients);
    const provider =
      options.provider ??
      (options.users === undefined
        ? undefined
        : new LocalAuthenticationProvider({ users: options.users, crypto: options.crypto }));
    this.provider =
      provider ??
      new LocalAuthenticationProvider({ users: new StaticUserStore([]), crypto: options.crypto });
    const d = RADIUS_SERVER_DEFAULTS;
    this.sessionTimeoutMs = positiveInteger(
      'sessionTimeoutMs',
      options.sessionTimeoutMs,
      d.sessionTimeoutMs,
    );
    this.maxSessions = positiveInteger('maxSessions', options.maxSessions, d.maxSessions);
    this.maxSessionsPerClient = positiveInteger(
      'maxSessionsPerClient',
      options.maxSessionsPerClient,
      d.maxSessionsPerClient,
    );
    this.maxProxyStates = positiveInteger(
      'maxProxyStates',
      options.maxProxyStates,
      d.maxProxyStates,
    );
    this.cache = new DuplicateCache(
      positiveInteger('duplicateWindowMs', options.duplicateWindowMs, d.duplicateWindowMs),
      positiveInteger('maxCachedResponses', options.maxCachedResponses, d.maxCachedResponses),
    );
    this.ledger = new AccountingLedger(
      positiveInteger(
        'maxAccountingSessions',
        options.maxAccountingSessions,
        d.maxAccountingSessions,
      ),
    );
    this.trace = options.trace?.register(RADIUS_PROVIDER);
    this.policy = new AccessPolicy(options.crypto);
  }

  stats(): RadiusServerStats {
    return {
      ...this.counters,
      sessions: this.conversations.size,
      cachedResponses: this.cache.size,
      dropped: Object.fromEntries(this.drops),
    };
  }

  /** Accounting sessions between Start and Stop. */
  accountingSessions(): AccountingSession[] {
    return this.ledger.sessions();
  }

  /** One datagram from `from` on the `service` port. Never throws on bad bytes. */
  receive(datagram: Uint8Array, from: RadiusEndpoint, service: RadiusService = 'auth'): void {
    this.counters.received++;
    const parsed = parseRadius(datagram);
    if (!parsed.ok) {
      this.drop(`malformed:${parsed.failure.code}`, from, datagram[0], datagram[1]);
      return;
    }
    const packet = parsed.value;
    const client = from.client ?? this.clients.lookup(from.address);
    if (client === undefined) {
      this.drop('unknown-client', from, packet.code, packet.identifier);
      return;
    }
    const now = this.options.clock.now();
    const cacheKey = DuplicateCache.key(from, packet.identifier, packet.authenticator);
    const cached = this.cache.lookup(cacheKey, now);
    if (cached !== undefined) {
      if (cached.response === undefined) {
        this.drop('duplicate-in-progress', from, packet.code, packet.identifier);
        return;
      }
      this.counters.duplicatesAnswered++;
      this.transmit(cached.response, from, packet.identifier, true);
      return;
    }
    switch (packet.code) {
      case RadiusCode.AccessRequest:
        // Status-Server is answered on both ports (RFC 5997); an
        // Access-Request belongs to the authentication port only.
        if (service !== 'auth') {
          this.drop('wrong-port', from, packet.code, packet.identifier);
          return;
        }
        if (!this.verifyAccess(packet, client, from)) return;
        break;
      case RadiusCode.StatusServer:
        if (!this.verifyAccess(packet, client, from)) return;
        break;
      case RadiusCode.AccountingRequest:
        if (service !== 'acct') {
          this.drop('wrong-port', from, packet.code, packet.identifier);
          return;
        }
        if (!checkAccountingRequest(this.options.crypto, packet, client.secret)) {
          this.drop('bad-request-authenticator', from, packet.code, packet.identifier);
          return;
        }
        break;
      default:
        this.drop('unexpected-code', from, packet.code, packet.identifier);
        return;
    }
    // One pass for what the context keeps; most requests carry no Proxy-State.
    let proxyStates: RadiusAttribute[] | undefined;
    let userName: Uint8Array | undefined;
    for (const attribute of packet.attributes) {
      if (attribute.type === RadiusAttributeType.ProxyState) (proxyStates ??= []).push(attribute);
      else if (attribute.type === RadiusAttributeType.UserName && userName === undefined)
        userName = attribute.value;
    }
    if (proxyStates !== undefined && proxyStates.length > this.maxProxyStates) {
      this.drop('too-many-proxy-state', from, packet.code, packet.identifier);
      return;
    }
    const context: RequestContext = {
      client,
      from,
      identifier: packet.identifier,
      // Deliberate copies: the datagram's bytes are the transport's, and a late answer needs them.
      authenticator: packet.authenticator.slice(),
      proxyStates:
        proxyStates === undefined
          ? NO_ATTRIBUTES
          : proxyStates.map((a) => ({ type: a.type, value: a.value.slice() })),
      cacheKey,
      userName: userName?.slice(),
    };
    this.cache.begin(cacheKey, now);
    if (packet.code === RadiusCode.StatusServer) {
      // RFC 5997 §3: Access-Accept on the authentication port, Accounting-Response on accounting.
      this.respond(
        context,
        service === 'acct' ? RadiusCode.AccountingResponse : RadiusCode.AccessAccept,
        [],
      );
    } else if (packet.code === RadiusCode.AccountingRequest) {
      this.accounting(packet, context);
    } else {
      this.access(packet, context);
    }
  }

  /** Message-Authenticator rules for Access-Request and Status-Server. */
  private verifyAccess(
    packet: RadiusPacket,
    client: RadiusClientEntry,
    from: RadiusEndpoint,
  ): boolean {
    const refused = this.policy.check(packet, client);
    if (refused === undefined) return true;
    this.drop(refused, from, packet.code, packet.identifier);
    return false;
  }

  private accounting(packet: RadiusPacket, context: RequestContext): void {
    const record = this.ledger.record(
      packet,
      context.client.name,
      context.from,
      this.options.clock.now(),
    );
    try {
      this.options.accounting?.(record);
    } catch {
      // RFC 2866 §2: no Accounting-Response unless the record was kept; the NAS will retry.
      this.drop('accounting-sink-failed', context.from, packet.code, packet.identifier);
      return;
    }
    this.ledger.apply(record);
    this.counters.accountingRecords++;
    this.respond(context, RadiusCode.AccountingResponse, [], false);
  }

  private access(packet: RadiusPacket, context: RequestContext): void {
    const carried = carriedEap(packet);
    if (!carried.ok) {
      this.drop(`malformed:${carried.failure.code}`, context.from, packet.code, packet.identifier);
      return;
    }
    if (carried.value.kind === 'none') {
      this.pap(packet, context);
      return;
    }
    const state = packet.attributes.find((a) => a.type === RadiusAttributeType.State)?.value;
    const existing = state === undefined ? undefined : this.conversations.get(stateKey(state));
    if (existing !== undefined) {
      if (existing.client !== context.client || existing.address !== context.from.address) {
        this.drop('state-of-other-client', context.from, packet.code, packet.identifier);
        return;
      }
      if (existing.current !== undefined) {
        this.drop('busy', context.from, packet.code, packet.identifier);
        return;
      }
      if (carried.value.kind !== 'eap') {
        this.drop('eap-start-in-session', context.from, packet.code, packet.identifier);
        return;
      }
      if (!isIdentityResponse(carried.value.bytes)) {
        if (!sameUserName(existing.identity, context.userName)) {
          this.identityMismatch(context, carried.value.bytes);
          return;
        }
        this.feed(existing, context, carried.value.bytes);
        return;
      }
      // A Response/Identity begins a conversation whatever State the NAS
      // echoes: the supplicant restarted (FreeRADIUS does the same). Feeding it
      // to the old one would be discarded until that one expired.
      existing.replaced = true;
      this.forget(existing);
      existing.eap.abort('replaced by a new Response/Identity');
    }
    const bytes = carried.value.kind === 'eap' ? carried.value.bytes : undefined;
    // A new conversation starts with EAP-Start or the peer's Response/Identity (RFC 3579 §2.1).
    const isIdentity = bytes !== undefined && isIdentityResponse(bytes);
    if (bytes !== undefined && !isIdentity) {
      // FreeRADIUS does the same: no conversation matches, so the answer is no (counted in rejected).
      this.reject(context, Uint8Array.of(4, bytes[1] ?? 0, 0, 4));
      return;
    }
    if (isIdentity && !sameUserName(bytes.subarray(5), context.userName)) {
      this.identityMismatch(context, bytes);
      return;
    }
    if (this.conversations.size >= this.maxSessions) {
      this.drop('sessions-full', context.from, packet.code, packet.identifier);
      return;
    }
    const limit = context.client.maxSessions ?? this.maxSessionsPerClient;
    if ((this.perClient.get(context.client) ?? 0) >= limit) {
      this.drop('client-sessions-full', context.from, packet.code, packet.identifier);
      return;
    }
    this.start(context, bytes);
  }

  /**
   * User-Name and the EAP identity differ: FreeRADIUS's "Identity does not
   * match User-Name", an Access-Reject with EAP-Failure, traced with the reason.
   */
  private identityMismatch(context: RequestContext, eap: Uint8Array): void {
    // Answered, not dropped: traced as a reject with its reason.
    this.trace?.emit(RadiusEventDescriptor.accessRejected, {
      reason: 'identity-mismatch',
      address: context.from.address,
      method: 'EAP',
    });
    this.counters.identityMismatches++;
    this.reject(context, Uint8Array.of(4, eap[1] ?? 0, 0, 4));
  }

  private start(context: RequestContext, identity: Uint8Array | undefined): void {
    const stateBytes = this.options.crypto.randomBytes(16);
    const key = stateKey(stateBytes);
    const initialIdentifier =
      identity === undefined
        ? (this.options.crypto.randomBytes(1)[0] as number)
        : (identity[1] as number);
    const conversation: Conversation = {
      key,
      state: stateBytes,
      client: context.client,
      address: context.from.address,
      identity: identity?.slice(5),
      current: context,
      swallow: identity !== undefined,
      result: undefined,
      replaced: false,
      eap: new EapAuthenticator({
        clock: this.options.clock,
        methods: this.options.methods,
        provider: this.provider,
        initialIdentifier,
        // The NAS retransmits, not us (RFC 3579 §2.6.1): the one timer is the session's expiry.
        retransmit: {
          initialTimeoutMs: this.sessionTimeoutMs,
          maxTimeoutMs: this.sessionTimeoutMs,
          maxRetransmissions: 0,
        },
        sendBuffer: this.eapSendBuffer,
        send: (eap) => this.eapSent(conversation, eap),
        onResult: (result) => this.ended(conversation, result),
        ...(this.options.trace === undefined ? {} : { trace: this.options.trace }),
      }),
    };
    this.conversations.set(key, conversation);
    this.perClient.set(context.client, (this.perClient.get(context.client) ?? 0) + 1);
    this.counters.sessionsStarted++;
    conversation.eap.start();
    conversation.swallow = false;
    if (identity !== undefined) this.feed(conversation, context, identity);
  }

  private feed(conversation: Conversation, context: RequestContext, eap: Uint8Array): void {
    conversation.current = context;
    const before = conversation.eap.droppedTotal;
    conversation.eap.receive(eap);
    if (conversation.current === context && conversation.eap.droppedTotal > before) {
      // The authenticator discarded it (wrong Identifier, wrong type…): RFC 3579 §2.6.2, silently.
      conversation.current = undefined;
      this.drop('eap-discarded', context.from, RadiusCode.AccessRequest, context.identifier);
    }
  }

  /** The authenticator sent an EAP packet: a Request goes out now, Success/Failure with the result. */
  private eapSent(conversation: Conversation, eap: Uint8Array): void {
    if (conversation.swallow) return;
    const context = conversation.current;
    if (context === undefined) return;
    if (eap[0] !== 1) {
      conversation.result = eap.slice(); // deliberate copy: the authenticator reuses its buffer
      return;
    }
    conversation.current = undefined;
    this.counters.challenged++;
    // No Session-Timeout here: in an Access-Challenge a NAS reads it as how
    // long to wait for the supplicant before resending the EAP Request (RFC
    // 3579), so the conversation's expiry would stall a lost Request for that long.
    this.respond(context, RadiusCode.AccessChallenge, [
      ...eapMessageAttributes(eap),
      { type: RadiusAttributeType.State, value: conversation.state },
    ]);
  }

  /** Removes a conversation from the table and from its client's count (once). */
  private forget(conversation: Conversation): void {
    if (!this.conversations.delete(conversation.key)) return;
    const left = (this.perClient.get(conversation.client) ?? 1) - 1;
    if (left > 0) this.perClient.set(conversation.client, left);
    else this.perClient.delete(conversation.client);
  }

  private ended(conversation: Conversation, result: EapSessionResult): void {
    this.forget(conversation);
    this.trace?.emit(RadiusEventDescriptor.sessionEnded, {
      outcome: result.outcome,
      identity: result.identity ?? '',
      method: result.method ?? '',
    });
    const context = conversation.current;
    conversation.current = undefined;
    if (context === undefined) {
      if (!conversation.replaced) this.counters.expired++;
      return;
    }
    if (result.outcome === 'success' && conversation.result?.[0] === 3) {
      this.accept(context, conversation.result, result);
      return;
    }
    const failure =
      conversation.result?.[0] === 4
        ? conversation.result
        : Uint8Array.of(4, context.identifier, 0, 4);
    this.reject(context, failure);
  }

  private accept(
    context: RequestContext,
    eap: Uint8Array | undefined,
    result: EapSessionResult | undefined,
    papAttributes: readonly AuthAttribute[] = [],
  ): void {
    this.counters.accepted++;
    const attributes: RadiusAttribute[] = eap === undefined ? [] : eapMessageAttributes(eap);
    // The authenticated identity (the EAP identity the method checked), not
    // whatever the NAS wrote; PAP's is the User-Name the password was checked for.
    const name =
      result === undefined
        ? context.userName
        : result.identity === undefined || result.identity === ''
          ? undefined
          : encoder.encode(result.identity);
    if (name !== undefined && name.length > 0 && name.length <= 253) {
      attributes.push({ type: RadiusAttributeType.UserName, value: name });
    }
    attributes.push(
      ...acceptAttributes(
        this.options.crypto,
        result?.attributes ?? papAttributes,
        context.client.secret,
        context.authenticator,
        this.options.mppeEncryption ?? RADIUS_SERVER_DEFAULTS.mppeEncryption,
      ),
    );
    this.respond(context, RadiusCode.AccessAccept, attributes);
  }

  private reject(context: RequestContext, eap: Uint8Array | undefined): void {
    this.counters.rejected++;
    this.respond(
      context,
      RadiusCode.AccessReject,
      eap === undefined ? [] : eapMessageAttributes(eap),
    );
  }

  /**
   * An Access-Request without EAP: PAP (User-Password) or CHAP (CHAP-Password
   * with CHAP-Challenge, or the Request Authenticator as the challenge: RFC
   * 2865 §2.2) through the provider. CHAP needs the cleartext password; a
   * user with only an NT hash is rejected with reason chap-needs-cleartext-password.
   */
  private pap(packet: RadiusPacket, context: RequestContext): void {
    const rejectFor = (reason: string, method: string) => {
      this.trace?.emit(RadiusEventDescriptor.accessRejected, {
        reason,
        address: context.from.address,
        method,
      });
      this.reject(context, undefined);
    };
    const request = papChapRequest(this.options.crypto, packet, context);
    if ('refused' in request) {
      rejectFor(request.refused, request.method);
      return;
    }
    const { userName, method: methodName, attributes } = request;
    this.provider.authenticate(
      {
        identity: decoder.decode(userName),
        method: { type: 0, name: methodName, flags: 0 },
        attributes,
      },
      (result) => {
        if (result.resultCode === 0) this.accept(context, undefined, undefined, result.attributes);
        else rejectFor(result.reason ?? `error-${result.resultCode}`, methodName);
      },
    );
  }

  private respond(
    context: RequestContext,
    code: number,
    attributes: readonly RadiusAttribute[],
    withMessageAuthenticator = true,
  ): void {
    const datagram = signResponse(
      this.options.crypto,
      code,
      context.identifier,
      context.authenticator,
      context.proxyStates.length === 0 ? attributes : [...attributes, ...context.proxyStates],
      context.client.secret,
      withMessageAuthenticator,
      this.allocResponse,
    );
    this.cache.complete(context.cacheKey, datagram);
    this.transmit(datagram, context.from, context.identifier, false);
  }

  private transmit(
    datagram: Uint8Array,
    to: RadiusEndpoint,
    identifier: number,
    duplicate: boolean,
  ): void {
    this.counters.sent++;
    this.trace?.emit(RadiusEventDescriptor.responseSent, {
      address: to.address,
      port: to.port,
      code: datagram[0] as number,
      identifier,
      duplicate,
    });
    this.options.send(datagram, to);
  }

  private drop(
    reason: string,
    from: RadiusEndpoint,
    code: number | undefined,
    identifier: number | undefined,
  ): void {
    this.counters.droppedTotal++;
    const key = this.drops.has(reason) || this.drops.size < MAX_DROP_REASONS ? reason : 'other';
    this.drops.set(key, (this.drops.get(key) ?? 0) + 1);
    this.trace?.emit(RadiusEventDescriptor.packetDropped, {
      reason,
      address: from.address,
      port: from.port,
      code: code ?? 0,
      identifier: identifier ?? 0,
    });
  }
}
