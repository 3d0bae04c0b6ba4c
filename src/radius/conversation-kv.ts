/**
 * EAP conversations kept in a key-value bucket shared by the servers of a
 * cluster (netrx/node: a JetStream KV bucket whose TTL is the session
 * timeout), so that any server can answer the next round of a conversation
 * whose method's state is small (Identity, MD5, MSCHAPv2): it reads the
 * record, opens it (conversation-seal.ts), restores the authenticator,
 * answers, and writes the new state back with the revision it read. The
 * last round writes a finished record (the answer, conversation-record.ts)
 * that its writer deletes `finishedTtlMs` later. The
 * bucket takes a write only at that revision (compare-and-set), so of two
 * servers answering the same round one wins and the other sends nothing.
 * The record is sealed before it leaves the process: it can hold key
 * material (MSCHAPv2's MPPE keys between its Success Request and the
 * Accept).
 *
 * The core knows only `ConversationKv`; every call resolves, never
 * rejects: a failure is an outcome the server counts and, for a new
 * conversation, answers from local state (NATS away); a conversation
 * restored from the bucket answers nothing then (the bucket still decides).
 *
 * Rewinds (records put back in the bucket by someone who can write it:
 * an operator, a restored backup of one key, an attacker without the
 * key), two checks:
 *
 * - The bucket's own history (review16 R4): the bucket keeps the last two
 *   entries of every key (`history: 2`), and every record seals `basedOn`,
 *   the revision its writer's compare-and-set expected. An honest record
 *   is the first entry of its key after `basedOn`; a record put back is
 *   stored at a new revision while the entry it replaced (written after
 *   the put-back record's `basedOn`, since revisions only grow) is still
 *   in the history, so the first entry after `basedOn` is not the one read:
 *   refused (`rewound`), at every server, one extra read per restore. What
 *   this cannot see (the history itself rewound: a whole-bucket restore, a
 *   stream purge of the key) is in docs/cluster.md.
 * - What each server remembers, for the last `maxRoundsRemembered`
 *   conversations it read or wrote: the newest round and revision it saw.
 *   A record older than that (a smaller round, or a later revision without
 *   a later round) is refused, and so is the round after the one
 *   remembered when its `basedOn` is not the revision remembered (a fork).
 *   This still holds when the history does not.
 */
import { toHex } from '../bytes/index.js';
import type { Crypto } from '../runtime/index.js';
import {
  decodeRecord,
  encodeRecord,
  isRetransmitOf,
  type AnsweredRound,
  type ConversationRecord,
} from './conversation-record.js';
import {
  openConversation,
  sealConversation,
  type ConversationAead,
  type OpenRefusal,
  type SealedVersion,
} from './conversation-seal.js';

export type KvRead =
  | { readonly kind: 'found'; readonly value: Uint8Array; readonly revision: number }
  | { readonly kind: 'absent' }
  | { readonly kind: 'failed'; readonly reason: string };

/** Where a key's history goes on after a revision. */
export type KvLineage =
  /** The revision of the key's first entry after the one asked about (a value, a delete or a purge). */
  | { readonly kind: 'found'; readonly revision: number }
  /** The bucket holds no entry of the key after it. */
  | { readonly kind: 'absent' }
  | { readonly kind: 'failed'; readonly reason: string };

export type KvWrite =
  | { readonly kind: 'stored'; readonly revision: number }
  /** The key was not at the expected revision (or, for a create, existed). */
  | { readonly kind: 'conflict' }
  | {
      readonly kind: 'failed';
      readonly reason: string;
      /**
       * True when the write never left the process (NATS away): it cannot
       * have been stored, so no confirming read follows (audit16 A1).
       */
      readonly notSent?: boolean;
    };

/** The bucket, as the core sees it. Keys are `[0-9a-f]+`. Never rejects. */
export interface ConversationKv {
  get(key: string): Promise<KvRead>;
  /** Writes a key that must not exist yet. */
  create(key: string, value: Uint8Array): Promise<KvWrite>;
  /** Writes a key that must be at `revision`. */
  update(key: string, value: Uint8Array, revision: number): Promise<KvWrite>;
  /** Deletes a key that must be at `revision`. */
  delete(key: string, revision: number): Promise<KvWrite>;
  /**
   * The first entry of `key` the bucket still holds after `revision` (0:
   * its oldest). The bucket keeps at least the last two entries of a key.
   */
  revisionAfter(key: string, revision: number): Promise<KvLineage>;
}

