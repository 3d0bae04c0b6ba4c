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
import { RadiusAttributeType } from './dictionary.js';
import { eapMessageAttributes, type EapCarried } from './eap-message.js';
import { RadiusEventDescriptor } from './events.js';
import { RadiusCode, type RadiusPacket } from './packet.js';
import type { RadiusReplier } from './server-reply.js';
import {
  durationOf,
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

  /** The rounds of conversations whose state is in the cluster's bucket, when there is one. */
  private readonly sharedRounds: SharedRounds | undefined;

  constructor(options: EapOverRadiusOptions) {
    this.options = options;
    this.store = options.store;
    this.replier = options.replier;
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
        // A retransmit of the round the restored record answered: that answer again, nothing written.
        if (this.sharedRounds?.resendAnswered(existing, context, carried.bytes) === true) return;
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

  private feed(conversation: Conversation, context: RequestContext, eap: Uint8Array): void {
    conversation.current = context;
    // Deliberate copy, with a bucket only: its record's retransmit key is this Response's digest.
    if (this.sharedRounds !== undefined) conversation.responseEap = eap.slice();
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
    if (answer.outcome === 'accept') this.replier.accept(context, answer.eap, result);
    else this.replier.reject(context, answer.eap);
  }
}
