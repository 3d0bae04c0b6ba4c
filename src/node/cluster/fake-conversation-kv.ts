/**
 * An in-memory stand-in for the JetStream KV bucket of shared EAP
 * conversations, for tests: revisions are one counter for the bucket (as a
 * stream's sequence), writes and deletes are compare-and-set, every entry
 * expires `ttlMs` after its last write on the injected clock (the bucket's
 * TTL), and answers come a microtask later, as over a network. Faults:
 * `down` fails every call (NATS away); `tamper` rewrites values as they are
 * read.
 */
import type { ConversationKv, KvRead, KvWrite } from '../../radius/index.js';
import type { Clock } from '../../runtime/index.js';

interface Entry {
  value: Uint8Array;
  revision: number;
  expiresAt: number;
}

export class FakeConversationKv implements ConversationKv {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private sequence = 0;
  down = false;
  tamper: (value: Uint8Array) => Uint8Array = (value) => value;
  readonly calls = { get: 0, create: 0, update: 0, delete: 0 };

  constructor(clock: Clock, ttlMs: number) {
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  /** Live keys now (expired ones are gone). */
  get size(): number {
    this.expire();
    return this.entries.size;
  }

  /** A key's raw value (sealed), for tests that put it back or look at it. */
  raw(key: string): Uint8Array | undefined {
    this.expire();
    return this.entries.get(key)?.value;
  }

  /** Writes a value bypassing the checks: what an attacker with write access to the bucket does. */
  forcePut(key: string, value: Uint8Array): void {
    this.entries.set(key, {
      value: value.slice(),
      revision: ++this.sequence,
      expiresAt: this.clock.now() + this.ttlMs,
    });
  }

  get(key: string): Promise<KvRead> {
    this.calls.get++;
    return this.later((): KvRead => {
      const entry = this.entries.get(key);
      if (entry === undefined) return { kind: 'absent' };
      return { kind: 'found', value: this.tamper(entry.value.slice()), revision: entry.revision };
    });
  }

  create(key: string, value: Uint8Array): Promise<KvWrite> {
    this.calls.create++;
    return this.later((): KvWrite => {
      if (this.entries.has(key)) return { kind: 'conflict' };
      return this.store(key, value);
    });
  }

  update(key: string, value: Uint8Array, revision: number): Promise<KvWrite> {
    this.calls.update++;
    return this.later((): KvWrite => {
      if (this.entries.get(key)?.revision !== revision) return { kind: 'conflict' };
      return this.store(key, value);
    });
  }

  delete(key: string, revision: number): Promise<KvWrite> {
    this.calls.delete++;
    return this.later((): KvWrite => {
      if (this.entries.get(key)?.revision !== revision) return { kind: 'conflict' };
      this.entries.delete(key);
      return { kind: 'stored', revision: ++this.sequence };
    });
  }

  private store(key: string, value: Uint8Array): KvWrite {
    const revision = ++this.sequence;
    // Deliberate copy: the bucket keeps its own bytes.
    this.entries.set(key, {
      value: value.slice(),
      revision,
      expiresAt: this.clock.now() + this.ttlMs,
    });
    return { kind: 'stored', revision };
  }

  private later<T extends KvRead | KvWrite>(
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
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
