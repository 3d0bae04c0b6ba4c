/**
 * A publisher batch's `Nats-Msg-Id`: `<host>.<instance>.<batch>.t<first send>`,
 * the first send in milliseconds since the epoch on the publisher's clock.
 * Every retry of the batch sends the same ID (the stream's duplicate window
 * stores it once), and the time lets a reader tell a copy the stream may
 * have stored after that window (late-copies.ts). IDs of older publishers
 * have no time (`<host>.<instance>.<batch>`).
 */

/** The ID of batch `batch` of one publisher run, first sent at `firstSentMs`. */
export function batchId(
  host: string,
  instance: string,
  batch: number,
  firstSentMs: number,
): string {
  return `${host}.${instance}.${batch}.t${Math.floor(firstSentMs)}`;
}

/** The first send of a batch ID, or undefined for an ID without one (an older publisher, another writer). */
export function firstSentOf(id: string): number | undefined {
  const at = id.lastIndexOf('.t');
  if (at < 0) return undefined;
  const digits = id.slice(at + 2);
  if (!/^\d{1,16}$/.test(digits)) return undefined;
  return Number(digits);
}
