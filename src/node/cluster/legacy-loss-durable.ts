/**
 * Which consumers of a loss stream an upgrade may take as a reader of a
 * netrx from before loss floors (verify16c V1, V2; loss-upgrade.ts).
 *
 * Adopting a consumer turns its ack floor into stored loss floors: every
 * report it acked counts as delivered to a client, for good. So taking a
 * consumer netrx did not make suppresses loss with no count (review16d
 * D2): an operator's alerting durable made by `nats consumer add` (no
 * `inactive_threshold` by default) that acks what it reads floors all of
 * it, and the next reader's client never hears of that loss. A missing
 * threshold is not enough; the consumer must have the exact shape netrx
 * gave its loss durables before floors, from 5a10a3e (the loss stream) to
 * c5ee538 (the last before N8 added the threshold), unchanged in between:
 *
 * - pull (no `deliver_subject`), one `filter_subject`, no description;
 * - `ack_policy` explicit, `deliver_policy` all, `max_ack_pending` 4096;
 * - filter `netrxloss.<session>.*.*` (a glob `--hosts`) or
 *   `netrxloss.<session>.<host>.*` (one host), as `lossFilterSubject` made it;
 * - named `netrx-reader-<session>-loss` (the default before review16 R2),
 *   `netrx-reader-<session>-<id…>-loss` (the default since, and `netrx up`'s
 *   `netrx-reader-<session>-<entry>-<host>-loss`), or one of the names the
 *   reader says are its own (an API `durable` of any spelling).
 *
 * A consumer made to look like that on purpose is still adopted: the shape
 * keeps out what was made for another use, not what imitates a reader.
 */

/** Every loss durable netrx made before N8 had this `max_ack_pending` (nats.ts MAX_ACK_PENDING then). */
export const LEGACY_MAX_ACK_PENDING = 4096;

/** A host token in a single-host loss filter (subjects.ts TOKEN). */
const HOST_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Whether a consumer was made without an idle expiry (every netrx loss durable since N8 has one). */
export function hasNoIdleThreshold(config: Readonly<Record<string, unknown>>): boolean {
  const threshold = config.inactive_threshold;
  return typeof threshold !== 'number' || threshold <= 0;
}

/** A field netrx never set: absent, or the server's empty value. */
function unset(value: unknown): boolean {
  return value === undefined || value === '' || value === false;
}

/** Whether `filter` is one `lossFilterSubject(session, pattern)` made. */
export function isNetrxLossFilter(session: string, filter: unknown): boolean {
  if (typeof filter !== 'string') return false;
  const prefix = `netrxloss.${session}.`;
  if (!filter.startsWith(prefix)) return false;
  const [host, instance, ...more] = filter.slice(prefix.length).split('.');
  if (instance !== '*' || more.length > 0 || host === undefined) return false;
  return host === '*' || HOST_TOKEN.test(host);
}

/** Whether `name` is a loss durable name netrx gave, or one of the reader's `own`. */
export function isNetrxLossDurableName(
  session: string,
  name: string,
  own: readonly string[] = [],
): boolean {
  if (own.includes(name)) return true;
  const prefix = `netrx-reader-${session}`;
  if (name === `${prefix}-loss`) return true;
  return name.startsWith(`${prefix}-`) && name.endsWith('-loss') && name.length > prefix.length + 6;
}

/** A consumer of a session's loss stream, as its consumer info names and configures it. */
export interface LossConsumer {
  readonly session: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * Whether a loss stream's consumer is a netrx reader's loss durable from
 * before floors, whose ack floor says what its clients got. `own`: the
 * reader's own names (its current loss durable and earlier ones).
 */
export function isLegacyLossDurable(consumer: LossConsumer, own: readonly string[] = []): boolean {
  const { session, name, config } = consumer;
  return (
    hasNoIdleThreshold(config) &&
    isNetrxLossDurableName(session, name, own) &&
    config.ack_policy === 'explicit' &&
    config.deliver_policy === 'all' &&
    config.max_ack_pending === LEGACY_MAX_ACK_PENDING &&
    isNetrxLossFilter(session, config.filter_subject) &&
    unset(config.deliver_subject) &&
    unset(config.deliver_group) &&
    unset(config.description) &&
    unset(config.headers_only) &&
    (config.filter_subjects === undefined ||
      (Array.isArray(config.filter_subjects) && config.filter_subjects.length === 0))
  );
}
