/**
 * netrx/node cluster: capture fan-in over NATS JetStream. A host publishes
 * the events of a capture session's providers to the session's stream
 * (`CapturePublisher`); a capture server anywhere serves an MS-LREC session
 * from it (`StreamSessionSource`, a netrx/capture `SessionSource`), so RPC,
 * WebSocket and extcap serve it as they serve a local one. The NATS client
 * packages load only when `connectNatsCapture` is called. RADIUS servers
 * share conversations over NATS request/reply (`connectRadiusClusterLink`,
 * a netrx/radius `RadiusClusterLink`). Both take the connection's
 * credentials (`auth`: user/password, token, NKey seed file or `.creds`
 * file) and TLS (`tls`: PEM files) as `NatsConnectionSettings`. See
 * docs/cluster.md.
 */
export {
  CapturePublisher,
  type CapturePublisherOptions,
  type CapturePublisherStats,
  type PublisherNotice,
} from './publisher.js';
export {
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MIN_BATCH_BYTES,
  MIN_CONFIGURED_BATCH_BYTES,
  STREAM_BATCH_BYTES,
  STREAM_BATCH_EVENTS,
  STREAM_FULL_SUBJECTS,
  streamCapacity,
  streamMessageLimit,
  streamTotalMessageLimit,
  type BatchCut,
  type StreamCapacity,
} from './stream-budget.js';
export {
  StreamSessionSource,
  parseLossReport,
  type StreamSessionSourceOptions,
  type StreamSessionSourceStats,
} from './reader.js';
export { checkReaderId, defaultReaderId, readerIdFromHostName } from './reader-identity.js';
export type {
  NatsAuth,
  NatsConnectionSettings,
  NatsConnectionState,
  NatsConnectionStatus,
  NatsTlsFiles,
} from './connection-settings.js';
export {
  captureLinkWhenConnected,
  connectNatsCaptureWhenReady,
  type DeferredCaptureLink,
  type DeferredCaptureLinkOptions,
} from './deferred-capture-link.js';
export {
  connectNatsCapture,
  type CaptureStreamLimits,
  type NatsCaptureLink,
  type NatsCaptureOptions,
} from './nats.js';
export type {
  ConsumePort,
  ConsumerReplaced,
  LinkStatus,
  PublishOutcome,
  PublishPort,
  StreamMessage,
} from './ports.js';
export {
  checkClusterSessionName,
  checkHostName,
  checkHostPattern,
  eventSubject,
  filterSubject,
  hostActivityId,
  hostFromActivityId,
  lossSubject,
  streamName,
} from './subjects.js';
export {
  connectRadiusClusterLink,
  radiusClusterSubject,
  type NatsRadiusClusterLink,
  type NatsRadiusClusterOptions,
} from './radius-link.js';
export {
  CLUSTER_PROVIDER,
  ClusterEvent,
  ClusterKeyword,
  traceNotices,
  traceConsumerReplaced,
  traceStreamChanges,
} from './events.js';
export {
  DEFAULT_STREAM_BYTES,
  describeStreamChange,
  type StreamChange,
  type StreamReconciliation,
} from './stream-config.js';
/** A reader's default bound on the bytes its hosts' pulls may have asked for (review16c N12). */
export { MIN_READER_PULL_BYTES, READER_PULL_BYTES } from './pull-budget.js';