export type LoadOutcome =
  | {
      readonly kind: 'found';
      readonly record: ConversationRecord;
      readonly version: SealedVersion;
      readonly revision: number;
    }
  | { readonly kind: 'absent' }
  | { readonly kind: 'refused'; readonly reason: OpenRefusal | 'record' | 'rewound' }
  | { readonly kind: 'failed'; readonly reason: string };

export interface SharedConversationStats {
  /** Records written (first rounds and later ones). */
  stored: number;
  /** Records read and restored into a local conversation. */
  loaded: number;
  /** Writes or deletes refused because another server had written that round first. */
  conflicts: number;
  /**
   * Writes whose acknowledgement was lost (a timeout, the NATS node gone
   * after storing it) but which a read found stored, byte for byte: taken
   * as stored at that revision.
   */
  unacknowledgedStored: number;
  /**
   * Creates refused because the key existed: this server's own earlier
   * write of that conversation, whose acknowledgement and confirming read
   * were both lost (a State is this server's random value, so no other
   * server writes it first). Not a conflict between servers.
   */
  unacknowledgedConflicts: number;
  /** Writes the bucket did not take (NATS away): the conversation stayed local. */
  writeFailed: number;
  /** Reads that failed (NATS away). */
  readFailed: number;
  /** Records that did not open or decode (tampered, wrong key, other conversation, garbage), or were rewound. */
  refused: number;
  /** Rounds whose Response answers another Request than the record awaits (a NAS failing over late, a peer ahead): not answered. */
  staleRounds: number;
  /** Retransmits of the round a record answered, answered again from the record (nothing written). */
  retransmits: number;
  /** Conversations from the bucket whose write or delete failed: answered nothing, so they do not fork from the bucket. */
  restoredWriteFailed: number;
  /** Records deleted: a finished one after `finishedTtlMs`, or at a TLS takeover. */
  deleted: number;
  /** Finished records written at Accept or Reject (the answer kept for a retransmit at another server). */
  finished: number;
  /** Retransmits of a last round answered from its finished record (nothing written). */
  finishedAnswered: number;
  /** Finished records left to the bucket's TTL: `maxRoundsRemembered` removals were already pending here. */
  finishedLeftToBucket: number;
  /** Rounds answered from the conversation cached here (no read). */
  cacheHits: number;
  /** Conversations taken over from the bucket by starting their TLS engine here (a State of this server's own). */
  owned: number;
  /** Rounds whose cached state was stale (another server had moved on): run again from the bucket. */
  cacheStale: number;
}

/** Conversations whose newest round a server remembers, by default. */
export const DEFAULT_MAX_ROUNDS_REMEMBERED = 4096;

/**
 * How long a finished record stays, by default: a NAS's retransmissions of
 * its last Access-Request to one server and its failover to another fit
 * well within it. The bucket's TTL (the session timeout) removes it anyway
 * if its writer dies first.
 */
export const DEFAULT_FINISHED_TTL_MS = 15_000;

interface SeenRound {
  readonly round: number;
  readonly revision: number;
}

export class SharedConversations {
  private readonly kv: ConversationKv;
  private readonly aead: ConversationAead;
  /** The keys a record may be opened with: the current one, then the previous one during a rotation. */
  private readonly openKeys: readonly ConversationAead[];
  private readonly crypto: Crypto;
  readonly maxRoundsRemembered: number;
  /** How long this server keeps a finished record it wrote before deleting it. */
  readonly finishedTtlMs: number;
  /** Newest round and revision seen here, by bucket key; least recently used first. */
  private readonly seen = new Map<string, SeenRound>();
  readonly counters: SharedConversationStats = {
    stored: 0,
    loaded: 0,
    conflicts: 0,
    unacknowledgedStored: 0,
    unacknowledgedConflicts: 0,
    writeFailed: 0,
    readFailed: 0,
    refused: 0,
    staleRounds: 0,
    retransmits: 0,
    restoredWriteFailed: 0,
    deleted: 0,
    finished: 0,
    finishedAnswered: 0,
    finishedLeftToBucket: 0,
    cacheHits: 0,
    cacheStale: 0,
    owned: 0,
  };

