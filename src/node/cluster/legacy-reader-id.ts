/**
 * The default reader id of the netrx before review16c N1, kept only to
 * find this machine's old loss durable after an upgrade (verify16c V2,
 * loss-upgrade.ts). It was the host name's first label, other characters
 * as `-`, cut to 16 (`capture-server-01.lab` → `capture-server-0`), or
 * `reader` when nothing was left. Never used for a new durable.
 */
import { hostname } from 'node:os';
import { readerIdFromHostName } from './reader-identity.js';

export function legacyReaderIdFromHostName(name: string): string {
  const label = (name.split('.')[0] ?? '').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 16);
  return label.length === 0 ? 'reader' : label;
}

/**
 * The durable prefix the netrx before N1 used for a reader of `session`
 * on the machine named `name`, when `readerId` is that machine's default
 * id now and the two differ; undefined otherwise (an explicit id, or a
 * name both derivations keep as it is).
 */
export function legacyDefaultDurable(
  session: string,
  readerId: string,
  name: string = hostname(),
): string | undefined {
  if (readerId !== readerIdFromHostName(name)) return undefined;
  const legacy = legacyReaderIdFromHostName(name);
  return legacy === readerId ? undefined : `netrx-reader-${session}-${legacy}`;
}
