/**
 * The answers of conversations that ended here, kept for the duplicate
 * window so that a NAS that lost the Accept or Reject and sends the last
 * Access-Request again from another socket (a new source port, a new
 * RADIUS Identifier: RFC 5080's duplicate key misses) gets the same
 * answer instead of a Reject for a State no conversation holds any more.
 * The rule is the cluster's (conversation-record.ts): the same State, the
 * same EAP Identifier and a byte-identical EAP Response, from the NAS
 * address and client entry the conversation began with. The answer is
 * signed afresh for the new request (MPPE keys salted for its Request
 * Authenticator).
 *
 * Bounded: at most `max` entries, the oldest going first; an entry lives
 * `windowMs` (checked lazily on the clock, no timers). Each holds the
 * session result, MPPE keys included, as long as the duplicate cache holds
 * the Accept that carries them.
 */
import type { EapSessionResult } from '../eap/index.js';
import type { RadiusClientEntry } from './clients.js';

/** A conversation's last answer. */
export interface EndedAnswer {
  readonly client: RadiusClientEntry;
  readonly address: string;
  /** The last EAP Response (the copy the conversation fed) and the Success/Failure that answered it. */
  readonly response: Uint8Array;
  readonly eap: Uint8Array;
  readonly outcome: 'accept' | 'reject';
  readonly result: EapSessionResult;
}

interface Entry {
  readonly at: number;
  readonly answer: EndedAnswer;
}

export class EndedConversations {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  /** Keeps the answer of the conversation whose State key is `key`. */
  remember(key: string, answer: EndedAnswer, now: number): void {
    this.sweep(now);
    this.entries.delete(key);
    while (this.entries.size >= this.max) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, { at: now, answer });
  }

  /** The answer kept for State key `key`, if still within the window. */
  lookup(key: string, now: number): EndedAnswer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.at > this.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.answer;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries are in insertion order, so expired ones are at the front. */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.at <= this.windowMs) return;
      this.entries.delete(key);
    }
  }
}
