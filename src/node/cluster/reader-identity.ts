/**
 * A capture server's identity in its reader's durable consumers (review16
 * R2). Under `netrx up` it is `capture.nats.host`; for `netrx capture serve`
 * and the API it is `--reader-id` / `readerId`, by default derived from
 * this machine's host name (`readerIdFromHostName`), so two servers of one
 * session on two machines have two durables: the second is refused a host
 * the first holds (10100) instead of sharing its events, and a restarted
 * server binds its own durable again at once. Under `netrx up` the
 * default of `capture.nats.host` is the same identity.
 *
 * A machine whose name says nothing (`localhost`, `localhost.localdomain`,
 * the kernel's `(none)`, an empty name) would share its identity with every
 * other such machine, so its identity comes from its machine-id instead
 * when one can be read.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** What this machine's identity is derived from (injected by tests). */
export interface MachineIdentitySources {
  readonly hostName: () => string;
  /** A file's text, or undefined when it cannot be read. */
  readonly readFile: (path: string) => string | undefined;
}

/** Where the machine-id is (systemd's, then D-Bus's older copy), first readable one wins. */
export const MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'] as const;

const systemSources: MachineIdentitySources = {
  hostName: hostname,
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/** A host name that many unrelated machines share: it cannot tell them apart. */
function isNamelessHost(name: string): boolean {
  return /^(localhost.*|\(none\))?$/i.test(name);
}

/**
 * The machine-id, or undefined when no file holds one. systemd writes
 * `uninitialized` before the first boot completes and containers often
 * have an empty file: neither is an id.
 */
function readMachineId(readFile: MachineIdentitySources['readFile']): string | undefined {
  for (const path of MACHINE_ID_FILES) {
    const id = readFile(path)?.trim().toLowerCase();
    if (id !== undefined && /^[0-9a-f]{32}$/.test(id) && /[1-9a-f]/.test(id)) return id;
  }
  return undefined;
}

/**
 * This machine's reader identity: `readerIdFromHostName(os.hostname())`,
 * except for a nameless host (`isNamelessHost`) with a readable
 * machine-id, which is `machine-` and 8 hex digits of an HMAC-SHA256 keyed
 * with the machine-id. Keyed, as machine-id(5) asks, because the id is
 * confidential and durable names are visible to every NATS user.
 */
export function defaultReaderId(sources: MachineIdentitySources = systemSources): string {
  const name = sources.hostName();
  if (!isNamelessHost(name)) return readerIdFromHostName(name);
  const machineId = readMachineId(sources.readFile);
  if (machineId === undefined) return readerIdFromHostName(name);
  const digest = createHmac('sha256', machineId)
    .update('netrx reader identity')
    .digest('hex')
    .slice(0, DIGEST_HEX);
  return `machine-${digest}`;
}
