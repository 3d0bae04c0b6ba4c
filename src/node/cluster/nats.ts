/**
 * The NATS JetStream adapter of capture fan-in: `@nats-io/transport-node`
 * and `@nats-io/jetstream`, imported lazily here so that a host without
 * NATS configuration never loads them. It gives the publisher a
 * `PublishPort` (publish with `Nats-Msg-Id`, refusals told apart from
 * connection trouble), the reader a `ConsumePort` (a durable pull consumer,
 * explicit acks written a turn at a time: `ack-batcher.ts`), stream creation from a session's limits, and the
 * connection's disconnect/reconnect changes. Reconnects are the client's:
 * it retries forever, every `reconnectTimeWaitMs`.
 */
import type {
  ConsumePort,
  ConsumerError,
  ConsumerLag,
  LinkStatus,
  PublishOutcome,
  PublishPort,
} from './ports.js';
import type { JsMsg } from '@nats-io/jetstream';
import { AckBatcher } from './ack-batcher.js';
import { MAX_ACK_PENDING, captureConsumerConfig, consumerConfigDrift } from './consumer-config.js';
import { PULL_WINDOW_BYTES, type PullGate } from './pull-window.js';
import { connectNats, natsClientOf } from './connection.js';
import type { NatsConnectionSettings, SharedNatsConnection } from './connection-settings.js';
import { streamMessageLimit, streamTotalMessageLimit } from './stream-budget.js';
import { lossStreamName, lossStreamSubjects, sessionSubjects, streamName } from './subjects.js';

/** Acks held before they are written at once (below MAX_ACK_PENDING, so delivery never stalls). */
const ACKS_PER_WRITE = 512;

/** How long a gated reader's pull waits for messages before it asks again. */
const FETCH_EXPIRES_MS = 5000;

/** How often a gated consumer touches its claim (below any sensible `claimExpiresMs`). */
const CLAIM_KEEPALIVE_MS = 1000;

/** Loss reports kept per publisher run: enough for a reader away for minutes (reports are paced). */
export const LOSS_REPORTS_PER_RUN = 1024;

export interface NatsCaptureOptions extends NatsConnectionSettings {
  /** Per publish and API request. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** A consumer's acks held and written at once (1: each as it comes). Default 512, at most 4096. */
  readonly acksPerWrite?: number;
  /** An event consumer idle this long is deleted by the server, ending its claim on its host. Default 15,000 ms. */
  readonly claimExpiresMs?: number;
}

/**
 * The largest event message a stream takes: a publisher's batch (at most
 * 64 KiB, `maxBatchBytes`) plus room for its subject and headers.
 */
export const STREAM_MAX_MESSAGE_BYTES = 65_536 + 1024;

/**
 * Stream limits of one capture session (from its buffer settings).
 *
 * The exact limit is a message count. nats-server 2.9.10 with
 * `discard: new` and a byte limit checks a new message's payload against
 * `max_bytes` but stores it with its subject and headers: near the limit
 * it acknowledges the publish and then removes the oldest messages to make
 * room, which is silent loss (reproduced: 50 publishes of 100 bytes into
 * 8000 bytes were all acknowledged, 45 were kept). A message limit is
 * checked and enforced alike, so the byte budget becomes a message limit
 * (`maxMsgs`, default `streamMessageLimit(maxBytes)`: one message per
 * STREAM_BATCH_BYTES, at least 16), and the stream has no `max_bytes` (a
 * byte limit that could never bind first would be one JetStream reserves
 * storage for). Publisher batches are cut at STREAM_BATCH_BYTES or
 * STREAM_BATCH_EVENTS, so the stream holds about `maxBytes` of events
 * (`max_msg_size` still lets one event of up to 64 KiB travel alone).
 *
 * The budget is per subject, that is per host and provider (review16 R1):
 * `max_msgs_per_subject` with `discard_new_per_subject`, so a host nobody
 * reads fills its own budget and is refused alone (10077, counted in its
 * publisher's `refused`), while the hosts a reader drains go on. The
 * stream-wide `max_msgs` stays as the storage bound: STREAM_FULL_SUBJECTS
 * budgets (`streamTotalMessageLimit`).
 */
