/**
 * A capture link for a connection that has not reached a server yet (a
 * host booted during a NATS outage, review F10). It stands in for the real
 * link (nats.ts) until the connection first answers: publishes answer
 * `unsent` and listeners hear `disconnected` at once, so a publisher
 * buffers within its bound and counts the rest as lost, exactly as while
 * disconnected later; streams asked for are remembered and consumers
 * queued. Once NATS answers it opens the real link, creates the streams,
 * starts the consumers and tells listeners `connected` (attach.ts retries a
 * failure), without a restart.
 */
import type { Clock } from '../../runtime/index.js';
import { attachWhenConnected } from './attach.js';
import type { NatsConnectionSettings, SharedNatsConnection } from './connection-settings.js';
import type { CaptureStreamLimits, NatsCaptureLink } from './nats.js';
import type { StreamChange } from './stream-config.js';
import type {
  ConsumeSpec,
  ConsumerError,
  LinkStatus,
  PublishOutcome,
  StreamMessage,
} from './ports.js';

export interface DeferredCaptureLinkOptions {
  readonly connection: Pick<SharedNatsConnection, 'status' | 'onState'>;
  /** Opens the real link (called once the connection is `connected`). */
  readonly open: () => Promise<NatsCaptureLink>;
  readonly clock: Clock;
  /** The wait between failed attaches while connected. Default 1000 ms. */
  readonly retryMs?: number;
}

export interface DeferredCaptureLink extends NatsCaptureLink {
  /** True once the real link is open and the streams exist. */
  readonly attached: boolean;
  /** Why the last attach failed ('' for none). */
  readonly attachError: string;
}

interface QueuedConsumer {
  readonly spec: ConsumeSpec;
  readonly onMessage: (message: StreamMessage) => void;
  readonly onError: ((error: ConsumerError) => void) | undefined;
  current?: { stop(): void };
}

const NOT_YET = 'NATS not connected yet (started during an outage)';

export function captureLinkWhenConnected(options: DeferredCaptureLinkOptions): DeferredCaptureLink {
  let real: NatsCaptureLink | undefined;
  const streams = new Map<string, CaptureStreamLimits>();
  const listeners: ((status: LinkStatus) => void)[] = [];
  const consumers = new Set<QueuedConsumer>();
  const attachment = attachWhenConnected({
    connection: options.connection,
    clock: options.clock,
    ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
    open: async () => {
      const link = await options.open();
      try {
        for (const [session, limits] of streams) await link.ensureStream(session, limits);
      } catch (error) {
        await link.close();
        throw error;
      }
      return link;
    },
    discard: (link) => void link.close(),
    attached: (link) => {
      real = link;
      for (const listener of listeners) link.onStatus(listener);
      for (const consumer of consumers) {
        consumer.current = link.consume(consumer.spec, consumer.onMessage, consumer.onError);
      }
      // The real link tells only changes from now on: listeners heard `disconnected`.
      for (const listener of listeners) listener('connected');
    },
  });
  return {
    get attached() {
      return real !== undefined;
    },
    get attachError() {
      return attachment.lastError;
    },
    get serverVersion() {
      return real?.serverVersion ?? 'unknown';
    },
    get consumerErrors() {
      return real?.consumerErrors ?? 0;
    },
    get consumerErrorCodes() {
      return real?.consumerErrorCodes ?? {};
    },
    get streamChanges() {
      return real?.streamChanges ?? { updated: 0, held: 0, kept: 0 };
    },
    consumerLag(stream, durable) {
      // Before the link attaches there is no consumer to ask: the sampler keeps its last sample.
      return real?.consumerLag(stream, durable) ?? Promise.reject(new Error(NOT_YET));
    },
    streamHosts(stream, session) {
      // Before the link attaches no stream can be read: no hosts yet (the reader asks again).
      return real?.streamHosts(stream, session) ?? Promise.resolve([]);
    },
    publish(subject, data, msgId): Promise<PublishOutcome> {
      return (
        real?.publish(subject, data, msgId) ?? Promise.resolve({ kind: 'unsent', reason: NOT_YET })
      );
    },
    async ensureStream(session, limits) {
      if (real !== undefined) return real.ensureStream(session, limits);
      // Reconciled on attach; what it finds then goes to the link's `onStreamChange`.
      streams.set(session, limits);
      return [];
    },
    onStatus(listener) {
      listeners.push(listener);
      if (real === undefined) listener('disconnected');
      else real.onStatus(listener);
    },
    consume(spec, onMessage, onError) {
      const consumer: QueuedConsumer = { spec, onMessage, onError };
      consumers.add(consumer);
      if (real !== undefined) consumer.current = real.consume(spec, onMessage, onError);
      return {
        stop() {
          consumers.delete(consumer);
          consumer.current?.stop();
        },
      };
    },
    async close() {
      attachment.stop();
      for (const consumer of [...consumers]) consumer.current?.stop();
      consumers.clear();
      await real?.close();
    },
  };
}

/**
 * `connectNatsCapture` for a process that must start during an outage
 * (the CLI's `capture publish` and `capture serve --nats`): a connection
 * of its own that starts `reconnecting` when no server answers yet, and a
 * link that attaches once one does. Closing the link closes the connection.
 */
export async function connectNatsCaptureWhenReady(
  settings: NatsConnectionSettings,
  clock: Clock,
  onStreamChange?: (change: StreamChange) => void,
): Promise<DeferredCaptureLink> {
  const [{ connectNats }, { natsCaptureLinkOver }] = await Promise.all([
    import('./connection.js'),
    import('./nats.js'),
  ]);
  const connection = await connectNats({ ...settings, startDisconnected: true });
  const link = captureLinkWhenConnected({
    connection,
    clock,
    open: () =>
      natsCaptureLinkOver(connection, onStreamChange === undefined ? {} : { onStreamChange }),
  });
  return {
    get attached() {
      return link.attached;
    },
    get attachError() {
      return link.attachError;
    },
    get serverVersion() {
      return link.serverVersion;
    },
    get consumerErrors() {
      return link.consumerErrors;
    },
    get consumerErrorCodes() {
      return link.consumerErrorCodes;
    },
    get streamChanges() {
      return link.streamChanges;
    },
    streamHosts: (stream, session) => link.streamHosts(stream, session),
    consumerLag: (stream, durable) => link.consumerLag(stream, durable),
    publish: (subject, data, msgId) => link.publish(subject, data, msgId),
    ensureStream: (session, limits) => link.ensureStream(session, limits),
    onStatus: (listener) => link.onStatus(listener),
    consume: (spec, onMessage, onError) => link.consume(spec, onMessage, onError),
    async close() {
      await link.close();
      await connection.close();
    },
  };
}
