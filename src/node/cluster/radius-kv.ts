/**
 * The JetStream KV bucket of shared EAP conversation state (netrx/radius
 * conversation-kv.ts) on `@nats-io/kv` 3.4.0: bucket `netrx-eap-<cluster>`,
 * one key per conversation (its State in hex), history 1, a TTL equal to
 * the RADIUS session timeout (the stream's max age: a conversation nobody
 * finishes disappears with it), file storage, replicas as configured.
 * Writes carry the expected last revision (`Nats-Expected-Last-Subject-
 * Sequence`), so JetStream refuses the second of two servers writing one
 * round (API code 10071: a conflict, not a failure). Every call resolves;
 * an error is an outcome.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  checkClusterToken,
  type ConversationKv,
  type KvRead,
  type KvWrite,
} from '../../radius/index.js';
import type { ConversationBucketOptions } from './radius-kv-options.js';

export type { ConversationBucketOptions };

/** The bucket's name for cluster `clusterId`. */
export function conversationBucketName(clusterId: string): string {
  return `netrx-eap-${checkClusterToken('cluster id', clusterId)}`;
}

const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);

export async function openConversationBucket(
  nc: NatsConnection,
  options: ConversationBucketOptions,
): Promise<ConversationKv> {
  const [{ Kvm }, { jetstream }] = await Promise.all([
    import('@nats-io/kv'),
    import('@nats-io/jetstream'),
  ]);
  const timeout = options.timeoutMs ?? 1000;
  const js = jetstream(nc, { timeout });
  const kvm = new Kvm(js);
  const name = conversationBucketName(options.clusterId);
  const kv = await kvm.create(name, {
    history: 1,
    ttl: options.ttlMs,
    replicas: options.replicas ?? 1,
    maxValueSize: 8192,
  });
  const failure = (error: unknown): KvWrite => {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'number' && WRONG_LAST_SEQUENCE.has(code)) return { kind: 'conflict' };
    if (error instanceof Error && /wrong last sequence/i.test(error.message)) {
      return { kind: 'conflict' };
    }
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  };
  return {
    async get(key): Promise<KvRead> {
      try {
        const entry = await kv.get(key);
        if (entry === null || entry.operation !== 'PUT') return { kind: 'absent' };
        const value = entry.value;
        return {
          kind: 'found',
          value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
          revision: entry.revision,
        };
      } catch (error) {
        return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
      }
    },
    async create(key, value) {
      try {
        return { kind: 'stored', revision: await kv.create(key, value) };
      } catch (error) {
        return failure(error);
      }
    },
    async update(key, value, revision) {
      try {
        return { kind: 'stored', revision: await kv.update(key, value, revision, timeout) };
      } catch (error) {
        return failure(error);
      }
    },
    async delete(key, revision) {
      try {
        await kv.delete(key, { previousSeq: revision });
        return { kind: 'stored', revision };
      } catch (error) {
        return failure(error);
      }
    },
  };
}
