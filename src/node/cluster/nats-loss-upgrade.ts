/**
 * `LossUpgradePort` (loss-upgrade.ts) over `@nats-io/jetstream`: the
 * consumer list for the threshold-less consumers (candidates; which are
 * netrx's is legacy-loss-durable.ts's) and their ack floors, an ordered consumer (ephemeral, no
 * acks, deleted after) to read the reports at or below it, the newest
 * floor by `last_by_subj` (in the floor stream and on the legacy subject), and the link's own publish for new floors.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { hasNoIdleThreshold } from './legacy-loss-durable.js';
import type { LossUpgradePort, StoredReport } from './loss-upgrade.js';
import type { PublishPort } from './ports.js';

/** The JetStream API error "consumer not found". */
const CONSUMER_NOT_FOUND = 10014;
/** The JetStream API error "stream not found". */
const STREAM_NOT_FOUND = 10059;
/** Reports asked for at once while reading up to an ack floor. */
const REPORTS_PER_FETCH = 256;

export function natsLossUpgradePort(
  js: JetStreamClient,
  jsm: JetStreamManager,
  apiError: abstract new (...args: never[]) => Error & { readonly code: number },
  publish: PublishPort['publish'],
  timeoutMs: number,
): LossUpgradePort {
  const notFound = (error: unknown) =>
    error instanceof apiError && error.code === CONSUMER_NOT_FOUND;
  return {
    async legacyDurables(stream) {
      const legacy = [];
      for await (const info of jsm.consumers.list(stream)) {
        if (!hasNoIdleThreshold(info.config)) continue;
        const config = { ...info.config } as Readonly<Record<string, unknown>>;
        legacy.push({ name: info.name, info: { config, ackFloor: info.ack_floor.stream_seq } });
      }
      return legacy;
    },
    async *reportsUpTo(stream, filter, upTo): AsyncIterable<StoredReport> {
      const consumer = await js.consumers.get(stream, { filter_subjects: filter });
      try {
        for (;;) {
          const batch = await consumer.fetch({
            max_messages: REPORTS_PER_FETCH,
            expires: timeoutMs,
          });
          let fetched = 0;
          for await (const m of batch) {
            fetched++;
            if (m.seq > upTo) return;
            yield { subject: m.subject, data: m.data, seq: m.seq };
            // The last report stored: nothing more to wait for.
            if (m.info.pending === 0 || m.seq === upTo) return;
          }
          // Nothing came within the wait: every report of the filter was read.
          if (fetched === 0) return;
        }
      } finally {
        await consumer.delete().catch(() => undefined);
      }
    },
    async lastMessage(stream, subject) {
      try {
        const stored = await jsm.streams.getMessage(stream, { last_by_subj: subject });
        return stored?.data;
      } catch (error) {
        // No floor stream yet (made at the bind, floor-stream.ts): it holds no floor.
        if (error instanceof apiError && error.code === STREAM_NOT_FOUND) return undefined;
        throw error;
      }
    },
    publish,
    async delete(stream, durable) {
      try {
        await jsm.consumers.delete(stream, durable);
      } catch (error) {
        // Gone already (another process of this reader adopted it): what was wanted.
        if (!notFound(error)) throw error;
      }
    },
  };
}
