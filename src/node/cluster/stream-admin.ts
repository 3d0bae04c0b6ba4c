/**
 * `StreamAdmin` (stream-config.ts) over `@nats-io/jetstream`'s manager:
 * the managed settings read from `streams.info`, and an update that keeps
 * every setting netrx does not manage as the stream has it.
 */
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import type { ManagedStreamConfig, StreamAdmin, StreamUsage } from './stream-config.js';

/** The JetStream API error "stream not found". */
const STREAM_NOT_FOUND = 10059;

export function jetStreamAdmin(
  jsm: JetStreamManager,
  apiError: abstract new (...args: never[]) => Error & { readonly code: number },
): StreamAdmin {
  // The full config last read, so an update changes only what netrx manages.
  const lastSeen = new Map<string, StreamConfig>();
  return {
    async info(stream, withSubjectCounts) {
      let info;
      try {
        info = await jsm.streams.info(
          stream,
          withSubjectCounts ? { subjects_filter: '>' } : undefined,
        );
      } catch (error) {
        if (error instanceof apiError && error.code === STREAM_NOT_FOUND) return undefined;
        throw error;
      }
      lastSeen.set(stream, info.config);
      const c = info.config;
      const config: ManagedStreamConfig = {
        subjects: c.subjects ?? [],
        retention: c.retention,
        storage: c.storage,
        discard: c.discard ?? 'old',
        max_msgs: c.max_msgs ?? -1,
        max_msgs_per_subject: c.max_msgs_per_subject ?? -1,
        discard_new_per_subject: c.discard_new_per_subject ?? false,
        max_bytes: c.max_bytes ?? -1,
        max_msg_size: c.max_msg_size ?? -1,
        max_age: c.max_age ?? 0,
        duplicate_window: c.duplicate_window ?? 0,
        num_replicas: c.num_replicas ?? 1,
      };
      const counts = Object.values(info.state.subjects ?? {});
      const usage: StreamUsage = {
        messages: info.state.messages,
        bytes: info.state.bytes,
        ...(withSubjectCounts ? { largestSubject: Math.max(0, ...counts) } : {}),
      };
      return { config, usage };
    },
    async add(stream, config) {
      await jsm.streams.add({ ...toJetStream(config), name: stream });
    },
    async update(stream, config) {
      const before = lastSeen.get(stream);
      await jsm.streams.update(stream, { ...before, ...toJetStream(config) });
    },
  };
}

function toJetStream(config: ManagedStreamConfig): Partial<StreamConfig> {
  // The managed names and values are JetStream's own (its enums are these strings).
  return { ...config, subjects: [...config.subjects] };
}
