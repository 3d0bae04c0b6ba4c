/**
 * EAP conversations kept in a key-value bucket shared by the servers of a
 * cluster (netrx/node: a JetStream KV bucket whose TTL is the session
 * timeout), so that any server can answer the next round of a conversation
 * whose method's state is small (Identity, MD5, MSCHAPv2): it reads the
 * record, opens it (conversation-seal.ts), restores the authenticator,
 * answers, and writes the new state back with the revision it read. The
 * bucket takes a write only at that revision (compare-and-set), so of two
 * servers answering the same round one wins and the other sends nothing.
 * The record is sealed before it leaves the process: it can hold key
 * material (MSCHAPv2's MPPE keys between its Success Request and the
 * Accept).
 *
 * The core knows only `ConversationKv`; every call resolves, never
 * rejects: a failure is an outcome the server counts and, for a new
 * conversation, answers from local state (NATS away).
 */
import { toHex } from '../bytes/index.js';
import { ByteWriter, SavedStateReader } from '../eap/methods/saved-state.js';
import type { Crypto } from '../runtime/index.js';
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

export type KvWrite =
  | { readonly kind: 'stored'; readonly revision: number }
  /** The key was not at the expected revision (or, for a create, existed). */
  | { readonly kind: 'conflict' }
  | { readonly kind: 'failed'; readonly reason: string };

/** The bucket, as the core sees it. Keys are `[0-9a-f]+`. Never rejects. */
export interface ConversationKv {
  get(key: string): Promise<KvRead>;
  /** Writes a key that must not exist yet. */
  create(key: string, value: Uint8Array): Promise<KvWrite>;
  /** Writes a key that must be at `revision`. */
  update(key: string, value: Uint8Array, revision: number): Promise<KvWrite>;
  /** Deletes a key that must be at `revision`. */
  delete(key: string, revision: number): Promise<KvWrite>;
}

/** What a conversation is outside its process: who began it, and its authenticator's snapshot. */
export interface ConversationRecord {
  /** The name of the client entry the NAS matched. */
  readonly client: string;
  /** The NAS address that began it: a State is honoured from that NAS only. */
  readonly address: string;
  /** The peer's Response/Identity text (a later User-Name must equal it). */
  readonly identity: Uint8Array | undefined;
  /** `EapAuthenticator.snapshot()`. */
  readonly authenticator: Uint8Array;
}

export type LoadOutcome =
  | {
      readonly kind: 'found';
      readonly record: ConversationRecord;
      readonly version: SealedVersion;
      readonly revision: number;
    }
  | { readonly kind: 'absent' }
  | { readonly kind: 'refused'; readonly reason: OpenRefusal | 'record' }
  | { readonly kind: 'failed'; readonly reason: string };

export interface SharedConversationStats {
  /** Records written (first rounds and later ones). */
  stored: number;
  /** Records read and restored into a local conversation. */
  loaded: number;
  /** Writes or deletes refused because another server had written that round first. */
  conflicts: number;
  /** Writes the bucket did not take (NATS away): the conversation stayed local. */
  writeFailed: number;
  /** Reads that failed (NATS away). */
  readFailed: number;
  /** Records that did not open or decode (tampered, wrong key, other conversation, garbage). */
  refused: number;
  /** Records deleted at Accept or Reject. */
  deleted: number;
  /** Rounds answered from the conversation cached here (no read). */
  cacheHits: number;
  /** Conversations taken over from the bucket by starting their TLS engine here (a State of this server's own). */
  owned: number;
  /** Rounds whose cached state was stale (another server had moved on): run again from the bucket. */
  cacheStale: number;
}

const RECORD_FORMAT = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class SharedConversations {
  private readonly kv: ConversationKv;
  private readonly aead: ConversationAead;
  private readonly crypto: Crypto;
  readonly counters: SharedConversationStats = {
    stored: 0,
    loaded: 0,
    conflicts: 0,
    writeFailed: 0,
    readFailed: 0,
    refused: 0,
    deleted: 0,
    cacheHits: 0,
    cacheStale: 0,
    owned: 0,
  };

  constructor(options: {
    readonly kv: ConversationKv;
    readonly aead: ConversationAead;
    readonly crypto: Crypto;
  }) {
    this.kv = options.kv;
    this.aead = options.aead;
    this.crypto = options.crypto;
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
    const sealed = sealConversation(this.aead, this.crypto, state, version, encodeRecord(record));
    const key = conversationKey(state);
    const outcome =
      revision === undefined
        ? await this.kv.create(key, sealed)
        : await this.kv.update(key, sealed, revision);
    this.count(outcome, 'stored');
    return outcome;
  }

  async load(state: Uint8Array): Promise<LoadOutcome> {
    const read = await this.kv.get(conversationKey(state));
    if (read.kind === 'absent') return read;
    if (read.kind === 'failed') {
      this.counters.readFailed++;
      return read;
    }
    const opened = openConversation(this.aead, state, read.value);
    if (!opened.ok) {
      this.counters.refused++;
      return { kind: 'refused', reason: opened.reason };
    }
    const record = decodeRecord(opened.plaintext);
    if (record === undefined) {
      this.counters.refused++;
      return { kind: 'refused', reason: 'record' };
    }
    this.counters.loaded++;
    return { kind: 'found', record, version: opened.version, revision: read.revision };
  }

  /** Deletes a finished conversation's record, at the revision this server read or wrote. */
  async remove(state: Uint8Array, revision: number): Promise<KvWrite> {
    const outcome = await this.kv.delete(conversationKey(state), revision);
    this.count(outcome, 'deleted');
    return outcome;
  }

  private count(outcome: KvWrite, success: 'stored' | 'deleted'): void {
    if (outcome.kind === 'stored') this.counters[success]++;
    else if (outcome.kind === 'conflict') this.counters.conflicts++;
    else this.counters.writeFailed++;
  }
}

/** The bucket key of a conversation: its State in hex (KV keys allow no arbitrary octets). */
export function conversationKey(state: Uint8Array): string {
  return toHex(state);
}

export function encodeRecord(record: ConversationRecord): Uint8Array {
  const client = encoder.encode(record.client);
  const address = encoder.encode(record.address);
  if (client.length > 255 || address.length > 255) throw new RangeError('record name too long');
  const writer = ByteWriter.growable(64 + record.authenticator.length);
  writer.u8(RECORD_FORMAT).u8(client.length).bytes(client).u8(address.length).bytes(address);
  if (record.identity === undefined) writer.u16(0xffff);
  else writer.u16(record.identity.length).bytes(record.identity);
  writer.bytes(record.authenticator);
  return writer.finish();
}

/** The record inside a sealed value, or undefined when its framing is wrong. Never throws. */
export function decodeRecord(bytes: Uint8Array): ConversationRecord | undefined {
  const reader = new SavedStateReader(bytes);
  if (reader.u8() !== RECORD_FORMAT) return undefined;
  const client = reader.shortBytes();
  const address = reader.shortBytes();
  const identityLength = reader.u16();
  const identity = identityLength === 0xffff ? undefined : reader.bytes(identityLength);
  if (reader.failed) return undefined;
  const at = bytes.length - reader.remaining;
  try {
    return {
      client: decoder.decode(client),
      address: decoder.decode(address),
      identity,
      // Deliberate copy: the record outlives the buffer the bucket handed us.
      authenticator: bytes.slice(at),
    };
  } catch {
    return undefined;
  }
}
