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
import { finalAnswer } from './server-eap-finished.js';
import { SharedRounds } from './server-eap-shared.js';
import type { RadiusClientEntry } from './clients.js';
import { isRetransmitOf } from './conversation-record.js';
import { EndedConversations } from './server-eap-ended.js';
import { RadiusAttributeType } from './dictionary.js';
import { eapMessageAttributes, type EapCarried } from './eap-message.js';
import { RadiusEventDescriptor } from './events.js';
import { canonicalAddress, sameAddress } from './nas-address.js';
import { RadiusCode, type RadiusPacket } from './packet.js';
import type { RadiusReplier } from './server-reply.js';
import {
  durationOf,
  isIdentityResponse,
  sameBytes,
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
  /** How long, and how many, ended conversations' answers are kept for a retransmit from another socket (the duplicate cache's window and bound). */
  readonly endedWindowMs: number;
  readonly maxEnded: number;
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

  /** The rounds of conversations whose state is in the cluster's bucket, when there is one. */
  private readonly sharedRounds: SharedRounds | undefined;

  /** Answers of conversations that ended here, for a retransmit of their last request (server-eap-ended.ts). */
  private readonly endedAnswers: EndedConversations;

  constructor(options: EapOverRadiusOptions) {
    this.options = options;
    this.store = options.store;
    this.replier = options.replier;
    this.endedAnswers = new EndedConversations(options.endedWindowMs, options.maxEnded);
    this.sharedRounds =
      options.shared === undefined
        ? undefined
        : new SharedRounds(
            options.shared,
            options.store,
            options.replier,
            options.trace,
            options.clock,
            {
              authenticatorOptions: (conversation, initialIdentifier) =>
                this.authenticatorOptions(conversation, initialIdentifier),
              feed: (conversation, context, eap) => this.feed(conversation, context, eap),
              challenge: (context, conversation, eap) => this.challenge(context, conversation, eap),
              answer: (conversation, context, result) => this.answer(conversation, context, result),
              resendAnswered: (conversation, context, eap) =>
                this.resendAnswered(conversation, context, eap),
            },
          );
  }

  /**
   * A conversation read from the cluster's bucket becomes a local one for
   * the round in hand (radius/cluster.ts calls this before the request
   * reaches the core); the drop reason when refused (server-eap-shared.ts).
   */
  restore(
    loaded: Extract<LoadOutcome, { kind: 'found' }>,
    state: Uint8Array,
    client: RadiusClientEntry | undefined,
  ): string | undefined {
    if (this.sharedRounds === undefined) return this.refuseRecord('no-bucket');
    return this.sharedRounds.restore(loaded, state, client);
  }

  /** After the round a restore was for: a conversation that round never reached is let go again. */
  settleRestored(state: Uint8Array): void {
    this.sharedRounds?.settleRestored(state);
  }

  /** Counts and traces a round the bucket's record does not await (or, `finished`, a finished conversation); the drop reason. */
  staleRound(finished = false): string {
    if (this.sharedRounds !== undefined) return this.sharedRounds.staleRound(finished);
    return finished ? 'cluster-state-finished' : 'cluster-state-stale-round';
  }

  /** Counts and traces a refused bucket record; the drop reason for it. */
  refuseRecord(reason: string): string {
    if (this.sharedRounds !== undefined) return this.sharedRounds.refuseRecord(reason);
    this.options.trace?.emit(RadiusEventDescriptor.conversationRefused, { reason });
    return `cluster-state-${reason}`;
  }

  /**
   * The NAS a conversation with this State began with (its address and
   * client entry's name), while it is in memory here or its answer is kept
   * after it ended; undefined otherwise.
   */
  nasOf(state: Uint8Array): { readonly address: string; readonly client: string } | undefined {
    const conversation = this.store.get(state);
    if (conversation !== undefined) {
      return { address: conversation.address, client: conversation.client.name };
    }
    const ended = this.endedAnswers.lookup(stateKey(state), this.options.clock.now());
    return ended === undefined ? undefined : { address: ended.address, client: ended.client.name };
  }

  /** An Access-Request carrying EAP-Message (or an empty one: EAP-Start). */
  access(packet: RadiusPacket, context: RequestContext, carried: CarriedEap): void {
    const drop = (reason: string) =>
      this.replier.drop(reason, context.from, packet.code, packet.identifier);
    const state = packet.attributes.find((a) => a.type === RadiusAttributeType.State)?.value;
    // A conversation that finished elsewhere, its finished record restored for this request.
    const eap = carried.kind === 'eap' ? carried.bytes : undefined;
    if (state !== undefined && this.sharedRounds?.answerFinished(state, context, eap) === true) {
      return;
    }
    const existing = state === undefined ? undefined : this.store.get(state);
    if (existing !== undefined) {
      if (
        existing.client !== context.client ||
        !sameAddress(existing.address, context.from.address)
      ) {
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
        // A retransmit of the round this conversation answered last (here, or the restored
        // record's writer): that answer again, nothing fed, nothing written.
        if (this.resendAnswered(existing, context, carried.bytes)) return;
        if (existing.cached && this.sharedRounds !== undefined) {
          this.sharedRounds.fromCache(existing, context, carried.bytes);
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
    if (existing === undefined && state !== undefined && bytes !== undefined) {
      if (this.answerEnded(state, context, bytes)) return;
    }
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
      // One spelling of the NAS, whichever socket (dual-stack or IPv4) this round came in on.
      address: canonicalAddress(context.from.address),
      identity: identity?.slice(5),
      startedAtMs: options.clock.now(),
      current: context,
      swallow: identity !== undefined,
      result: undefined,
      replaced: false,
      sharedRevision: undefined,
      sharedRound: 0,
      writing: false,
      restored: false,
      responseEap: undefined,
      answered: undefined,
      lastAnswer: undefined,
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
   * The NAS sent again the EAP Response this conversation answered last,
   * from any socket, under any RADIUS Identifier, directly or forwarded by
   * another server (N3 of the third review: RFC 5080's duplicate key holds
   * the source port, which a NAS failing over changes). The same EAP
   * Request goes back under the same State, signed afresh for this
   * request; nothing reaches the authenticator, which would discard it.
   * Counted in `duplicatesAnswered`. True when it was that retransmit.
   */
  resendAnswered(conversation: Conversation, context: RequestContext, eap: Uint8Array): boolean {
    const last = conversation.lastAnswer;
    let request: Uint8Array | undefined;
    if (last !== undefined) {
      // Answered here: the Response itself is kept, so the bytes compare (no digest per round).
      if (last.response[1] === eap[1] && sameBytes(last.response, eap)) request = last.request;
    } else if (
      conversation.answered !== undefined &&
      conversation.answered.eapIdentifier === eap[1]
    ) {
      // Restored from a record: its writer's answer, keyed on the Response's digest.
      const answered = conversation.answered;
      const digest = this.options.crypto.digest('sha256', eap);
      if (
        isRetransmitOf(answered, { eapIdentifier: answered.eapIdentifier, responseDigest: digest })
      )
        request = answered.eapRequest;
    }
    if (request === undefined) return false;
    this.replier.counters.duplicatesAnswered++;
    this.sharedRounds?.countRetransmit(conversation);
    this.challenge(context, conversation, request, true);
    return true;
  }

  private feed(conversation: Conversation, context: RequestContext, eap: Uint8Array): void {
    conversation.current = context;
    // Deliberate copy: the answer to it is kept against its retransmit (`lastAnswer`).
    conversation.responseEap = eap.slice();
    const before = conversation.eap.droppedTotal;
    conversation.eap.receive(eap);
    if (conversation.current === context && conversation.eap.droppedTotal > before) {
      // The authenticator discarded it (wrong Identifier, wrong type…): RFC 3579 §2.6.2, silently.
      // Unanswered, so the NAS retries: its duplicate-cache entry goes, or the retransmit would
      // be held as duplicate-in-progress for the whole window (as review16c N6 found elsewhere).
      conversation.current = undefined;
      this.replier.abandon(context);
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
    const shared = this.sharedRounds;
    const snapshot = shared === undefined ? undefined : conversation.eap.snapshot();
    if (
      shared !== undefined &&
      snapshot === undefined &&
      conversation.sharedRevision !== undefined
    ) {
      shared.own(conversation, context, eap);
      return;
    }
    if (shared === undefined || snapshot === undefined) {
      this.challenge(context, conversation, eap);
      return;
    }
    // Written before it is answered: the next round may reach another server at once.
    shared.write(conversation, context, eap, snapshot);
  }

  /**
   * An Access-Challenge carrying the EAP Request `eap`. Unless it is that
   * answer `resent`, it becomes the conversation's last answer, kept with
   * the Response it answers (`lastAnswer`, against that Response's retransmit).
   */
  private challenge(
    context: RequestContext,
    conversation: Conversation,
    eap: Uint8Array,
    resent = false,
  ): void {
    this.replier.counters.challenged++;
    if (!resent) {
      const responded = conversation.responseEap;
      // This round supersedes what a restored record's writer answered.
      conversation.answered = undefined;
      conversation.lastAnswer =
        responded === undefined
          ? undefined
          : // Deliberate copy of the Request: `eap` is the shared send buffer's.
            { response: responded, request: eap.slice() };
    }
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
      durationMs: durationOf(conversation, this.options.clock.now()),
    });
    const context = conversation.current;
    conversation.current = undefined;
    if (context === undefined) {
      if (!conversation.replaced) this.replier.counters.expired++;
      return;
    }
    const shared = this.sharedRounds;
    const revision = conversation.sharedRevision;
    if (shared === undefined || revision === undefined) {
      this.answer(conversation, context, result);
      return;
    }
    shared.finish(conversation, context, result, revision);
  }

  private answer(
    conversation: Conversation,
    context: RequestContext,
    result: EapSessionResult,
  ): void {
    const answer = finalAnswer(conversation.result, context.identifier, result);
    const responded = conversation.responseEap;
    if (responded !== undefined) {
      this.endedAnswers.remember(
        conversation.key,
        {
          client: conversation.client,
          address: conversation.address,
          response: responded,
          // Ours already: the conversation's copy of its Success/Failure, or one made up.
          eap: answer.eap,
          outcome: answer.outcome,
          result,
        },
        this.options.clock.now(),
      );
    }
    if (answer.outcome === 'accept') this.replier.accept(context, answer.eap, result);
    else this.replier.reject(context, answer.eap);
  }

  /**
   * The last request of a conversation that ended here, sent again from
   * another socket or through another server: its Accept or Reject again,
   * signed for this request (true). A request from another NAS than the
   * one the conversation began with is dropped (true); any other EAP
   * Response goes on to the ordinary answer for an unknown State (false).
   */
  private answerEnded(state: Uint8Array, context: RequestContext, eap: Uint8Array): boolean {
    const ended = this.endedAnswers.lookup(stateKey(state), this.options.clock.now());
    if (ended === undefined || ended.response[1] !== eap[1]) return false;
    if (!sameBytes(ended.response, eap)) return false;
    if (ended.client !== context.client || !sameAddress(ended.address, context.from.address)) {
      this.replier.drop(
        'state-of-other-client',
        context.from,
        RadiusCode.AccessRequest,
        context.identifier,
      );
      return true;
    }
    this.replier.counters.duplicatesAnswered++;
    if (ended.outcome === 'accept') this.replier.accept(context, ended.eap, ended.result);
    else this.replier.reject(context, ended.eap);
    return true;
  }
}
