/**
 * The EAP conversations in progress, keyed by the State attribute the
 * server chose, with the global and per-client caps and the State values
 * themselves: `prefix ‖ 16 random octets`. A server running as one of
 * several workers is given a prefix naming it (see worker-route.ts), so a
 * receiving thread can send every later round of a conversation to the
 * worker that owns it; a lone server has an empty prefix.
 *
 * With a cluster's bucket, a conversation whose record this server wrote
 * stays here **cached** between its rounds (with the record's revision), so
 * the next round that reaches this server needs no read: the write of that
 * round, a compare-and-set at the cached revision, is the check that no
 * other server answered meanwhile. The cache is bounded apart from the
 * conversations in progress (`maxCached`, least recently used first out:
 * dropping an entry is always safe, the bucket holds the truth), and
 * cached entries do not count against `maxSessions` or a client's limit.
 */
import type { Crypto } from '../runtime/index.js';
import type { RadiusClientEntry } from './clients.js';
import { stateKey, type Conversation } from './server-context.js';

const STATE_RANDOM_OCTETS = 16;

export interface ConversationStoreOptions {
  readonly crypto: Crypto;
  readonly maxSessions: number;
  readonly maxSessionsPerClient: number;
  /** Octets every State this store hands out begins with; default none. */
  readonly statePrefix?: Uint8Array;
  /** Conversations kept between rounds when their state is in a cluster's bucket; default 4096. */
  readonly maxCached?: number;
}

export const DEFAULT_MAX_CACHED = 4096;

export class ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  /** Cached conversations (see above), oldest use first: a Map keeps insertion order. */
  private readonly cached = new Map<string, Conversation>();
  private readonly maxCached: number;
  /** Conversations in progress per client entry (bounded by the client table). */
  private readonly perClient = new Map<RadiusClientEntry, number>();
  private readonly options: ConversationStoreOptions;
  private readonly prefix: Uint8Array;

  constructor(options: ConversationStoreOptions) {
    this.options = options;
    // Deliberate copy: the caller's array is not ours to keep.
    this.prefix = options.statePrefix?.slice() ?? new Uint8Array(0);
    this.maxCached = options.maxCached ?? DEFAULT_MAX_CACHED;
    if (!Number.isInteger(this.maxCached) || this.maxCached < 0) {
      throw new RangeError(`maxCached must be a whole number: got ${this.maxCached}`);
    }
  }

  /** Conversations cached between rounds (not in `size`). */
  get cachedSize(): number {
    return this.cached.size;
  }

  get size(): number {
    return this.conversations.size;
  }

  /** The conversation a State value names, if it is in progress or cached. */
  get(state: Uint8Array): Conversation | undefined {
    const key = stateKey(state);
    return this.conversations.get(key) ?? this.cached.get(key);
  }

  /** Why a new conversation for `client` may not start now, or undefined when it may. */
  refusal(client: RadiusClientEntry): 'sessions-full' | 'client-sessions-full' | undefined {
    if (this.conversations.size >= this.options.maxSessions) return 'sessions-full';
    const limit = client.maxSessions ?? this.options.maxSessionsPerClient;
    if ((this.perClient.get(client) ?? 0) >= limit) return 'client-sessions-full';
    return undefined;
  }

  /** A fresh State value: the prefix, then random octets. */
  newState(): Uint8Array {
    const random = this.options.crypto.randomBytes(STATE_RANDOM_OCTETS);
    if (this.prefix.length === 0) return random;
    const state = new Uint8Array(this.prefix.length + STATE_RANDOM_OCTETS);
    state.set(this.prefix);
    state.set(random, this.prefix.length);
    return state;
  }

  add(conversation: Conversation): void {
    this.conversations.set(conversation.key, conversation);
    this.perClient.set(conversation.client, (this.perClient.get(conversation.client) ?? 0) + 1);
  }

  /**
   * Moves a conversation in progress into the cache; returns the entries
   * pushed out by the bound (the caller releases them). With `maxCached` 0
   * the conversation itself comes back.
   */
  cache(conversation: Conversation): Conversation[] {
    this.forget(conversation);
    conversation.cached = true;
    this.cached.set(conversation.key, conversation);
    const evicted: Conversation[] = [];
    for (const oldest of this.cached.values()) {
      if (this.cached.size <= this.maxCached) break;
      this.cached.delete(oldest.key);
      oldest.cached = false;
      evicted.push(oldest);
    }
    return evicted;
  }

  /** Gives a conversation in progress a fresh State of this store (its table key follows). */
  rekey(conversation: Conversation): void {
    this.forget(conversation);
    conversation.state = this.newState();
    conversation.key = stateKey(conversation.state);
    this.add(conversation);
  }

  /** A cached conversation a round reached: in progress again (counted as such). */
  activate(conversation: Conversation): void {
    if (!this.cached.delete(conversation.key)) return;
    conversation.cached = false;
    this.add(conversation);
  }

  /** Removes a conversation from the table (or the cache) and from its client's count (once). */
  forget(conversation: Conversation): void {
    if (this.cached.delete(conversation.key)) {
      conversation.cached = false;
      return;
    }
    if (!this.conversations.delete(conversation.key)) return;
    const left = (this.perClient.get(conversation.client) ?? 1) - 1;
    if (left > 0) this.perClient.set(conversation.client, left);
    else this.perClient.delete(conversation.client);
  }
}
