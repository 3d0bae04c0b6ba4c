/**
 * The configured capture sessions (`capture.sessions`) in a session table:
 * created at the start, and on a reload changed one by one (review D7): a
 * session whose entry is unchanged keeps running, its connected client and
 * queue included; one whose entry changed or went away stops (its pending
 * receive completes, the rest counted as lost, as at any Stop) and is
 * replaced or deleted; a new entry starts a new session.
 */
import type { SessionTable } from '../../capture/index.js';
import type { HostConfig } from './config.js';
import { queueLimits } from './capture-service.js';

export type SessionEntry = HostConfig['capture']['sessions'][number];

/** Creates and starts the session of one `capture.sessions` entry. */
export function startConfiguredSession(table: SessionTable, session: SessionEntry): void {
  table
    .createSession({
      name: session.name,
      providers: session.providers.map((provider) => ({ provider, level: session.level })),
      limits: queueLimits(session.queueEvents),
    })
    .start();
}

/** Which entries of `before` go (changed or removed) and which of `after` come (changed or new). */
export function sessionChanges(
  before: readonly SessionEntry[],
  after: readonly SessionEntry[],
): { readonly gone: readonly string[]; readonly come: readonly SessionEntry[] } {
  const old = new Map(before.map((s) => [s.name, JSON.stringify(s)]));
  const wanted = new Map(after.map((s) => [s.name, JSON.stringify(s)]));
  return {
    gone: before.filter((s) => wanted.get(s.name) !== old.get(s.name)).map((s) => s.name),
    come: after.filter((s) => old.get(s.name) !== wanted.get(s.name)),
  };
}

/** Applies `sessionChanges(before, after)` to `table`, touching no other session. */
export function replaceChangedSessions(
  table: SessionTable,
  before: readonly SessionEntry[],
  after: readonly SessionEntry[],
): void {
  const { gone, come } = sessionChanges(before, after);
  for (const name of gone) {
    const session = table.session(name);
    if (session === undefined) continue;
    if (session.state === 'Running') session.stop();
    table.deleteSession(name);
  }
  for (const session of come) startConfiguredSession(table, session);
}
