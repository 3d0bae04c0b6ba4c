/**
 * The rounds of EAP conversations whose state lives in the cluster's bucket
 * (conversation-kv.ts), for EapOverRadius (server-eap.ts): each Request is
 * written, sealed, before its Access-Challenge leaves (compare-and-set at
 * the revision this server read or wrote), each Accept/Reject deletes the
 * record first, and a record read from the bucket is restored for the
 * round in hand. The last round writes a finished record instead (the
 * Accept or Reject it gives, conversation-record.ts), so a retransmit of
 * that round at any server gets the same answer; its writer deletes it
 * `finishedTtlMs` later. The server that wrote a record keeps the conversation
 * cached (conversation-store.ts) so the next round that comes back needs
 * no read; the write of that round is the check that the cache was still
 * current, and a stale cache never answers: the round runs again from the
 * bucket's record, whose own write decides.
 */
import {
  EapAuthenticator,
  type EapAuthenticatorOptions,
  type EapSessionResult,
} from '../eap/index.js';
import type { Clock } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import type { ConversationStore } from './conversation-store.js';
import type { LoadOutcome, SharedConversations } from './conversation-kv.js';
import type { AnsweredRound } from './conversation-record.js';
import { FinishedRounds, finishedRecord } from './server-eap-finished.js';
import type { RadiusClientEntry } from './clients.js';
import { RadiusEventDescriptor } from './events.js';
import { canonicalAddress, sameAddress } from './nas-address.js';
import { RadiusCode } from './packet.js';
import type { RadiusReplier } from './server-reply.js';
import { stateKey, type Conversation, type RequestContext } from './server-context.js';

/** What the shared rounds use of EapOverRadius. */
export interface SharedRoundsHost {
  authenticatorOptions(
    conversation: () => Conversation,
    initialIdentifier: number,
  ): EapAuthenticatorOptions;
  feed(conversation: Conversation, context: RequestContext, eap: Uint8Array): void;
  challenge(context: RequestContext, conversation: Conversation, eap: Uint8Array): void;
  resendAnswered(conversation: Conversation, context: RequestContext, eap: Uint8Array): boolean;
  answer(conversation: Conversation, context: RequestContext, result: EapSessionResult): void;
}

export class SharedRounds {
  /** The finished records of conversations this server ended or answers again. */
  private readonly finished: FinishedRounds;

  constructor(
    private readonly shared: SharedConversations,
    private readonly store: ConversationStore,
    private readonly replier: RadiusReplier,
    private readonly trace: TraceProvider | undefined,
    private readonly clock: Clock,
    private readonly host: SharedRoundsHost,
  ) {
    this.finished = new FinishedRounds(shared, replier, trace, clock);
  }

