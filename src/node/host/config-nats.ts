/**
 * `capture.nats` in `netrx up`: capture fan-in over NATS JetStream
 * (docs/cluster.md), on the host's one connection (`cluster.nats`). With
 * neither `publish` nor `serve` (the default) it is off and loads no NATS
 * code. `publish` names sessions of `capture.sessions` whose
 * events this host publishes as `host`; `serve` adds sessions read from the
 * streams of many hosts (`stream`: the published session's name, by default
 * the served session's; `hosts`: a name or a `*`/`?` glob). A host that
 * publishes `default` and watches the fleet serves e.g. `{ name: fleet,
 * stream: default, hosts: 'lab-*' }`.
 */
import { ConfigError, field, integer, list, object, required, section, string } from './schema.js';
import type { HostConfig } from './config.js';
import { MOVED_TO_CLUSTER_NATS } from './config-cluster-nats.js';
import { defaultReaderId } from '../cluster/reader-identity.js';
import { patternsOverlap } from '../cluster/subjects.js';
import { MIN_READER_PULL_BYTES, READER_PULL_BYTES } from '../cluster/pull-budget.js';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MIN_CONFIGURED_BATCH_BYTES,
  STREAM_BATCH_BYTES,
  STREAM_BATCH_EVENTS,
} from '../cluster/stream-budget.js';

/**
 * The most `capture.nats.pullBudgetBytes` (and `capture serve
 * --pull-budget-bytes`) takes: the client library holds what a reader asked
 * for, so a typo must not let it ask for unbounded memory.
 */
export const MAX_READER_PULL_BYTES = 1024 * 1024 * 1024;

const sessionName = string({
  pattern: /^[A-Za-z0-9_-]{1,32}$/,
  describe: 'a session name of 1 to 32 of A-Z a-z 0-9 _ - (a NATS subject token)',
});

export const captureNatsSection = section(
  object(
    {
      /**
       * This host's name in subjects, in delivered events' ActivityId and in
       * its readers' durables. '' (the default): this machine's identity
       * (`captureNatsHost`), so two hosts on defaults never publish as one
       * or share a durable (issue 16; it was the fixed `netrx`).
       */
      host: field(
        string({
          pattern: /^([A-Za-z0-9_-]{1,16})?$/,
          describe: "a host name of 1 to 16 of A-Z a-z 0-9 _ -, or '' for this machine's",
        }),
        '',
      ),
      /** Sessions of capture.sessions whose events this host publishes. */
      publish: field(list(sessionName, 64), []),
      /** Sessions this host serves from the streams. */
      serve: field(
        list(
          object({
            name: required(sessionName),
            /** The published session whose stream this session reads ('': the same name). */
            stream: field(
              string({
                pattern: /^([A-Za-z0-9_-]{1,32})?$/,
                describe: "a published session's name, or '' for this session's own",
              }),
              '',
            ),
            hosts: field(
              string({ pattern: /^[A-Za-z0-9_*?-]{1,64}$/, describe: 'a host name or glob' }),
              '*',
            ),
          }),
          64,
        ),
        [],
      ),
      /** Events a publisher holds while NATS is away; past it they are dropped and counted. */
      maxBuffered: field(integer(1, 1_000_000), 4096),
      /** Copies of the streams this host creates, in a JetStream cluster (1 on a single server). */
      replicas: field(integer(1, 5), 1),
      /**
       * The published streams' byte budget (as `capture publish --stream-bytes`; 0: not
       * given, the session's `queueEvents` sizes a stream this host creates and an
       * existing stream keeps its budget, verify16c V3).
       */
      streamBytes: field(integer(0, Number.MAX_SAFE_INTEGER), 0),
      /** Each host and provider's message limit (as `--stream-messages`; 0: not given). */
      streamMessages: field(integer(0, 1_000_000_000), 0),
      /**
       * The publishers' batch cut in bytes (as `capture publish --batch-bytes`,
       * issue #16): a batch closes before its items pass it, and the streams
       * this host creates or sizes take one message per cut of the budget. A
       * larger cut publishes faster when busy and holds fewer events when
       * quiet (docs/cluster.md, "Choosing the cut"); it is no stream budget
       * (an existing stream's is kept unless streamBytes/streamMessages ask).
       */
      batchBytes: field(integer(MIN_CONFIGURED_BATCH_BYTES, MAX_BATCH_BYTES), STREAM_BATCH_BYTES),
      /** A publisher batch closes at this many events (as `--batch-events`). */
      batchEvents: field(integer(1, MAX_BATCH_EVENTS), STREAM_BATCH_EVENTS),
      /**
       * Bytes each served entry's hosts may have asked NATS for at once,
       * shared first come first (as `capture serve --pull-budget-bytes`;
       * review16c N12): at least one pull request (128 KiB), default 8 MiB.
       */
      pullBudgetBytes: field(
        integer(MIN_READER_PULL_BYTES, MAX_READER_PULL_BYTES),
        READER_PULL_BYTES,
      ),
    },
    { moved: { servers: MOVED_TO_CLUSTER_NATS } },
  ),
);

/**
 * The host name `capture.nats` publishes and reads as: `host`, or for ''
 * this machine's identity (`defaultReaderId`: its host name, or for a
 * `localhost` its machine-id), as `netrx capture serve` names its readers.
 */
export function captureNatsHost(
  nats: Pick<HostConfig['capture']['nats'], 'host'>,
  machine: () => string = defaultReaderId,
): { readonly host: string; readonly derived: boolean } {
  return nats.host === ''
    ? { host: machine(), derived: true }
    : { host: nats.host, derived: false };
}

export function checkCaptureNats(config: HostConfig): void {
  const { nats, sessions } = config.capture;
  const local = new Set(sessions.map((s) => s.name));
  nats.publish.forEach((name, i) => {
    if (!local.has(name))
      throw new ConfigError(
        `capture.nats.publish[${i}]`,
        `${JSON.stringify(name)} is not a session of capture.sessions`,
      );
  });
  const served = new Set<string>();
  nats.serve.forEach((entry, i) => {
    if (local.has(entry.name) || served.has(entry.name))
      throw new ConfigError(
        `capture.nats.serve[${i}].name`,
        `${JSON.stringify(entry.name)} is already a session of this host`,
      );
    served.add(entry.name);
  });
  // The event stream is a work queue: each host's events go to one reader. Two entries that
  // could both match a host would fight over it (the second refused, 10100), so refuse them here.
  nats.serve.forEach((entry, i) => {
    const stream = entry.stream === '' ? entry.name : entry.stream;
    nats.serve.slice(0, i).forEach((earlier, j) => {
      const earlierStream = earlier.stream === '' ? earlier.name : earlier.stream;
      if (earlierStream === stream && patternsOverlap(earlier.hosts, entry.hosts))
        throw new ConfigError(
          `capture.nats.serve[${i}].hosts`,
          `${JSON.stringify(entry.hosts)} and capture.nats.serve[${j}].hosts ${JSON.stringify(earlier.hosts)} can match the same host on stream ${JSON.stringify(stream)}: each host's events go to one reader (a work queue), so give the entries disjoint hosts`,
        );
    });
  });
}
