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
 * last (server-reply.ts).
 *
 * EAP (RFC 3579) runs in server-eap.ts, one `EapAuthenticator` per
 * conversation in the conversation store (conversation-store.ts), at most
 * `maxSessions` at once; PAP and CHAP in pap-chap.ts; the client table and
 * its Message-Authenticator policy in clients.ts and access-policy.ts.
 */
import {
  LocalAuthenticationProvider,
  StaticUserStore,
  type AuthenticationProvider,
} from '../eap/index.js';
import type { TraceProvider } from '../trace/index.js';
import { AccountingLedger } from './accounting.js';
import { RadiusClientTable, type RadiusClientEntry } from './clients.js';
import { RadiusAttributeType } from './dictionary.js';
import { AccessPolicy } from './access-policy.js';
import { ConversationStore } from './conversation-store.js';
import type { LoadOutcome } from './conversation-kv.js';
import { DuplicateCache } from './duplicate-cache.js';
import { carriedEap } from './eap-message.js';
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
import { EapOverRadius } from './server-eap.js';
import { RadiusReplier } from './server-reply.js';
import { checkAccountingRequest } from './signing.js';
import type { RequestContext } from './server-context.js';
import { papChapRequest } from './pap-chap.js';
import { positiveInteger } from '../runtime/index.js';

const decoder = new TextDecoder();

const NO_ATTRIBUTES: readonly RadiusAttribute[] = [];

