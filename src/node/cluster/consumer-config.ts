/**
 * The configuration a capture reader wants of its durable consumers, and
 * how an existing consumer differs from it (review16c N4, N8).
 *
 * A durable outlives the reader that made it: a server restarted with a
 * wider `--hosts`, or a `netrx up` reload that widens an entry, binds the
 * same durable name again. JetStream keeps the durable's old config, so a
 * loss durable made for `lab-1` would go on filtering `netrxloss.<s>.lab-1.*`
 * and the new hosts' refusals would never be read. So before a durable is
 * used its config is compared with the wanted one, and on any difference
 * the consumer is deleted and made again (nats.ts; the fake does the same).
 * That is safe for both kinds: on the work-queue event stream the messages
 * a deleted consumer had delivered unacked go to the next consumer, and a
 * new loss durable reads every retained report again, which the loss
 * floors (loss-floors.ts) count exactly once. A loss durable made before
 * floors existed (no `inactive_threshold`) has left what its reader acked
 * as floors before it gets here (loss-upgrade.ts, verify16c V1).
 *
 * Every durable expires when idle (`inactive_threshold`): an event durable
 * after `claimExpiresMs` (it is a claim on its host), a loss durable after
 * LOSS_DURABLE_IDLE_MS (as long as the loss stream keeps reports), so the
 * durables of reader ids and sessions no longer used do not live for ever.
 */

/** A loss durable nobody read for this long is deleted by the server: the loss stream's `max_age`. */
export const LOSS_DURABLE_IDLE_MS = 7 * 24 * 3600 * 1000;

/** A consumer's `max_ack_pending`: messages delivered and not yet acked. */
export const MAX_ACK_PENDING = 4096;

/** The fields of a JetStream consumer config a capture reader sets (JetStream's names). */
export interface CaptureConsumerConfig {
  readonly filter_subject: string;
  readonly ack_policy: 'explicit';
  readonly deliver_policy: 'all';
  readonly max_ack_pending: number;
  /** Nanoseconds. */
  readonly inactive_threshold: number;
}

/** Whether `stream` is a session's loss stream (`netrx-loss-<session>`) rather than its event stream. */
export function isLossStream(stream: string): boolean {
  return stream.startsWith('netrx-loss-');
}

export function captureConsumerConfig(
  stream: string,
  filter: string,
  claimExpiresMs: number,
): CaptureConsumerConfig {
  const idleMs = isLossStream(stream) ? LOSS_DURABLE_IDLE_MS : claimExpiresMs;
  return {
    filter_subject: filter,
    ack_policy: 'explicit',
    deliver_policy: 'all',
    max_ack_pending: MAX_ACK_PENDING,
    inactive_threshold: idleMs * 1_000_000,
  };
}

/**
 * The names of the fields where `existing` (a consumer's config as the
 * server reports it) differs from `wanted`; empty when it can be used as
 * it is. A field the server left out counts as 0 or empty.
 */
export function consumerConfigDrift(
  existing: Readonly<Record<string, unknown>>,
  wanted: CaptureConsumerConfig,
): readonly string[] {
  const drift: string[] = [];
  for (const [field, value] of Object.entries(wanted)) {
    const have = existing[field] ?? (typeof value === 'number' ? 0 : '');
    if (have !== value) drift.push(field);
  }
  return drift;
}

/** The consumer calls of a JetStream manager that `ensureCaptureConsumer` needs. */
export interface ConsumerAdmin {
  /** The consumer's config, or undefined when there is no such consumer. */
  config(stream: string, durable: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  add(
    stream: string,
    config: CaptureConsumerConfig & { readonly durable_name: string },
  ): Promise<void>;
  delete(stream: string, durable: string): Promise<void>;
}

/**
 * Makes `durable` on `stream` have the `wanted` config: made when missing
 * (`onMissing` told first), deleted and made again when any field differs
 * (the fields, for a trace event naming the durable; empty when it was used
 * as it was or made new).
 */
export async function ensureCaptureConsumer(
  admin: ConsumerAdmin,
  stream: string,
  durable: string,
  wanted: CaptureConsumerConfig,
  onMissing?: () => void,
): Promise<readonly string[]> {
  const existing = await admin.config(stream, durable);
  if (existing === undefined) onMissing?.();
  const drift = existing === undefined ? [] : consumerConfigDrift(existing, wanted);
  if (existing !== undefined && drift.length === 0) return [];
  if (drift.length > 0) await admin.delete(stream, durable);
  await admin.add(stream, { durable_name: durable, ...wanted });
  return drift;
}
