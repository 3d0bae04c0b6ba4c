/**
 * A capture server's identity in its reader's durable consumers (review16
 * R2). Under `netrx up` it is `capture.nats.host`; for `netrx capture serve`
 * and the API it is `--reader-id` / `readerId`, by default this machine's
 * host name, so two servers of one session on two machines have two
 * durables: the second is refused a host the first holds (10100) instead of
 * sharing its events, and a restarted server binds its own durable again at once.
 */
import { hostname } from 'node:os';
import { checkHostName } from './subjects.js';

/** A reader identity is a cluster host name: 1 to 16 of A-Z a-z 0-9 _ -. */
export function checkReaderId(id: string): string {
  return checkHostName(id);
}

/**
 * A host name as a reader identity: its first label, other characters as
 * `-`, cut to 16 (`build-7.lab.example` → `build-7`); `reader` if nothing is left.
 */
export function readerIdFromHostName(name: string): string {
  const label = (name.split('.')[0] ?? '').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 16);
  return label.length === 0 ? 'reader' : label;
}

/** This machine's reader identity (`readerIdFromHostName(os.hostname())`). */
export function defaultReaderId(): string {
  return readerIdFromHostName(hostname());
}
