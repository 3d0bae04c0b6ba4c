/**
 * A capture server's identity in its reader's durable consumers (review16
 * R2). Under `netrx up` it is `capture.nats.host`; for `netrx capture serve`
 * and the API it is `--reader-id` / `readerId`, by default derived from
 * this machine's host name (`readerIdFromHostName`), so two servers of one
 * session on two machines have two durables: the second is refused a host
 * the first holds (10100) instead of sharing its events, and a restarted
 * server binds its own durable again at once.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { checkHostName } from './subjects.js';

/** A reader identity is a cluster host name: 1 to 16 of A-Z a-z 0-9 _ -. */
export function checkReaderId(id: string): string {
  return checkHostName(id);
}

/** Hex digits of the host name's digest in a derived identity (32 bits). */
const DIGEST_HEX = 8;
/** 16 = prefix + `-` + digest. */
const PREFIX_MAX = 16 - 1 - DIGEST_HEX;

/**
 * A host name as a reader identity. A name that already is one (a single
 * label of 1 to 16 host-name characters: `build-7`) is kept as it is.
 * Any other is a readable prefix (its first label, other characters as
 * `-`, in lower case, cut to 7) and 8 hex digits of the SHA-256 of the whole name in
 * lower case, so names that differ only after the cut or after the first
 * dot get different identities (review16c N1: `capture-server-01` and
 * `-02`, or `lab1.site-a` and `lab1.site-b`, became one durable and split
 * each host's events): `build-7.lab.example` → `build-7-xxxxxxxx`.
 * An empty name gives `reader`.
 */
export function readerIdFromHostName(name: string): string {
  if (name.length === 0) return 'reader';
  if (/^[A-Za-z0-9_-]{1,16}$/.test(name)) return name;
  const label = (name.toLowerCase().split('.')[0] ?? '')
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, PREFIX_MAX);
  const digest = createHash('sha256').update(name.toLowerCase()).digest('hex').slice(0, DIGEST_HEX);
  return `${label.length === 0 ? 'r' : label}-${digest}`;
}

/** This machine's reader identity (`readerIdFromHostName(os.hostname())`). */
export function defaultReaderId(): string {
  return readerIdFromHostName(hostname());
}
