/**
 * The floor stream made sure of where a reader first needs it: at each
 * bind of its loss durable (nats.ts), before an upgrade stores adopted
 * floors there and before any takeover reads one (review16e L3). A reader
 * started by `capture serve` or a `netrx up` serve entry has made it
 * already (`ensureStream`, createOnly); one a program builds on a link
 * (`StreamSessionSource` alone) has not, and its floors would go nowhere
 * (no stream answers: `unsent`), so a next holder would count their loss
 * again.
 *
 * Only a missing stream is made here, never an existing one changed (that
 * is `ensureStream`'s, which tells each change): one info request per bind
 * when it exists. A new one takes the session's replicas and duplicate
 * window from its loss stream, which the publishers sized.
 */
import { resolveStreamLimits, wantedFloorStream, type StreamAdmin } from './stream-config.js';
import { floorStreamName } from './subjects.js';

/** Creates the floor stream of the session whose loss stream is `lossStream`, if it is missing. */
export async function ensureFloorStream(admin: StreamAdmin, lossStream: string): Promise<boolean> {
  const session = lossStream.slice('netrx-loss-'.length);
  const name = floorStreamName(session);
  if ((await admin.info(name, false)) !== undefined) return false;
  const loss = (await admin.info(lossStream, false))?.config;
  const windowMs = loss === undefined ? undefined : Math.round(loss.duplicate_window / 1_000_000);
  const limits = resolveStreamLimits({
    ...(loss === undefined ? {} : { replicas: Math.min(5, Math.max(1, loss.num_replicas)) }),
    ...(windowMs === undefined || windowMs < 1000 ? {} : { duplicateWindowMs: windowMs }),
  });
  await admin.add(name, wantedFloorStream(session, limits));
  return true;
}
