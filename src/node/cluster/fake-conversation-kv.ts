/**
 * An in-memory stand-in for the JetStream KV bucket of shared EAP
 * conversations, for tests: revisions are one counter for the bucket (as a
 * stream's sequence), writes and deletes are compare-and-set, each key keeps
 * its last `history` entries (values and delete markers, as the stream's
 * `max_msgs_per_subject`), every entry expires `ttlMs` after it was written
 * on the injected clock (the bucket's TTL, a stream's max age), and answers
 * come a microtask later, as over a network. Faults: `down` fails every
 * call (NATS away); `tamper` rewrites values as they are read; `forcePut`
 * and `purgeKey` are what someone with write or admin access to the bucket
 * can do.
 */
import type { ConversationKv, KvLineage, KvRead, KvWrite } from '../../radius/index.js';
import type { Clock } from '../../runtime/index.js';

interface Entry {
  /** Undefined for a delete marker. */
  readonly value: Uint8Array | undefined;
  readonly revision: number;
  readonly expiresAt: number;
}

/** The history the real bucket is opened with (radius-kv.ts). */
export const FAKE_KV_HISTORY = 2;

export class FakeConversationKv implements ConversationKv {
  /** Each key's retained entries, oldest first. */
  private readonly entries = new Map<string, Entry[]>();
  private readonly clock: Clock;
  private readonly ttlMs: number;
  /** Entries kept per key: 2 as the real bucket; 1 for a bucket whose history cannot witness a put-back. */
  readonly history: number;
  private sequence = 0;
  down = false;
  tamper: (value: Uint8Array) => Uint8Array = (value) => value;
  readonly calls = { get: 0, create: 0, update: 0, delete: 0, revisionAfter: 0 };

  constructor(clock: Clock, ttlMs: number, history = FAKE_KV_HISTORY) {
    if (!Number.isInteger(history) || history < 1) throw new RangeError('history must be >= 1');
    this.clock = clock;
    this.ttlMs = ttlMs;
    this.history = history;
  }

  /** Keys holding a value now (expired and deleted ones are gone). */
  get size(): number {
    this.expire();
    let live = 0;
    for (const entries of this.entries.values()) if (entries.at(-1)?.value !== undefined) live++;
    return live;
  }

  /** A key's current raw value (sealed), for tests that put it back or look at it. */
  raw(key: string): Uint8Array | undefined {
    this.expire();
    return this.entries.get(key)?.at(-1)?.value;
  }

  /** Writes a value bypassing the checks: what someone with write access to the bucket does. */
  forcePut(key: string, value: Uint8Array): void {
    this.append(key, value.slice());
  }

  /** Removes every entry of a key, markers included: a stream purge by subject (admin access). */
  purgeKey(key: string): void {
    this.entries.delete(key);
  }

  get(key: string): Promise<KvRead> {
    this.calls.get++;
    return this.later((): KvRead => {
      const value = this.entries.get(key)?.at(-1);
      if (value?.value === undefined) return { kind: 'absent' };
      return { kind: 'found', value: this.tamper(value.value.slice()), revision: value.revision };
    });
  }

  create(key: string, value: Uint8Array): Promise<KvWrite> {
    this.calls.create++;
    return this.later((): KvWrite => {
      // As @nats-io/kv: a key whose last entry is a delete marker may be created again.
      if (this.entries.get(key)?.at(-1)?.value !== undefined) return { kind: 'conflict' };
      return this.store(key, value);
    });
  }

  update(key: string, value: Uint8Array, revision: number): Promise<KvWrite> {
    this.calls.update++;
    return this.later((): KvWrite => {
      if (this.entries.get(key)?.at(-1)?.revision !== revision) return { kind: 'conflict' };
      return this.store(key, value);
    });
  }

  delete(key: string, revision: number): Promise<KvWrite> {
    this.calls.delete++;
    return this.later((): KvWrite => {
      const last = this.entries.get(key)?.at(-1);
      if (last?.value === undefined || last.revision !== revision) return { kind: 'conflict' };
      return { kind: 'stored', revision: this.append(key, undefined) };
    });
  }

  revisionAfter(key: string, revision: number): Promise<KvLineage> {
    this.calls.revisionAfter++;
    return this.later((): KvLineage => {
      const next = this.entries.get(key)?.find((entry) => entry.revision > revision);
      return next === undefined ? { kind: 'absent' } : { kind: 'found', revision: next.revision };
    });
  }

  private store(key: string, value: Uint8Array): KvWrite {
    // Deliberate copy: the bucket keeps its own bytes.
    return { kind: 'stored', revision: this.append(key, value.slice()) };
  }

  private append(key: string, value: Uint8Array | undefined): number {
    const revision = ++this.sequence;
    const entries = this.entries.get(key) ?? [];
    entries.push({ value, revision, expiresAt: this.clock.now() + this.ttlMs });
    // The oldest go past the history, as a stream's per-subject limit discards them.
    if (entries.length > this.history) entries.splice(0, entries.length - this.history);
    this.entries.set(key, entries);
    return revision;
  }

  private later<T extends KvRead | KvWrite | KvLineage>(
    answer: () => T,
  ): Promise<T | { kind: 'failed'; reason: string }> {
    return new Promise((resolve) => {
      queueMicrotask(() => {
        if (this.down) {
          resolve({ kind: 'failed', reason: 'disconnected' });
          return;
        }
        this.expire();
        resolve(answer());
      });
    });
  }

  private expire(): void {
    const now = this.clock.now();
    for (const [key, entries] of this.entries) {
      const kept = entries.filter((entry) => entry.expiresAt > now);
      if (kept.length === 0) this.entries.delete(key);
      else if (kept.length !== entries.length) this.entries.set(key, kept);
    }
  }
}