export interface CaptureStreamLimits {
  /** The session's byte budget (`maxBuffers × bufferBytes`); sets `maxMsgs` unless given. */
  readonly maxBytes: number;
  /** Each subject's (host and provider's) message limit; one message is one batch of events. */
  readonly maxMsgs?: number;
  /** The duplicate window for retried publishes. Default 120,000 ms. */
  readonly duplicateWindowMs?: number;
  /** Copies kept by a JetStream cluster (1 to 5). Default 1. */
  readonly replicas?: number;
}

export interface NatsCaptureLink extends PublishPort, ConsumePort {
  /** The server's version, as it announced itself. */
  readonly serverVersion: string;
  /**
   * Creates the session's event stream (work queue, `discard: new`) and its
   * loss stream (limits, the last LOSS_REPORTS_PER_RUN reports per run)
   * unless they exist.
   */
  ensureStream(session: string, limits: CaptureStreamLimits): Promise<void>;
  onStatus(listener: (status: LinkStatus) => void): void;
  /** Consumers' failures (a consume loop that ended with an error, then restarted). */
  readonly consumerErrors: number;
  /** The same failures by JetStream error code (`other` without one). */
  readonly consumerErrorCodes: Readonly<Record<string, number>>;
  /** One consumer info request: the consumer's pending, ack pending and redelivered messages. */
  consumerLag(stream: string, durable: string): Promise<ConsumerLag>;
  close(): Promise<void>;
}

/** JetStream API error codes that mean "the stream refused this message" (it is lost). */
const REFUSALS = new Set([
  10077, // maximum messages exceeded (discard new)
  10078, // maximum bytes exceeded
  10054, // message size exceeds maximum allowed
  10047, // insufficient resources
]);

