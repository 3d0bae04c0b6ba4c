/**
 * Names on the wire of capture fan-in: per capture session one JetStream
 * stream of events (`netrx-<session>`, subjects
 * `netrx.<session>.<host>.<provider>`) and one of loss reports
 * (`netrx-loss-<session>`, subjects `netrxloss.<session>.<host>.<instance>`,
 * one per publisher run). The session token is there because JetStream
 * streams may not share subjects: two sessions' streams need disjoint
 * subject spaces. Loss reports have a stream of their own so that a full
 * event stream can never refuse the report of what it refused.
 *
 * Host names are 1 to 16 of `A-Z a-z 0-9 _ -`: valid subject tokens and
 * small enough to ride, zero-padded, as the delivered EventRecord's
 * ActivityId (the host of origin; `hostFromActivityId` reads it back).
 */
import { guidToBytes } from '../../wire/index.js';

const TOKEN = /^[A-Za-z0-9_-]+$/;
export const MAX_HOST_LENGTH = 16;
export const MAX_CLUSTER_SESSION_LENGTH = 32;
/** Publisher run names (`instance`): a subject token of 1 to 64 characters. */
const INSTANCE = /^[A-Za-z0-9_-]{1,64}$/;

export function checkHostName(host: string): string {
  if (
    typeof host !== 'string' ||
    host.length === 0 ||
    host.length > MAX_HOST_LENGTH ||
    !TOKEN.test(host)
  ) {
    throw new TypeError(
      `A cluster host name is 1 to ${MAX_HOST_LENGTH} of A-Z a-z 0-9 _ -: got ${JSON.stringify(host)}`,
    );
  }
  return host;
}

export function checkClusterSessionName(session: string): string {
  if (
    typeof session !== 'string' ||
    session.length === 0 ||
    session.length > MAX_CLUSTER_SESSION_LENGTH ||
    !TOKEN.test(session)
  ) {
    throw new TypeError(
      `A session published over NATS is named with 1 to ${MAX_CLUSTER_SESSION_LENGTH} of A-Z a-z 0-9 _ -: got ${JSON.stringify(session)}`,
    );
  }
  return session;
}

/** Host patterns: a name, or a glob with `*` (any run) and `?` (one character). */
export function checkHostPattern(pattern: string): string {
  if (
    typeof pattern !== 'string' ||
    pattern.length === 0 ||
    pattern.length > 64 ||
    !/^[A-Za-z0-9_*?-]+$/.test(pattern)
  ) {
    throw new TypeError(
      `A host pattern is a host name with * and ? wildcards: got ${JSON.stringify(pattern)}`,
    );
  }
  return pattern;
}

export function streamName(session: string): string {
  return `netrx-${checkClusterSessionName(session)}`;
}

export function sessionSubjects(session: string): string {
  return `netrx.${checkClusterSessionName(session)}.>`;
}

/** A provider name as a subject token: characters outside A-Z a-z 0-9 _ - become `_`, never a leading `_`. */
export function providerToken(name: string): string {
  const token = name.replace(/[^A-Za-z0-9_-]/g, '_');
  return token.length === 0 || token.startsWith('_') ? `p${token}` : token;
}

export function eventSubject(session: string, host: string, provider: string): string {
  return `netrx.${session}.${host}.${providerToken(provider)}`;
}

export function checkInstanceName(instance: string): string {
  if (typeof instance !== 'string' || !INSTANCE.test(instance)) {
    throw new TypeError(`A publisher instance is 1 to 64 of A-Z a-z 0-9 _ -`);
  }
  return instance;
}

export function isInstanceName(instance: unknown): instance is string {
  return typeof instance === 'string' && INSTANCE.test(instance);
}

export function lossStreamName(session: string): string {
  return `netrx-loss-${checkClusterSessionName(session)}`;
}

export function lossStreamSubjects(session: string): string {
  return `netrxloss.${checkClusterSessionName(session)}.>`;
}

/**
 * The floor stream of `session` (review16e L3): each host's newest loss
 * floor, one per subject. `netrxfloor-` is no event stream's name (those
 * are `netrx-<session>`) nor a loss stream's, whatever the session.
 */
export function floorStreamName(session: string): string {
  return `netrxfloor-${checkClusterSessionName(session)}`;
}