export class RadiusServer {
  private readonly options: RadiusServerOptions;
  private readonly clients: RadiusClientTable;
  private readonly provider: AuthenticationProvider;
  private readonly cache: DuplicateCache;
  private readonly ledger: AccountingLedger;
  private readonly store: ConversationStore;
  private readonly replier: RadiusReplier;
  private readonly eap: EapOverRadius;
  private readonly policy: AccessPolicy;
  private readonly maxProxyStates: number;
  private readonly trace: TraceProvider | undefined;

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
    const sessionTimeoutMs = positiveInteger(
      'sessionTimeoutMs',
      options.sessionTimeoutMs,
      d.sessionTimeoutMs,
    );
    this.store = new ConversationStore({
      crypto: options.crypto,
      maxSessions: positiveInteger('maxSessions', options.maxSessions, d.maxSessions),
      maxSessionsPerClient: positiveInteger(
        'maxSessionsPerClient',
        options.maxSessionsPerClient,
        d.maxSessionsPerClient,
      ),
      ...(options.statePrefix === undefined ? {} : { statePrefix: options.statePrefix }),
      ...(options.maxCachedConversations === undefined
        ? {}
        : { maxCached: options.maxCachedConversations }),
    });
    this.maxProxyStates = positiveInteger(
      'maxProxyStates',
      options.maxProxyStates,
      d.maxProxyStates,
    );
    const duplicateWindowMs = positiveInteger(
      'duplicateWindowMs',
      options.duplicateWindowMs,
      d.duplicateWindowMs,
    );
    const maxCachedResponses = positiveInteger(
      'maxCachedResponses',
      options.maxCachedResponses,
      d.maxCachedResponses,
    );
    this.cache = new DuplicateCache(duplicateWindowMs, maxCachedResponses);
    this.ledger = new AccountingLedger(
      positiveInteger(
        'maxAccountingSessions',
        options.maxAccountingSessions,
        d.maxAccountingSessions,
      ),
    );
    this.trace = options.trace?.register(RADIUS_PROVIDER);
    this.policy = new AccessPolicy(options.crypto);
    this.replier = new RadiusReplier({
      crypto: options.crypto,
      send: options.send,
      cache: this.cache,
      trace: this.trace,
      mppeEncryption: options.mppeEncryption,
    });
    this.eap = new EapOverRadius({
      clock: options.clock,
      crypto: options.crypto,
      methods: options.methods,
      provider: this.provider,
      sessionTimeoutMs,
      store: this.store,
      replier: this.replier,
      trace: this.trace,
      registry: options.trace,
      endedWindowMs: duplicateWindowMs,
      maxEnded: maxCachedResponses,
      ...(options.sharedConversations === undefined ? {} : { shared: options.sharedConversations }),
    });
  }

  /** Whether this server answered this very request already (its duplicate cache holds the answer). */
  hasAnswered(datagram: Uint8Array, from: RadiusEndpoint): boolean {
    if (datagram.length < 20) return false;
    const key = DuplicateCache.key(from, datagram[1] as number, datagram.subarray(4, 20));
    return this.cache.lookup(key, this.options.clock.now())?.response !== undefined;
  }

  /** Whether a conversation with this State is in progress here (in memory). */
  hasConversation(state: Uint8Array): boolean {
    return this.store.get(state) !== undefined;
  }

  /**
   * The NAS (address and client entry name) the conversation with this
   * State began with, while it is held here (in progress, cached, or its
   * answer kept after it ended); undefined otherwise.
   */
  conversationNas(
    state: Uint8Array,
  ): { readonly address: string; readonly client: string } | undefined {
    return this.eap.nasOf(state);
  }

  /** Conversations kept between rounds because their state is in the bucket (not in `stats().sessions`). */
  get cachedConversations(): number {
    return this.store.cachedSize;
  }

  /**
   * Takes in a conversation read from the cluster's bucket, for the round
   * about to be received (radius/cluster.ts); the reason when refused.
   */
  restoreConversation(
    loaded: Extract<LoadOutcome, { kind: 'found' }>,
    state: Uint8Array,
  ): string | undefined {
    return this.eap.restore(loaded, state, this.clients.lookup(loaded.record.address));
  }

  /** Counts and traces a bucket record refused (RadiusConversationRefused); the drop reason. */
  refuseSharedRecord(reason: string): string {
    return this.eap.refuseRecord(reason);
  }

  /** Counts and traces a round the bucket's record does not await (an ordinary failover, not a refusal), or one naming a finished conversation; the drop reason. */
  staleSharedRound(finished = false): string {
    return this.eap.staleRound(finished);
  }

  /** After that round: a restored conversation it never reached is let go again. */
  settleRestored(state: Uint8Array): void {
    this.eap.settleRestored(state);
  }

  stats(): RadiusServerStats {
    return {
      ...this.replier.counters,
      sessions: this.store.size,
      cachedResponses: this.cache.size,
      dropped: Object.fromEntries(this.replier.drops),
    };
  }

  /** The client entry a NAS address belongs to (undefined: unknown client). */
  clientFor(address: string): RadiusClientEntry | undefined {
    return this.clients.lookup(address);
  }

  /** Accounting sessions between Start and Stop. */
  accountingSessions(): AccountingSession[] {
    return this.ledger.sessions();
  }

  /** One datagram from `from` on the `service` port. Never throws on bad bytes. */
  receive(datagram: Uint8Array, from: RadiusEndpoint, service: RadiusService = 'auth'): void {
    const counters = this.replier.counters;
    counters.received++;
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
      counters.duplicatesAnswered++;
      this.replier.transmit(cached.response, from, packet.identifier, true);
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
      this.replier.respond(
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
    this.replier.counters.accountingRecords++;
    this.replier.respond(context, RadiusCode.AccountingResponse, [], false);
  }

  private access(packet: RadiusPacket, context: RequestContext): void {
    const carried = carriedEap(packet);
    if (!carried.ok) {
      this.drop(`malformed:${carried.failure.code}`, context.from, packet.code, packet.identifier);
      return;
    }
    if (carried.value.kind === 'none') this.pap(packet, context);
    else this.eap.access(packet, context, carried.value);
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
      this.replier.reject(context, undefined);
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
        if (result.resultCode === 0)
          this.replier.accept(context, undefined, undefined, result.attributes);
        else rejectFor(result.reason ?? `error-${result.resultCode}`, methodName);
      },
    );
  }

  /**
   * Drops a request: counted by reason in `stats().dropped` and traced
   * (`RadiusPacketDropped`). Public for the parts beside the core that
   * refuse a request before it reaches it (cluster forwarding).
   */
  drop(
    reason: string,
    from: RadiusEndpoint,
    code: number | undefined,
    identifier: number | undefined,
  ): void {
    this.replier.drop(reason, from, code, identifier);
  }
}
