/**
 * The EAP conversations in progress, keyed by the State attribute the
 * server chose, with the global and per-client caps and the State values
 * themselves: `prefix ‖ 16 random octets`. A server running as one of
 * several workers is given a prefix naming it (see worker-route.ts), so a
 * receiving thread can send every later round of a conversation to the
 * worker that owns it; a lone server has an empty prefix.
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
}

export class ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  /** Conversations in progress per client entry (bounded by the client table). */
  private readonly perClient = new Map<RadiusClientEntry, number>();
  private readonly options: ConversationStoreOptions;
  private readonly prefix: Uint8Array;

  constructor(options: ConversationStoreOptions) {
    this.options = options;
    // Deliberate copy: the caller's array is not ours to keep.
    this.prefix = options.statePrefix?.slice() ?? new Uint8Array(0);
  }

  get size(): number {
    return this.conversations.size;
  }

  /** The conversation a State value names, if it is in progress. */
  get(state: Uint8Array): Conversation | undefined {
    return this.conversations.get(stateKey(state));
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

  /** Removes a conversation from the table and from its client's count (once). */
  forget(conversation: Conversation): void {
    if (!this.conversations.delete(conversation.key)) return;
    const left = (this.perClient.get(conversation.client) ?? 1) - 1;
    if (left > 0) this.perClient.set(conversation.client, left);
    else this.perClient.delete(conversation.client);
  }
}