/** The floor stream's subjects: `netrxfloor.<session>.<host>`, published by readers only. */
export function floorStreamSubjects(session: string): string {
  return `netrxfloor.${checkClusterSessionName(session)}.*`;
}

export function isFloorStream(stream: string): boolean {
  return stream.startsWith('netrxfloor-');
}

/** One publisher run's loss reports: the stream keeps the last few per subject. */
export function lossSubject(session: string, host: string, instance: string): string {
  return `netrxloss.${session}.${host}.${instance}`;
}

/** The loss-report filter for a host pattern (as `filterSubject`). */
export function lossFilterSubject(session: string, pattern: string): string {
  return /[*?]/.test(pattern) ? `netrxloss.${session}.*.*` : `netrxloss.${session}.${pattern}.*`;
}

/** Whether a host pattern is a glob (`*`, `?`) rather than one host's name. */
export function isHostGlob(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/**
 * The event consumer filter of one host: always literal. The event stream
 * is a work queue, where a consumer's filter is a claim (an ack deletes, and
 * the server refuses overlapping filters), so a glob is never a filter: the
 * reader claims each matching host found in the stream (`streamHosts`).
 */
export function filterSubject(session: string, host: string): string {
  return `netrx.${checkClusterSessionName(session)}.${checkHostName(host)}.>`;
}

/**
 * Whether some host name (1 to MAX_HOST_LENGTH characters) matches both
 * patterns: a walk over position pairs of the two globs, where `*` may
 * match nothing or one more character and `?` or a literal match one.
 */
export function patternsOverlap(a: string, b: string): boolean {
  checkHostPattern(a);
  checkHostPattern(b);
  const seen = new Set<number>();
  const pending: [number, number, number][] = [[0, 0, 0]];
  const push = (i: number, j: number, length: number) => {
    const key = (i * 65 + j) * (MAX_HOST_LENGTH + 1) + length;
    if (!seen.has(key)) {
      seen.add(key);
      pending.push([i, j, length]);
    }
  };
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [i, j, length] = next;
    const ca = a[i];
    const cb = b[j];
    if (ca === '*') push(i + 1, j, length);
    if (cb === '*') push(i, j + 1, length);
    if (ca === undefined && cb === undefined && length > 0) return true;
    if (ca === undefined || cb === undefined || length === MAX_HOST_LENGTH) continue;
    const wild = (c: string) => c === '*' || c === '?';
    if (wild(ca) || wild(cb) || ca === cb) {
      push(ca === '*' ? i : i + 1, cb === '*' ? j : j + 1, length + 1);
    }
  }
  return false;
}

export function hostMatcher(pattern: string): (host: string) => boolean {
  checkHostPattern(pattern);
  const source = pattern.replace(/[*?]/g, (c) => (c === '*' ? '.*' : '.'));
  const regex = new RegExp(`^${source}$`);
  return (host) => regex.test(host);
}

export interface ParsedSubject {
  readonly session: string;
  readonly host: string;
  /** The provider token (event subjects) or the publisher instance (loss subjects). */
  readonly provider: string;
}

/** An event subject (`netrx.…`), or with `prefix: 'netrxloss'` a loss subject. */
export function parseSubject(
  subject: string,
  prefix: 'netrx' | 'netrxloss' = 'netrx',
): ParsedSubject | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== prefix) return undefined;
  const [, session, host, provider] = parts as [string, string, string, string];
  if (!TOKEN.test(session) || !TOKEN.test(host) || host.length > MAX_HOST_LENGTH) return undefined;
  if (!TOKEN.test(provider)) return undefined;
  return { session, host, provider };
}

/** The host name as the 16 bytes of an ActivityId (ASCII, zero-padded). */
export function hostActivityId(host: string): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < host.length && i < 16; i++) bytes[i] = host.charCodeAt(i) & 0x7f;
  return bytes;
}

/** Reads a host of origin back from an ActivityId's 16 bytes (or GUID text, Windows byte order). */
export function hostFromActivityId(activityId: Uint8Array | string): string {
  const bytes = typeof activityId === 'string' ? guidToBytes(activityId) : activityId;
  let host = '';
  for (let i = 0; i < 16 && i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0) break;
    host += String.fromCharCode(byte);
  }
  return host;
}
