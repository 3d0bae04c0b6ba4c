/**
 * EAP over RADIUS (RFC 3579) for the server: one `EapAuthenticator` per
 * conversation, keyed by the State attribute set in its first
 * Access-Challenge. Requests go out in Access-Challenge, EAP-Success in
 * Access-Accept with the method's MS-MPPE keys salted (RFC 2548 §2.4.2),
 * EAP-Failure in Access-Reject. The server never retransmits (the NAS does);
 * a conversation without a valid Response for `sessionTimeoutMs` ends.
 */
import {
  DEFAULT_SEND_CAPACITY,
  EapAuthenticator,
  type EapAuthenticatorOptions,
  type AuthenticationProvider,
  type EapMethod,
  type EapSessionResult,
} from '../eap/index.js';
import type { Clock, Crypto } from '../runtime/index.js';
import type { TraceProvider, TraceRegistry } from '../trace/index.js';
import type { ConversationStore } from './conversation-store.js';
import type { LoadOutcome, SharedConversations } from './conversation-kv.js';
import type { RadiusClientEntry } from './clients.js';
import { RadiusAttributeType } from './dictionary.js';
import { eapMessageAttributes, type EapCarried } from './eap-message.js';
import { RadiusEventDescriptor } from './events.js';
import { RadiusCode, type RadiusPacket } from './packet.js';
import type { RadiusReplier } from './server-reply.js';
import {
  isIdentityResponse,
  sameUserName,
  stateKey,
  type Conversation,
  type RequestContext,
} from './server-context.js';

export interface EapOverRadiusOptions {
  readonly clock: Clock;
  readonly crypto: Crypto;
  readonly methods: readonly EapMethod[];
  readonly provider: AuthenticationProvider;
  readonly sessionTimeoutMs: number;
  readonly store: ConversationStore;
  readonly replier: RadiusReplier;
  readonly trace: TraceProvider | undefined;
  readonly registry: TraceRegistry | undefined;
  /** The cluster's bucket, when conversations are shared (conversation-kv.ts). */
  readonly shared?: SharedConversations;
}

/** What an Access-Request carried as EAP, when it carried any. */
export type CarriedEap = Exclude<EapCarried, { readonly kind: 'none' }>;

export class EapOverRadius {
  private readonly options: EapOverRadiusOptions;
  private readonly store: ConversationStore;
  private readonly replier: RadiusReplier;
  /**
   * One EAP send buffer for every conversation: each packet an authenticator
   * sends is encoded into the response (or copied) before `send` returns.
   */
  private readonly eapSendBuffer = new Uint8Array(DEFAULT_SEND_CAPACITY);

  constructor(options: EapOverRadiusOptions) {
    this.options = options;
    this.store = options.store;
    this.replier = options.replier;
  }

