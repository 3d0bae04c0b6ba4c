/**
 * The options of the shared EAP conversation bucket (radius-kv.ts), apart
 * from it: radius-link's declarations name them, and a declaration that
 * reached radius-kv.ts would pull `@nats-io/*` types into every user's
 * program (nats-core's own .d.ts fail `exactOptionalPropertyTypes` with
 * `skipLibCheck: false`; test/cli/readme.test.ts compiles that way).
 */
export interface ConversationBucketOptions {
  readonly clusterId: string;
  /** The bucket's TTL: the RADIUS session timeout. */
  readonly ttlMs: number;
  /** Copies of the bucket in a JetStream cluster; default 1. */
  readonly replicas?: number;
  /** Per-call timeout; default 1000 ms (below a NAS's retransmission interval). */
  readonly timeoutMs?: number;
}