  /** Writes the Request's state before its Access-Challenge leaves (`eap` is the Request, `snapshot` the authenticator's). */
  write(
    conversation: Conversation,
    context: RequestContext,
    eap: Uint8Array,
    snapshot: Uint8Array,
  ): void {
    // Written before it is answered: the next round may reach another server at once.
    const copy = eap.slice(); // deliberate copy: the send buffer is shared and the write takes a while
    conversation.current = context; // busy until the bucket answers
    conversation.writing = true;
    const round = conversation.sharedRound + 1;
    const responded = conversation.responseEap;
    // What a server that gets this EAP Response again (our answer lost, or we died) re-sends.
    const answered: AnsweredRound | undefined =
      responded === undefined
        ? undefined
        : {
            eapIdentifier: responded[1] as number,
            responseDigest: this.shared.responseDigest([responded]),
            eapRequest: copy,
          };
    const record = {
      client: conversation.client.name,
      address: conversation.address,
      identity: conversation.identity,
      authenticator: snapshot,
      answered,
      basedOn: conversation.sharedRevision ?? 0,
    };
    void this.shared
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
          this.host.challenge(context, conversation, copy);
        } else if (outcome.kind === 'conflict') {
          if (this.cacheStale(conversation, context)) return;
          if (conversation.sharedRevision === undefined) {
            // A create found the key: our own first write, stored though its acknowledgement was
            // lost (local-fallback since). The bucket's record awaits the round we answered then;
            // the NAS's retry of this round is taken over from it.
            this.traceShared('unacknowledged', conversation);
            this.release(conversation);
            this.dropForRetry(context, 'cluster-state-unacknowledged');
            return;
          }
          // Another server answered this round first: its answer stands, ours is not sent.
          this.traceShared('conflict', conversation);
          this.release(conversation);
          this.dropForRetry(context, 'cluster-state-conflict');
        } else if (conversation.sharedRevision === undefined) {
          // NATS away at a first round: the conversation goes on from memory here (and its owner's forwarding).
          conversation.roundEap = undefined;
          this.traceShared('local-fallback', conversation);
          this.host.challenge(context, conversation, copy);
        } else {
          // From the bucket, which still holds the round before: answering from here would fork it.
          this.unwritten(conversation, context);
          this.release(conversation);
        }
      });
  }

  /**
   * A conversation with a record in the bucket can no longer be saved: a
   * TLS engine started here (EAP-TLS, PEAP, TTLS after their Start), so
   * this server owns the rest of it. The record goes first (compare-and-set,
   * as for a write: of two servers starting an engine for one round, one
   * answers), then the conversation takes a State of this server's own, so
   * the NAS's later rounds name it and are forwarded here. A delete that
   * fails (NATS away) answers nothing, as a failed write does: the record
   * still awaits this round, and the NAS's retry is taken over anew.
   */
  own(conversation: Conversation, context: RequestContext, eap: Uint8Array): void {
    const copy = eap.slice(); // deliberate copy: the send buffer is shared and the delete takes a while
    conversation.current = context; // busy until the bucket answers
    conversation.writing = true;
    void this.shared
      .remove(conversation.state, conversation.sharedRevision as number)
      .then((outcome) => {
        conversation.writing = false;
        conversation.current = undefined;
        if (outcome.kind === 'conflict') {
          if (this.cacheStale(conversation, context)) return;
          this.traceShared('conflict', conversation);
          this.release(conversation);
          this.dropForRetry(context, 'cluster-state-conflict');
          return;
        }
        if (outcome.kind === 'failed') {
          // The bucket still holds the round before: answering from here would fork it (another
          // server may take the NAS's retry over from that record). Nothing sent; the retry decides.
          this.unwritten(conversation, context);
          this.release(conversation);
          return;
        }
        conversation.roundEap = undefined;
        conversation.sharedRevision = undefined;
        this.store.rekey(conversation);
        this.shared.counters.owned++;
        this.traceShared('owned', conversation);
        this.host.challenge(context, conversation, copy);
      });
  }

  /**
   * The Accept or Reject goes after the finished record holding it replaced
   * the conversation's (compare-and-set at the revision this server holds):
   * of two servers finishing one round, one answers; and a retransmit of
   * this request at any server gets the same answer while the record stays.
   */
  finish(
    conversation: Conversation,
    context: RequestContext,
    result: EapSessionResult,
    revision: number,
  ): void {
    const responseDigest = this.shared.responseDigest([
      conversation.responseEap ?? new Uint8Array(0),
    ]);
    const { record, version } = finishedRecord(
      conversation,
      context,
      result,
      responseDigest,
      revision,
    );
    void this.shared.finish(conversation.state, record, version, revision).then((outcome) => {
      if (outcome.kind === 'conflict') {
        if (this.cacheStale(conversation, context)) return;
        this.traceShared('conflict', conversation);
        this.dropForRetry(context, 'cluster-state-conflict');
        return;
      }
      if (outcome.kind === 'failed') {
        // The record still awaits this round: the NAS's retry ends it at whichever server the bucket answers.
        this.unwritten(conversation, context);
        return;
      }
      conversation.sharedRevision = outcome.revision;
      conversation.sharedRound = version.round;
      this.traceShared('finished', conversation);
      this.finished.removeLater(conversation.state, outcome.revision);
      this.host.answer(conversation, context, result);
    });
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
    if (record.finished !== undefined) {
      if (record.answered === undefined) return this.refuseRecord('record');
      // Answered by the core's request handling (answerFinished), which checks the request first.
      this.finished.restore(state, record, record.finished, record.answered);
      return undefined;
    }
    const full = this.store.refusal(client);
    if (full !== undefined) return full;
    // The authenticator's callbacks name the conversation, built once it restored.
    const holder: { conversation?: Conversation } = {};
    const eap = EapAuthenticator.restore(
      this.host.authenticatorOptions(() => holder.conversation as Conversation, 0),
      record.authenticator,
    );
    if (eap === undefined) return this.refuseRecord('snapshot');
    const conversation: Conversation = {
      responseEap: undefined,
      answered: record.answered,
      lastAnswer: undefined,
      key: stateKey(state),
      state: state.slice(), // deliberate copy: the datagram's buffer is not ours
      client,
      // A record's writer may be a server that stored another spelling.
      address: canonicalAddress(record.address),
      identity: record.identity,
      // Begun on another server: how long it has run is not known here.
      startedAtMs: undefined,
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
    this.finished.settle(state);
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
  fromCache(conversation: Conversation, context: RequestContext, eap: Uint8Array): void {
    const shared = this.shared;
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
    this.host.feed(conversation, context, round);
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
    this.shared.counters.cacheStale++;
    this.release(conversation);
    this.fromRecord(context, conversation.state, round);
    return true;
  }

  /** Runs a round from the bucket's record of its conversation (after a stale cache). */
  private fromRecord(context: RequestContext, state: Uint8Array, eap: Uint8Array): void {
    const shared = this.shared;
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
      if (!sameAddress(loaded.record.address, context.from.address)) {
        drop('state-of-other-client');
        return;
      }
      const retransmit = shared.isRetransmit(loaded.record.answered, eap[1] as number, [eap]);
      const finished = loaded.record.finished;
      if (!retransmit && (finished !== undefined || loaded.version.awaitedIdentifier !== eap[1])) {
        drop(this.staleRound(finished !== undefined));
        return;
      }
      if (finished !== undefined) {
        this.finished.send(
          context,
          finished,
          loaded.record.answered?.eapRequest ?? new Uint8Array(0),
        );
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
      if (!this.host.resendAnswered(conversation, context, eap))
        this.host.feed(conversation, context, eap);
      if (conversation.current === undefined && !conversation.writing && !conversation.cached) {
        this.release(conversation);
      }
    });
  }

  /** A retransmit answered again from what the conversation answered last (server-eap.ts): counted and traced. */
  countRetransmit(conversation: Conversation): void {
    this.shared.counters.retransmits++;
    this.traceShared('retransmit', conversation);
  }

  /** A request naming a State whose finished record was restored for it: answered or dropped (true), else false. */
  answerFinished(state: Uint8Array, context: RequestContext, eap: Uint8Array | undefined): boolean {
    return this.finished.answer(state, context, eap, () => this.staleRound(true));
  }

  /**
   * Counts and traces a Response to another Request than the record awaits
   * (or to a conversation that finished: `finished`); the drop reason.
   */
  staleRound(finished = false): string {
    this.shared.counters.staleRounds++;
    this.trace?.emit(RadiusEventDescriptor.conversationShared, {
      action: finished ? 'finished-round' : 'stale-round',
      round: 0,
      revision: 0,
    });
    return finished ? 'cluster-state-finished' : 'cluster-state-stale-round';
  }

  /** A restored conversation's write or delete failed: nothing answered, and the NAS's retry is processed anew. */
  private unwritten(conversation: Conversation, context: RequestContext): void {
    this.shared.counters.restoredWriteFailed++;
    this.traceShared('write-failed', conversation);
    this.replier.abandon(context);
    this.replier.drop(
      'cluster-state-write-failed',
      context.from,
      RadiusCode.AccessRequest,
      context.identifier,
    );
  }

  /**
   * Drops the request in hand and forgets it in the duplicate cache: the
   * bucket's record decides the NAS's retransmit, which must be processed
   * (review16c N6: left in progress, it was dropped as
   * `duplicate-in-progress` for the whole duplicate window).
   */
  private dropForRetry(context: RequestContext, reason: string): void {
    this.replier.abandon(context);
    this.replier.drop(reason, context.from, RadiusCode.AccessRequest, context.identifier);
  }

  /** Keeps a conversation whose record is stored between rounds; releases what the bound pushes out. */
  private keepCached(conversation: Conversation): void {
    conversation.roundEap = undefined;
    for (const evicted of this.store.cache(conversation)) evicted.eap.release();
  }

  /** Counts and traces a refused bucket record; the drop reason for it. */
  refuseRecord(reason: string): string {
    this.shared.counters.refused++;
    this.trace?.emit(RadiusEventDescriptor.conversationRefused, { reason });
    return `cluster-state-${reason}`;
  }

  /** Forgets a conversation whose state lives in the bucket now: nothing sent, no result. */
  release(conversation: Conversation): void {
    this.store.forget(conversation);
    conversation.eap.release();
  }

  private traceShared(action: string, conversation: Conversation): void {
    this.trace?.emit(RadiusEventDescriptor.conversationShared, {
      action,
      round: conversation.sharedRound,
      revision: conversation.sharedRevision ?? 0,
    });
  }
}
