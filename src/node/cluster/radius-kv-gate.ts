/**
 * The conversation bucket as the RADIUS core sees it while the host's NATS
 * connection is away (audit16 A1). The client does not fail a call made
 * while it reconnects: it queues it and lets it time out. Measured against
 * nats-server 2.9.10 killed after the connect (@nats-io/kv 3.4.0, call
 * timeout 1000 ms): a `create` took 2,161 ms (its put timed out, then
 * `Kvm.create` reads the key, to tell a deleted key from a live one, and
 * that timed out too), the confirming read after it 1,001 ms: 3 s per
 * round of a new conversation, past a NAS's 3 s retransmission, every
 * round. So while the connection is not `connected` every call answers
 * `failed` at once, marked `notSent` (a write never sent cannot have been
 * stored, so the core skips its confirming read), as the bucket of a host
 * booted during an outage does. A call made while connected goes to the
 * bucket as before, and so does every call once the connection is back.
 */
import type { ConversationKv, KvLineage, KvRead, KvWrite } from '../../radius/index.js';
import type { SharedNatsConnection } from './connection-settings.js';

/** The reason a gated call gives (in traces and `lastError`-like fields). */
export const NATS_AWAY_REASON = 'NATS away: not sent';

const notSent: KvWrite = { kind: 'failed', reason: NATS_AWAY_REASON, notSent: true };
const unread: KvRead & KvLineage = { kind: 'failed', reason: NATS_AWAY_REASON };

/** `bucket`, answering `failed` at once while `connection` is not `connected`. */
export function gateWhileAway(
  connection: Pick<SharedNatsConnection, 'status'>,
  bucket: ConversationKv,
): ConversationKv {
  const away = () => connection.status().state !== 'connected';
  return {
    get: (key) => (away() ? Promise.resolve(unread) : bucket.get(key)),
    create: (key, value) => (away() ? Promise.resolve(notSent) : bucket.create(key, value)),
    update: (key, value, revision) =>
      away() ? Promise.resolve(notSent) : bucket.update(key, value, revision),
    delete: (key, revision) => (away() ? Promise.resolve(notSent) : bucket.delete(key, revision)),
    revisionAfter: (key, revision) =>
      away() ? Promise.resolve(unread) : bucket.revisionAfter(key, revision),
  };
}