  /** An Access-Request carrying EAP-Message (or an empty one: EAP-Start). */
  access(packet: RadiusPacket, context: RequestContext, carried: CarriedEap): void {
    const drop = (reason: string) =>
      this.replier.drop(reason, context.from, packet.code, packet.identifier);
    const state = packet.attributes.find((a) => a.type === RadiusAttributeType.State)?.value;
    const existing = state === undefined ? undefined : this.store.get(state);
    if (existing !== undefined) {
      if (existing.client !== context.client || existing.address !== context.from.address) {
        drop('state-of-other-client');
        return;
      }
      if (existing.current !== undefined) {
        drop('busy');
        return;
      }
      if (carried.kind !== 'eap') {
        drop('eap-start-in-session');
        return;
      }
      if (!isIdentityResponse(carried.bytes)) {
        if (!sameUserName(existing.identity, context.userName)) {
          this.identityMismatch(context, carried.bytes);
          return;
        }
        if (existing.cached) {
          this.fromCache(existing, context, carried.bytes);
          return;
        }
        this.feed(existing, context, carried.bytes);
        return;
      }
      // A Response/Identity begins a conversation whatever State the NAS
      // echoes: the supplicant restarted (FreeRADIUS does the same). Feeding it
      // to the old one would be discarded until that one expired.
      existing.replaced = true;
      this.store.forget(existing);
      existing.eap.abort('replaced by a new Response/Identity');
    }
    const bytes = carried.kind === 'eap' ? carried.bytes : undefined;
    // A new conversation starts with EAP-Start or the peer's Response/Identity (RFC 3579 §2.1).
    const isIdentity = bytes !== undefined && isIdentityResponse(bytes);
    if (bytes !== undefined && !isIdentity) {
      // FreeRADIUS does the same: no conversation matches, so the answer is no (counted in rejected).
      this.replier.reject(context, Uint8Array.of(4, bytes[1] ?? 0, 0, 4));
      return;
    }
    if (isIdentity && !sameUserName(bytes.subarray(5), context.userName)) {
      this.identityMismatch(context, bytes);
      return;
    }
    const refused = this.store.refusal(context.client);
    if (refused !== undefined) {
      drop(refused);
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
    this.options.trace?.emit(RadiusEventDescriptor.accessRejected, {
      reason: 'identity-mismatch',
      address: context.from.address,
      method: 'EAP',
    });
    this.replier.counters.identityMismatches++;
    this.replier.reject(context, Uint8Array.of(4, eap[1] ?? 0, 0, 4));
  }

  private start(context: RequestContext, identity: Uint8Array | undefined): void {
    const options = this.options;
    const stateBytes = this.store.newState();
    const initialIdentifier =
      identity === undefined
        ? (options.crypto.randomBytes(1)[0] as number)
        : (identity[1] as number);
    const conversation: Conversation = {
      key: stateKey(stateBytes),
      state: stateBytes,
      client: context.client,
      address: context.from.address,
      identity: identity?.slice(5),
      current: context,
      swallow: identity !== undefined,
      result: undefined,
      replaced: false,
      sharedRevision: undefined,
      sharedRound: 0,
      writing: false,
      restored: false,
      cached: false,
      roundEap: undefined,
      eap: new EapAuthenticator(this.authenticatorOptions(() => conversation, initialIdentifier)),
    };
    this.store.add(conversation);
    this.replier.counters.sessionsStarted++;
    conversation.eap.start();
    conversation.swallow = false;
    if (identity !== undefined) this.feed(conversation, context, identity);
  }

  private authenticatorOptions(
    conversation: () => Conversation,
    initialIdentifier: number,
  ): EapAuthenticatorOptions {
    const options = this.options;
    return {
      clock: options.clock,
      methods: options.methods,
      provider: options.provider,
      initialIdentifier,
      // The NAS retransmits, not us (RFC 3579 §2.6.1): the one timer is the session's expiry.
      retransmit: {
        initialTimeoutMs: options.sessionTimeoutMs,
        maxTimeoutMs: options.sessionTimeoutMs,
        maxRetransmissions: 0,
      },
      sendBuffer: this.eapSendBuffer,
      send: (eap) => this.eapSent(conversation(), eap),
      onResult: (result) => this.ended(conversation(), result),
      ...(options.registry === undefined ? {} : { trace: options.registry }),
    };
  }

  /**
   * A conversation read from the cluster's bucket becomes a local one for
   * the round in hand (radius/cluster.ts calls this before the request
   * reaches the core). Refused (counted, traced): a client that is not
   * the one it began with, a full table, or a snapshot these methods do
   * not restore.
   */
  restore(
    loaded: Extract<LoadOutcome, { kind: 'found' }>,
    state: Uint8Array,
    client: RadiusClientEntry | undefined,
  ): string | undefined {
    if (this.store.get(state) !== undefined) return undefined;
    const record = loaded.record;
    if (client === undefined || client.name !== record.client) return this.refuseRecord('client');
    const full = this.store.refusal(client);
    if (full !== undefined) return full;
    // The authenticator's callbacks name the conversation, built once it restored.
    const holder: { conversation?: Conversation } = {};
    const eap = EapAuthenticator.restore(
      this.authenticatorOptions(() => holder.conversation as Conversation, 0),
      record.authenticator,
    );
    if (eap === undefined) return this.refuseRecord('snapshot');
    const conversation: Conversation = {
      key: stateKey(state),
      state: state.slice(), // deliberate copy: the datagram's buffer is not ours
      client,
      address: record.address,
      identity: record.identity,
      current: undefined,
      swallow: false,
      result: undefined,
      replaced: false,
      sharedRevision: loaded.revision,
      sharedRound: loaded.version.round,
      writing: false,
      restored: true,
      cached: false,
      roundEap: undefined,
      eap,
    };
    holder.conversation = conversation;
    this.store.add(conversation);
    this.traceShared('restored', conversation);
    return undefined;
  }

  /** After the round a restore was for: a conversation that round never reached is let go again (the bucket keeps it). */
  settleRestored(state: Uint8Array): void {
    const conversation = this.store.get(state);
    if (conversation === undefined || !conversation.restored) return;
    conversation.restored = false;
    if (conversation.current === undefined && !conversation.writing) this.release(conversation);
  }

  /**
   * A round reached a conversation cached here. Its Response must answer the
   * Request the cache awaits; if not, another server moved the conversation
   * on, and the round runs from the bucket's record. Otherwise it runs from
   * the cache, and its write (compare-and-set at the cached revision) tells
   * whether the cache was current (`cacheStale` if not).
   */
  private fromCache(conversation: Conversation, context: RequestContext, eap: Uint8Array): void {
    const shared = this.options.shared as SharedConversations;
    // Deliberate copy: the datagram's buffer is not ours past this call.
    const round = eap.slice();
    if (conversation.eap.outstandingIdentifier !== eap[1]) {
      shared.counters.cacheStale++;
      this.release(conversation);
      this.fromRecord(context, conversation.state, round);
      return;
    }
    shared.counters.cacheHits++;
    this.store.activate(conversation);
    conversation.roundEap = round;
    this.feed(conversation, context, round);
  }

  /**
   * The cached state a round ran from was stale (its write or delete found
   * another revision): that answer is not sent, and the round runs once more
   * from the record now in the bucket, whose own write is the final check.
   */
  private cacheStale(conversation: Conversation, context: RequestContext): boolean {
    const round = conversation.roundEap;
    if (round === undefined) return false;
    conversation.roundEap = undefined;
    (this.options.shared as SharedConversations).counters.cacheStale++;
    this.release(conversation);
    this.fromRecord(context, conversation.state, round);
    return true;
  }

  /** Runs a round from the bucket's record of its conversation (after a stale cache). */
  private fromRecord(context: RequestContext, state: Uint8Array, eap: Uint8Array): void {
    const shared = this.options.shared as SharedConversations;
    const drop = (reason: string) =>
      this.replier.drop(reason, context.from, RadiusCode.AccessRequest, context.identifier);
    void shared.load(state).then((loaded) => {
      if (loaded.kind === 'refused') {
        drop(this.refuseRecord(loaded.reason));
        return;
      }
      if (loaded.kind !== 'found') {
        // Finished elsewhere, expired, or NATS away: nothing here may answer it.
        drop(loaded.kind === 'absent' ? 'cluster-state-gone' : 'cluster-state-read-failed');
        return;
      }
      if (loaded.version.awaitedIdentifier !== eap[1]) {
        drop(this.refuseRecord('stale-round'));
        return;
      }
      if (loaded.record.address !== context.from.address) {
        drop('state-of-other-client');
        return;
      }
      // Another round of it arrived meanwhile and holds it: this one waits for the NAS's retry.
      if (this.store.get(state) !== undefined) {
        drop('busy');
        return;
      }
      const refused = this.restore(loaded, state, context.client);
      if (refused !== undefined) {
        drop(refused);
        return;
      }
      const conversation = this.store.get(state) as Conversation;
      conversation.restored = false;
      this.feed(conversation, context, eap);
      if (conversation.current === undefined && !conversation.writing && !conversation.cached) {
        this.release(conversation);
      }
    });
  }

  /** Keeps a conversation whose record is stored between rounds; releases what the bound pushes out. */
  private keepCached(conversation: Conversation): void {
    conversation.roundEap = undefined;
    for (const evicted of this.store.cache(conversation)) evicted.eap.release();
  }

  /** Counts and traces a refused bucket record; the drop reason for it. */
  refuseRecord(reason: string): string {
    if (this.options.shared !== undefined) this.options.shared.counters.refused++;
    this.options.trace?.emit(RadiusEventDescriptor.conversationRefused, { reason });
    return `cluster-state-${reason}`;
  }

  /** Forgets a conversation whose state lives in the bucket now: nothing sent, no result. */
  private release(conversation: Conversation): void {
    this.store.forget(conversation);
    conversation.eap.release();
  }

  private traceShared(action: string, conversation: Conversation): void {
    this.options.trace?.emit(RadiusEventDescriptor.conversationShared, {
      action,
      round: conversation.sharedRound,
      revision: conversation.sharedRevision ?? 0,
    });
  }

  private feed(conversation: Conversation, context: RequestContext, eap: Uint8Array): void {
    conversation.current = context;
    const before = conversation.eap.droppedTotal;
    conversation.eap.receive(eap);
    if (conversation.current === context && conversation.eap.droppedTotal > before) {
      // The authenticator discarded it (wrong Identifier, wrong type…): RFC 3579 §2.6.2, silently.
      conversation.current = undefined;
      this.replier.drop(
        'eap-discarded',
        context.from,
        RadiusCode.AccessRequest,
        context.identifier,
      );
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
    const shared = this.options.shared;
    const snapshot = shared === undefined ? undefined : conversation.eap.snapshot();
    if (shared === undefined || snapshot === undefined) {
      this.challenge(context, conversation, eap);
      return;
    }
    // Written before it is answered: the next round may reach another server at once.
    const copy = eap.slice(); // deliberate copy: the send buffer is shared and the write takes a while
    conversation.current = context; // busy until the bucket answers
    conversation.writing = true;
    const round = conversation.sharedRound + 1;
    const record = {
      client: conversation.client.name,
      address: conversation.address,
      identity: conversation.identity,
      authenticator: snapshot,
    };
    void shared
      .save(
        conversation.state,
        record,
        { round, awaitedIdentifier: eap[1] as number },
        conversation.sharedRevision,
      )
      .then((outcome) => {
        conversation.writing = false;
        conversation.current = undefined;
        if (outcome.kind === 'stored') {
          conversation.sharedRevision = outcome.revision;
          conversation.sharedRound = round;
          this.traceShared('stored', conversation);
          // Cached first: the NAS may hand the next round back from inside the send.
          this.keepCached(conversation);
          this.challenge(context, conversation, copy);
        } else if (outcome.kind === 'conflict') {
          if (this.cacheStale(conversation, context)) return;
          // Another server answered this round first: its answer stands, ours is not sent.
          this.traceShared('conflict', conversation);
          this.release(conversation);
          this.replier.drop(
            'cluster-state-conflict',
            context.from,
            RadiusCode.AccessRequest,
            context.identifier,
          );
        } else {
          // NATS away: the conversation goes on from memory here (and its owner's forwarding).
          conversation.roundEap = undefined;
          this.traceShared('local-fallback', conversation);
          this.challenge(context, conversation, copy);
        }
      });
  }

  private challenge(context: RequestContext, conversation: Conversation, eap: Uint8Array): void {
    this.replier.counters.challenged++;
    // No Session-Timeout here: in an Access-Challenge a NAS reads it as how
    // long to wait for the supplicant before resending the EAP Request (RFC
    // 3579), so the conversation's expiry would stall a lost Request for that long.
    this.replier.respond(context, RadiusCode.AccessChallenge, [
      ...eapMessageAttributes(eap),
      { type: RadiusAttributeType.State, value: conversation.state },
    ]);
  }

  private ended(conversation: Conversation, result: EapSessionResult): void {
    if (conversation.cached) {
      // A cached copy expired: the conversation went on (or ended) elsewhere, or the bucket's TTL took it.
      this.store.forget(conversation);
      return;
    }
    this.store.forget(conversation);
    this.options.trace?.emit(RadiusEventDescriptor.sessionEnded, {
      outcome: result.outcome,
      identity: result.identity ?? '',
      method: result.method ?? '',
    });
    const context = conversation.current;
    conversation.current = undefined;
    if (context === undefined) {
      if (!conversation.replaced) this.replier.counters.expired++;
      return;
    }
    const shared = this.options.shared;
    const revision = conversation.sharedRevision;
    if (shared === undefined || revision === undefined) {
      this.answer(conversation, context, result);
      return;
    }
    // The record goes first, at the revision read: of two servers finishing one round, one answers.
    void shared.remove(conversation.state, revision).then((outcome) => {
      if (outcome.kind === 'conflict') {
        if (this.cacheStale(conversation, context)) return;
        this.traceShared('conflict', conversation);
        this.replier.drop(
          'cluster-state-conflict',
          context.from,
          RadiusCode.AccessRequest,
          context.identifier,
        );
        return;
      }
      // Deleted, or NATS away (the bucket's TTL removes it): the answer is ours either way.
      this.traceShared(outcome.kind === 'stored' ? 'deleted' : 'local-fallback', conversation);
      this.answer(conversation, context, result);
    });
  }

  private answer(
    conversation: Conversation,
    context: RequestContext,
    result: EapSessionResult,
  ): void {
    if (result.outcome === 'success' && conversation.result?.[0] === 3) {
      this.replier.accept(context, conversation.result, result);
      return;
    }
    const failure =
      conversation.result?.[0] === 4
        ? conversation.result
        : Uint8Array.of(4, context.identifier, 0, 4);
    this.replier.reject(context, failure);
  }
}