  constructor(options: {
    readonly kv: ConversationKv;
    /** The current key: every record is sealed with it. */
    readonly aead: ConversationAead;
    /** During a key rotation, the key the other servers may still seal with: records open with either. */
    readonly previousAead?: ConversationAead;
    readonly crypto: Crypto;
    /** Conversations whose newest round this server remembers to refuse rewinds; default 4096. */
    readonly maxRoundsRemembered?: number;
    /** How long a finished record (the last round's answer) stays before its writer deletes it; default 15 s (keep it below the bucket TTL). */
    readonly finishedTtlMs?: number;
  }) {
    this.kv = options.kv;
    this.aead = options.aead;
    this.openKeys =
      options.previousAead === undefined ? [options.aead] : [options.aead, options.previousAead];
    this.crypto = options.crypto;
    const max = options.maxRoundsRemembered ?? DEFAULT_MAX_ROUNDS_REMEMBERED;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError('maxRoundsRemembered must be a positive integer');
    }
    this.maxRoundsRemembered = max;
    const ttl = options.finishedTtlMs ?? DEFAULT_FINISHED_TTL_MS;
    if (!Number.isInteger(ttl) || ttl < 1) {
      throw new RangeError('finishedTtlMs must be a positive integer');
    }
    this.finishedTtlMs = ttl;
  }

  stats(): SharedConversationStats {
    return { ...this.counters };
  }

  /** Seals and writes a conversation's record: a create without `revision`, else a compare-and-set. */
  async save(
    state: Uint8Array,
    record: ConversationRecord,
    version: SealedVersion,
    revision: number | undefined,
  ): Promise<KvWrite> {
    return this.write(state, record, version, revision, 'stored');
  }

  /** Writes a conversation's finished record over the one at `revision` (compare-and-set). */
  async finish(
    state: Uint8Array,
    record: ConversationRecord,
    version: SealedVersion,
    revision: number,
  ): Promise<KvWrite> {
    return this.write(state, record, version, revision, 'finished');
  }

  private async write(
    state: Uint8Array,
    record: ConversationRecord,
    version: SealedVersion,
    revision: number | undefined,
    counter: 'stored' | 'finished',
  ): Promise<KvWrite> {
    const sealed = sealConversation(this.aead, this.crypto, state, version, encodeRecord(record));
    const key = conversationKey(state);
    const written =
      revision === undefined
        ? await this.kv.create(key, sealed)
        : await this.kv.update(key, sealed, revision);
    // A write never sent was not stored: no read to confirm it (it would wait on NATS too).
    const outcome =
      written.kind === 'failed' && written.notSent !== true
        ? await this.confirm(key, sealed, written)
        : written;
    if (outcome.kind === 'conflict' && revision === undefined) {
      this.counters.unacknowledgedConflicts++;
    } else {
      this.count(outcome, counter);
    }
    if (outcome.kind === 'stored') this.remember(key, version.round, outcome.revision);
    return outcome;
  }

  /**
   * A write that failed may have been stored (review16c N6: its
   * acknowledgement lost). A read finding the very bytes written (sealed
   * with a fresh nonce: no other write gives them) means stored, at the
   * revision read; anything else leaves the write failed.
   */
  private async confirm(key: string, sealed: Uint8Array, failed: KvWrite): Promise<KvWrite> {
    const read = await this.kv.get(key);
    if (read.kind !== 'found' || !sameBytes(read.value, sealed)) return failed;
    this.counters.unacknowledgedStored++;
    return { kind: 'stored', revision: read.revision };
  }

  /** Reads and opens a conversation's record. A refusal is counted by whoever drops for it (`refuseRecord`), once. */
  async load(state: Uint8Array): Promise<LoadOutcome> {
    const key = conversationKey(state);
    const first = await this.read(key, state);
    // Replaced between the two reads (another server answered meanwhile): once more, at the newest.
    const loaded = first.kind === 'superseded' ? await this.read(key, state) : first;
    if (loaded.kind === 'superseded') {
      this.counters.readFailed++;
      return { kind: 'failed', reason: 'the record changed while it was read' };
    }
    if (loaded.kind !== 'found') return loaded;
    this.remember(key, loaded.version.round, loaded.revision);
    this.counters.loaded++;
    return loaded;
  }

  private async read(
    key: string,
    state: Uint8Array,
  ): Promise<LoadOutcome | { readonly kind: 'superseded' }> {
    const read = await this.kv.get(key);
    if (read.kind === 'absent') return read;
    if (read.kind === 'failed') {
      this.counters.readFailed++;
      return read;
    }
    const opened = openConversation(this.openKeys, state, read.value);
    if (!opened.ok) {
      return { kind: 'refused', reason: opened.reason };
    }
    const record = decodeRecord(opened.plaintext);
    if (record === undefined) {
      return { kind: 'refused', reason: 'record' };
    }
    const seen = this.seen.get(key);
    const round = opened.version.round;
    if (
      seen !== undefined &&
      (round < seen.round ||
        (read.revision > seen.revision && round <= seen.round) ||
        (round === seen.round + 1 && record.basedOn !== seen.revision))
    ) {
      return { kind: 'refused', reason: 'rewound' };
    }
    // The very revision this server wrote or checked already: nothing new to check.
    if (seen?.revision !== read.revision) {
      const next = await this.kv.revisionAfter(key, record.basedOn);
      if (next.kind === 'failed') {
        this.counters.readFailed++;
        return next;
      }
      // Gone since the read (expired, or finished and deleted): as if never read.
      if (next.kind === 'absent') return next;
      // An entry between basedOn and this one: this record was put back over it.
      if (next.revision < read.revision) return { kind: 'refused', reason: 'rewound' };
      // This one is out of the history already: replaced twice since the read.
      if (next.revision > read.revision) return { kind: 'superseded' };
    }
    return { kind: 'found', record, version: opened.version, revision: read.revision };
  }

  /** SHA-256 of an EAP Response, given as the values of its EAP-Message attributes in order. */
  responseDigest(parts: readonly Uint8Array[]): Uint8Array {
    return this.crypto.digest('sha256', ...parts);
  }

  /** True when this EAP Response is the one `answered` answered, sent again (conversation-record.ts). */
  isRetransmit(
    answered: AnsweredRound | undefined,
    eapIdentifier: number,
    parts: readonly Uint8Array[],
  ): boolean {
    if (answered === undefined || answered.eapIdentifier !== eapIdentifier) return false;
    return isRetransmitOf(answered, { eapIdentifier, responseDigest: this.responseDigest(parts) });
  }

  /** Deletes a conversation's record, at the revision this server read or wrote. */
  async remove(state: Uint8Array, revision: number): Promise<KvWrite> {
    const outcome = await this.kv.delete(conversationKey(state), revision);
    this.count(outcome, 'deleted');
    return outcome;
  }

  /** Keeps the newest round seen of a conversation; the least recently seen go past the bound. */
  private remember(key: string, round: number, revision: number): void {
    const seen = this.seen.get(key);
    this.seen.delete(key);
    const newer = seen === undefined || revision >= seen.revision;
    this.seen.set(key, newer ? { round, revision } : seen);
    while (this.seen.size > this.maxRoundsRemembered) {
      this.seen.delete(this.seen.keys().next().value as string);
    }
  }

  private count(outcome: KvWrite, success: 'stored' | 'deleted' | 'finished'): void {
    if (outcome.kind === 'stored') this.counters[success]++;
    else if (outcome.kind === 'conflict') this.counters.conflicts++;
    else this.counters.writeFailed++;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((octet, i) => octet === b[i]);
}

/** The bucket key of a conversation: its State in hex (KV keys allow no arbitrary octets). */
export function conversationKey(state: Uint8Array): string {
  return toHex(state);
}
