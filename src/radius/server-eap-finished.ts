/**
 * The last round of a conversation whose state lives in the cluster's
 * bucket (server-eap-shared.ts): its Accept or Reject is written as a
 * finished record (conversation-record.ts) over the conversation's before
 * it leaves, so a NAS whose Accept was lost, retransmitting the final
 * Access-Request to another server (the first one dead), gets the same
 * answer: the same EAP Success/Failure, the same MPPE keys (salted and
 * signed afresh for that response), the same User-Name. Any other request
 * naming a finished conversation is dropped (`cluster-state-finished`).
 *
 * The record's writer deletes it `finishedTtlMs` later (at most
 * `maxRoundsRemembered` deletions wait here; past that, and if the writer
 * dies, the bucket's TTL removes it). Until then the bucket holds, sealed,
 * the MPPE keys: the same exposure as the Success Request round of
 * MSCHAPv2 before it.
 */
import type { EapSessionResult } from '../eap/index.js';
import type { Clock } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import type { SharedConversations } from './conversation-kv.js';
import {
  type AnsweredRound,
  type ConversationRecord,
  type FinishedAnswer,
} from './conversation-record.js';
import type { SealedVersion } from './conversation-seal.js';
import { RadiusEventDescriptor } from './events.js';
import { canonicalAddress, sameAddress } from './nas-address.js';
import { RadiusCode } from './packet.js';
import type { RadiusReplier } from './server-reply.js';
import { stateKey, type Conversation, type RequestContext } from './server-context.js';

/** The Accept or Reject that ends a conversation, and the EAP packet it carries. */
export interface FinalAnswer {
  readonly outcome: 'accept' | 'reject';
  readonly eap: Uint8Array;
}

/** What a conversation's end answers: Accept with its EAP-Success, else Reject with its EAP-Failure (or one made up). */
export function finalAnswer(
  sent: Uint8Array | undefined,
  identifier: number,
  result: EapSessionResult,
): FinalAnswer {
  if (result.outcome === 'success' && sent?.[0] === 3) return { outcome: 'accept', eap: sent };
  return { outcome: 'reject', eap: sent?.[0] === 4 ? sent : Uint8Array.of(4, identifier, 0, 4) };
}

/** The finished record of a conversation ending with `result` on the request `context`, and its sealed header. */
export function finishedRecord(
  conversation: Conversation,
  context: RequestContext,
  result: EapSessionResult,
  /** SHA-256 of the EAP Response that ended it (the retransmit key, conversation-record.ts). */
  responseDigest: Uint8Array,
  /** The revision the finishing compare-and-set expects. */
  basedOn: number,
): { readonly record: ConversationRecord; readonly version: SealedVersion } {
  const answer = finalAnswer(conversation.result, context.identifier, result);
  const record: ConversationRecord = {
    client: conversation.client.name,
    address: conversation.address,
    identity: conversation.identity,
    authenticator: new Uint8Array(0),
    answered: {
      // Always set: the Response that ended the conversation was fed.
      eapIdentifier: conversation.responseEap?.[1] ?? 0,
      responseDigest,
      eapRequest: answer.eap,
    },
    finished: {
      outcome: answer.outcome,
      identity: result.identity,
      attributes: answer.outcome === 'accept' ? result.attributes : [],
    },
    basedOn,
  };
  // It awaits no Response; the header names the Success/Failure's Identifier.
  const version = {
    round: conversation.sharedRound + 1,
    awaitedIdentifier: answer.eap[1] as number,
  };
  return { record, version };
}

/** A finished record read from the bucket, for the request about to reach the core. */
interface RestoredFinished {
  readonly address: string;
  readonly finished: FinishedAnswer;
  readonly answered: AnsweredRound;
}

export class FinishedRounds {
  /** Finished records restored for the request in hand (emptied by `settle`). */
  private readonly restored = new Map<string, RestoredFinished>();
  /** Deletions of finished records waiting for their TTL here. */
  private pendingRemovals = 0;

  constructor(
    private readonly shared: SharedConversations,
    private readonly replier: RadiusReplier,
    private readonly trace: TraceProvider | undefined,
    private readonly clock: Clock,
  ) {}

  /** Deletes a finished record after `finishedTtlMs` (at most maxRoundsRemembered pending; past that, the bucket's TTL). */
  removeLater(state: Uint8Array, revision: number): void {
    if (this.pendingRemovals >= this.shared.maxRoundsRemembered) {
      this.shared.counters.finishedLeftToBucket++;
      return;
    }
    this.pendingRemovals++;
    this.clock.setTimer(this.shared.finishedTtlMs, () => {
      this.pendingRemovals--;
      // Any outcome is counted there; a conflict or a failure leaves it to the bucket's TTL.
      void this.shared.remove(state, revision);
    });
  }

  /** Keeps a finished record read for the request about to reach the core. */
  restore(
    state: Uint8Array,
    record: ConversationRecord,
    finished: FinishedAnswer,
    answered: AnsweredRound,
  ): void {
    this.restored.set(stateKey(state), {
      address: canonicalAddress(record.address),
      finished,
      answered,
    });
  }

  /** After that request: a finished record it did not reach is forgotten. */
  settle(state: Uint8Array): void {
    this.restored.delete(stateKey(state));
  }

  /**
   * A request naming a State whose finished record was restored for it:
   * the retransmit of the last round gets that answer again, anything else
   * is dropped (`stale` counts it and names the reason). False when no
   * finished record was restored for this State.
   */
  answer(
    state: Uint8Array,
    context: RequestContext,
    eap: Uint8Array | undefined,
    stale: () => string,
  ): boolean {
    const key = stateKey(state);
    const restored = this.restored.get(key);
    if (restored === undefined) return false;
    this.restored.delete(key);
    const drop = (reason: string) =>
      this.replier.drop(reason, context.from, RadiusCode.AccessRequest, context.identifier);
    if (!sameAddress(restored.address, context.from.address)) {
      drop('state-of-other-client');
      return true;
    }
    const retransmit =
      eap !== undefined && this.shared.isRetransmit(restored.answered, eap[1] as number, [eap]);
    if (!retransmit) {
      drop(stale());
      return true;
    }
    this.send(context, restored.finished, restored.answered.eapRequest);
    return true;
  }

  /** The finished answer again, signed for this request (MPPE keys salted afresh). */
  send(context: RequestContext, finished: FinishedAnswer, eap: Uint8Array): void {
    this.shared.counters.finishedAnswered++;
    this.trace?.emit(RadiusEventDescriptor.conversationShared, {
      action: 'finished-answered',
      round: 0,
      revision: 0,
    });
    if (finished.outcome === 'reject') {
      this.replier.reject(context, eap);
      return;
    }
    this.replier.accept(context, eap, {
      outcome: 'success',
      resultCode: 0,
      reason: 'finished record',
      method: undefined,
      identity: finished.identity,
      attributes: finished.attributes,
    });
  }
}
