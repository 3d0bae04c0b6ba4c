/**
 * The JetStream KV bucket of shared EAP conversation state (netrx/radius
 * conversation-kv.ts) on `@nats-io/kv` 3.4.0: bucket `netrx-eap-<cluster>`,
 * one key per conversation (its State in hex), history 2, a TTL equal to
 * the RADIUS session timeout (the stream's max age: a conversation nobody
 * finishes disappears with it), file storage, replicas as configured.
 * Writes carry the expected last revision (`Nats-Expected-Last-Subject-
 * Sequence`), so JetStream refuses the second of two servers writing one
 * round (API code 10071: a conflict, not a failure). Every call resolves;
 * an error is an outcome.
 *
 * History 2 (review16 R4): the entry a record put back replaced stays in
 * the history as its witness (`revisionAfter`, one direct get of the
 * key's next message after a sequence; conversation-kv.ts). A bucket made
 * before (history 1) is raised to 2 when it is opened (a stream update,
 * as the capture streams are left alone: this one has no setting of the
 * user's in it); a server that may not update it refuses to start with
 * ERR_RADIUS_STATE_BUCKET rather than run without the check.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  checkClusterToken,
  type ConversationKv,
  type KvLineage,
  type KvRead,
  type KvWrite,
} from '../../radius/index.js';
import { NetrxError } from '../../runtime/index.js';
import type { ConversationBucketOptions } from './radius-kv-options.js';

export type { ConversationBucketOptions };

/** The bucket's name for cluster `clusterId`. */
export function conversationBucketName(clusterId: string): string {
  return `netrx-eap-${checkClusterToken('cluster id', clusterId)}`;
}

const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);
/** Entries kept per key: the current one and the one it replaced. */
export const CONVERSATION_BUCKET_HISTORY = 2;

export async function openConversationBucket(
  nc: NatsConnection,
  options: ConversationBucketOptions,
): Promise<ConversationKv> {
  const [{ Kvm }, { jetstream, jetstreamManager }] = await Promise.all([
    import('@nats-io/kv'),
    import('@nats-io/jetstream'),
  ]);
  const timeout = options.timeoutMs ?? 1000;
  const js = jetstream(nc, { timeout });
  const kvm = new Kvm(js);
  const name = conversationBucketName(options.clusterId);
  const kv = await kvm.create(name, {
    history: CONVERSATION_BUCKET_HISTORY,
    ttl: options.ttlMs,
    replicas: options.replicas ?? 1,
    maxValueSize: 8192,
  });
  const stream = `KV_${name}`;
  const jsm = await jetstreamManager(nc, { timeout });
  await raiseHistory(jsm, stream);
  const direct = (await jsm.streams.info(stream)).config.allow_direct === true;
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
    async revisionAfter(key, revision): Promise<KvLineage> {
      // The key's first message from revision + 1 on: a value, or a delete or purge marker.
      const query = { next_by_subj: `$KV.${name}.${key}`, seq: revision + 1 };
      try {
        const message = direct
          ? await jsm.direct.getMessage(stream, query)
          : await jsm.streams.getMessage(stream, query);
        return message === null ? { kind: 'absent' } : { kind: 'found', revision: message.seq };
      } catch (error) {
        return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/** A bucket created with history 1 (before R4's check) gets history 2, or the server does not start. */
export async function raiseHistory(jsm: JetStreamManager, stream: string): Promise<void> {
  const info = await jsm.streams.info(stream);
  if (info.config.max_msgs_per_subject >= CONVERSATION_BUCKET_HISTORY) return;
  try {
    await jsm.streams.update(stream, {
      ...info.config,
      max_msgs_per_subject: CONVERSATION_BUCKET_HISTORY,
    });
  } catch (error) {
    throw new NetrxError(
      'ERR_RADIUS_STATE_BUCKET',
      `the EAP state bucket ${stream} keeps history ${info.config.max_msgs_per_subject} and could not be raised to ${CONVERSATION_BUCKET_HISTORY} (${error instanceof Error ? error.message : String(error)}): update it (nats stream edit ${stream} --max-msgs-per-subject=${CONVERSATION_BUCKET_HISTORY}) or delete it`,
      { cause: error },
    );
  }
}