/** Connects (a connection of its own, closed with the link) and opens a capture link over it. */
export async function connectNatsCapture(options: NatsCaptureOptions): Promise<NatsCaptureLink> {
  const connection = await connectNats(options);
  try {
    return await natsCaptureLinkOver(connection, { ...options, ownsConnection: true });
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/**
 * A capture link over a connection shared with others (`cluster.nats`):
 * its `close` stops its own consumers and leaves the connection open,
 * unless `ownsConnection`.
 */
export async function natsCaptureLinkOver(
  connection: SharedNatsConnection,
  options: {
    readonly timeoutMs?: number;
    readonly acksPerWrite?: number;
    readonly claimExpiresMs?: number;
    readonly ownsConnection?: boolean;
  } = {},
): Promise<NatsCaptureLink> {
  const acksPerWrite = options.acksPerWrite ?? ACKS_PER_WRITE;
  if (!Number.isInteger(acksPerWrite) || acksPerWrite < 1 || acksPerWrite > MAX_ACK_PENDING) {
    throw new RangeError(`acksPerWrite must be an integer from 1 to ${MAX_ACK_PENDING}`);
  }
  const jsModule = await import('@nats-io/jetstream');
  const { jetstream, jetstreamManager, AckPolicy, DeliverPolicy, DiscardPolicy } = jsModule;
  const { RetentionPolicy, StorageType, JetStreamApiError } = jsModule;
  const timeout = options.timeoutMs ?? 2000;
  const nc = natsClientOf(connection);
  const js = jetstream(nc, { timeout });
  const jsm = await jetstreamManager(nc, { timeout });
  const listeners: ((status: LinkStatus) => void)[] = [];
  let consumerErrors = 0;
  const consumerErrorCodes: Record<string, number> = {};
  const claimExpiresMs = options.claimExpiresMs ?? 15_000;
  const consumers = new Set<{ stop(): void }>();
  const stopWatching = connection.onState((state) => {
    const mapped: LinkStatus = state === 'connected' ? 'connected' : 'disconnected';
    for (const listener of listeners) listener(mapped);
  });

  const ensure = async (
    name: string,
    config: Omit<Parameters<typeof jsm.streams.add>[0], 'name'>,
  ) => {
    try {
      await jsm.streams.info(name);
      return;
    } catch {
      // Not there (or not answerable yet): try to create it.
    }
    await jsm.streams.add({ ...config, name });
  };

  const link: NatsCaptureLink = {
    serverVersion: nc.info?.version ?? 'unknown',
    get consumerErrors() {
      return consumerErrors;
    },
    get consumerErrorCodes() {
      return { ...consumerErrorCodes };
    },
    async streamHosts(stream, session) {
      const info = await jsm.streams.info(stream, { subjects_filter: `netrx.${session}.*.>` });
      const hosts = new Set<string>();
      for (const subject of Object.keys(info.state.subjects ?? {})) {
        const host = subject.split('.')[2];
        if (host !== undefined) hosts.add(host);
      }
      return [...hosts];
    },
    async consumerLag(stream, durable) {
      const info = await jsm.consumers.info(stream, durable);
      return {
        pending: info.num_pending,
        ackPending: info.num_ack_pending,
        redelivered: info.num_redelivered,
      };
    },
    async publish(subject, data, msgId): Promise<PublishOutcome> {
      try {
        const ack = await js.publish(subject, data, { msgID: msgId, timeout });
        return { kind: 'stored', duplicate: ack.duplicate };
      } catch (error) {
        if (error instanceof JetStreamApiError && REFUSALS.has(error.code)) {
          return { kind: 'refused', reason: error.message };
        }
        return { kind: 'unsent', reason: error instanceof Error ? error.message : String(error) };
      }
    },
    async ensureStream(session, limits) {
      const duplicateWindow = (limits.duplicateWindowMs ?? 120_000) * 1_000_000;
      const replicas = limits.replicas ?? 1;
      if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
        throw new RangeError(`replicas must be an integer from 1 to 5: got ${replicas}`);
      }
      const maxMsgs = limits.maxMsgs ?? streamMessageLimit(limits.maxBytes);
      if (!Number.isSafeInteger(maxMsgs) || maxMsgs < 1) {
        throw new RangeError(`maxMsgs must be a positive integer: got ${maxMsgs}`);
      }
      await ensure(streamName(session), {
        subjects: [sessionSubjects(session)],
        retention: RetentionPolicy.Workqueue,
        discard: DiscardPolicy.New,
        storage: StorageType.File,
        // Per host and provider (R1): an unread host is refused alone, not the session.
        max_msgs_per_subject: maxMsgs,
        discard_new_per_subject: true,
        max_msgs: streamTotalMessageLimit(maxMsgs),
        // No byte limit (see CaptureStreamLimits): the fixed batch cut bounds the bytes.
        // A backstop of maxMsgs × (max_msg_size + 512) was tried: 2.9.10 reserves it
        // against the store and refused the interop suite's streams (10047).
        max_bytes: -1,
        max_msg_size: STREAM_MAX_MESSAGE_BYTES,
        duplicate_window: duplicateWindow,
        num_replicas: replicas,
      });
      // Never full for a new report: old ones give way (discard old), and a
      // reader needs only the newest of a run (the counts are cumulative).
      await ensure(lossStreamName(session), {
        subjects: [lossStreamSubjects(session)],
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        storage: StorageType.File,
        max_msgs_per_subject: LOSS_REPORTS_PER_RUN,
        max_msgs: 1_000_000,
        max_bytes: 256 * 1024 * 1024,
        max_age: 7 * 24 * 3600 * 1_000_000_000,
        duplicate_window: duplicateWindow,
        num_replicas: replicas,
      });
    },
    onStatus(listener) {
      listeners.push(listener);
    },
    consume({ stream, filter, durable, onBound, onReplaced }, onMessage, onError, gate) {
      let stopped = false;
      let stopCurrent: (() => void) | undefined;
      const acks = new AckBatcher({ maxPending: acksPerWrite, schedule: setImmediate });
      const run = async () => {
        while (!stopped) {
          try {
            // A durable outlives its reader: one made for other hosts (or another claim
            // expiry) is made again, never used as it is (review16c N4).
            const wanted = captureConsumerConfig(stream, filter, claimExpiresMs);
            const existing = await jsm.consumers.info(stream, durable).catch(() => undefined);
            const drift =
              existing === undefined ? [] : consumerConfigDrift({ ...existing.config }, wanted);
            if (drift.length > 0) {
              await jsm.consumers.delete(stream, durable);
              onReplaced?.(drift);
            }
            if (existing === undefined || drift.length > 0) {
              await jsm.consumers.add(stream, {
                durable_name: durable,
                ...wanted,
                ack_policy: AckPolicy.Explicit,
                deliver_policy: DeliverPolicy.All,
              });
            }
            const consumer = await js.consumers.get(stream, durable);
            const hand = (m: JsMsg) =>
              onMessage({
                subject: m.subject,
                data: m.data,
                seq: m.seq,
                ...msgIdOf(m.headers),
                ack: () => acks.add(() => m.ack()),
                nak: () => m.nak(),
              });
            if (gate === undefined) {
              const messages = await consumer.consume({ max_messages: 512 });
              stopCurrent = () => void messages.stop();
              if (stopped) messages.stop();
              else onBound?.();
              for await (const m of messages) hand(m);
            } else {
              if (!stopped) onBound?.();
              // Pulled as the reader has room (review16 R8; `consume` pulls ahead whatever
              // the iterator's pace): one bounded fetch at a time, the next once the gate opens.
              while (!stopped) {
                if (!gate.ready()) {
                  await keepClaimUntilReady(gate, async () => {
                    // A pull no message fits (each has more than 1 byte): the server answers
                    // 409 and delivers nothing, but counts the consumer active.
                    try {
                      const touch = await consumer.fetch({ max_bytes: 1, expires: 1000 });
                      for await (const m of touch) hand(m);
                    } catch {
                      // That answer ends the fetch with an error, expected here: a real
                      // failure shows on the next pull.
                    }
                  });
                  continue;
                }
                // By bytes (the client takes max_messages or max_bytes, not both).
                const batch = await consumer.fetch({
                  max_bytes: PULL_WINDOW_BYTES,
                  expires: FETCH_EXPIRES_MS,
                });
                stopCurrent = () => void batch.stop();
                if (stopped) batch.stop();
                for await (const m of batch) hand(m);
              }
            }
          } catch (error) {
            // Surfaced, not swallowed: 10100 (another reader claims this host) is the one to see.
            consumerErrors++;
            const failure: ConsumerError = {
              stream,
              durable,
              code: error instanceof JetStreamApiError ? error.code : undefined,
              message: error instanceof Error ? error.message : String(error),
            };
            const key = failure.code === undefined ? 'other' : String(failure.code);
            consumerErrorCodes[key] = (consumerErrorCodes[key] ?? 0) + 1;
            onError?.(failure);
          }
          acks.flush();
          if (!stopped) await new Promise((resolve) => setTimeout(resolve, 250));
        }
      };
      void run();
      const handle = {
        stop() {
          stopped = true;
          // What was handled is acked before the consumer goes: the next reader starts after it.
          acks.flush();
          stopCurrent?.();
          consumers.delete(handle);
        },
      };
      consumers.add(handle);
      return handle;
    },
    async close() {
      stopWatching();
      for (const consumer of [...consumers]) consumer.stop();
      if (options.ownsConnection === true) await connection.close();
    },
  };
  return link;
}

/**
 * A gated consumer pulls nothing, and the server deletes a pull consumer
 * with no pull request for `inactive_threshold`: the claim on its host
 * would lapse while the client is merely slow (seen against 2.9.10; a
 * consumer info request does not keep it). A pull every CLAIM_KEEPALIVE_MS
 * that no message fits does.
 */
async function keepClaimUntilReady(gate: PullGate, touch: () => Promise<unknown>): Promise<void> {
  let ready = false;
  const opened = gate.whenReady().then(() => {
    ready = true;
  });
  while (!ready) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      opened,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLAIM_KEEPALIVE_MS))),
    ]);
    clearTimeout(timer);
    if (!ready) await touch();
  }
}

function msgIdOf(headers: { get(name: string): string } | undefined): { msgId?: string } {
  const id = headers?.get('Nats-Msg-Id');
  return id === undefined || id === '' ? {} : { msgId: id };
}
