/**
 * Routing RADIUS requests among the workers of one server (several cores
 * behind one receiving socket: node/radius/worker-pool.ts). The rules:
 *
 * - A request carrying a State that a worker set goes to that worker: each
 *   worker's States begin with `workerStatePrefix(i)` (a marker octet, then
 *   the worker's number), so every later round of an EAP conversation
 *   reaches the worker holding its authenticator, whichever way its
 *   datagram's other octets hash.
 * - Any other request (a first round, PAP, CHAP, Status-Server, a State that
 *   names no worker) goes to the worker chosen by a hash of its duplicate
 *   key (RFC 5080 §2.2.2: source address and port, Identifier, Request
 *   Authenticator). A retransmission has the same key, so it reaches the
 *   worker that cached the answer: duplicate detection works per worker.
 *
 * The datagram is not parsed beyond the attribute headers; a malformed one
 * is routed by hash and dropped (counted) by the worker that gets it.
 */

import { canonicalAddress } from './nas-address.js';

/** First octet of a State a pooled worker sets: `n`. */
export const WORKER_STATE_MARKER = 0x6e;
/** Workers one server may run (the worker number is one octet). */
export const MAX_WORKERS = 255;

const STATE_ATTRIBUTE = 24;
const HEADER = 20;

/** The octets every State of worker `index` begins with. */
export function workerStatePrefix(index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_WORKERS) {
    throw new RangeError(
      `worker index must be an integer from 0 to ${MAX_WORKERS - 1}: got ${index}`,
    );
  }
  return Uint8Array.of(WORKER_STATE_MARKER, index);
}

/** Why a request went where it went. */
export type WorkerRoute =
  | { readonly worker: number; readonly by: 'state'; readonly hashWorker: number }
  | { readonly worker: number; readonly by: 'hash' };

/** The worker that set this State, or -1 when no worker of `workers` did. */
export function stateWorker(datagram: Uint8Array, workers: number): number {
  const length = Math.min(
    datagram.length,
    datagram.length >= 4 ? ((datagram[2] as number) << 8) | (datagram[3] as number) : 0,
  );
  let at = HEADER;
  while (at + 2 <= length) {
    const type = datagram[at] as number;
    const size = datagram[at + 1] as number;
    if (size < 2 || at + size > length) return -1;
    if (type === STATE_ATTRIBUTE) {
      if (size < 4 || datagram[at + 2] !== WORKER_STATE_MARKER) return -1;
      const worker = datagram[at + 3] as number;
      return worker < workers ? worker : -1;
    }
    at += size;
  }
  return -1;
}

/**
 * FNV-1a over the duplicate key: address, port, Identifier and Request
 * Authenticator (octets 1 and 4..19 of the datagram).
 */
export function duplicateKeyWorker(
  datagram: Uint8Array,
  address: string,
  port: number,
  workers: number,
): number {
  // The NAS's canonical address, as the duplicate cache keys it (`::ffff:10.0.0.1` is 10.0.0.1).
  const nas = canonicalAddress(address);
  let h = 0x811c9dc5;
  for (let i = 0; i < nas.length; i++) h = Math.imul(h ^ nas.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (port & 0xff), 0x01000193);
  h = Math.imul(h ^ (port >>> 8), 0x01000193);
  h = Math.imul(h ^ (datagram[1] ?? 0), 0x01000193);
  const end = Math.min(datagram.length, HEADER);
  for (let i = 4; i < end; i++) h = Math.imul(h ^ (datagram[i] as number), 0x01000193);
  return (h >>> 0) % workers;
}

/** Where a request from `address`:`port` goes among `workers` workers. */
export function routeRequest(
  datagram: Uint8Array,
  address: string,
  port: number,
  workers: number,
): WorkerRoute {
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new RangeError(`workers must be an integer from 1 to ${MAX_WORKERS}: got ${workers}`);
  }
  const hashWorker = workers === 1 ? 0 : duplicateKeyWorker(datagram, address, port, workers);
  const owner = stateWorker(datagram, workers);
  if (owner >= 0) return { worker: owner, by: 'state', hashWorker };
  return { worker: hashWorker, by: 'hash' };
}
