/**
 * What the RADIUS server keeps per request and per EAP conversation, and
 * the small EAP checks it makes before a packet reaches a conversation.
 */
import type { EapAuthenticator } from '../eap/index.js';
import type { RadiusClientEntry } from './clients.js';
import type { AnsweredRound } from './conversation-record.js';
import { packedKey } from './duplicate-cache.js';
import type { RadiusAttribute } from './packet.js';
import type { RadiusEndpoint } from './server-options.js';

/** The request a response answers. */
export interface RequestContext {
  readonly client: RadiusClientEntry;
  readonly from: RadiusEndpoint;
  readonly identifier: number;
  readonly authenticator: Uint8Array;
  readonly proxyStates: readonly RadiusAttribute[];
  readonly cacheKey: string;
  readonly userName: Uint8Array | undefined;
}

export interface Conversation {
  /** The State and its table key: they change once, when a server takes a shared conversation over (server-eap-shared.ts). */
  key: string;
  state: Uint8Array;
  readonly client: RadiusClientEntry;
  /** The NAS address that began it: a State is honoured from that NAS only. */
  readonly address: string;
  /** The peer's Response/Identity text; a later User-Name must equal it. */
  readonly identity: Uint8Array | undefined;
  readonly eap: EapAuthenticator;
  /**
   * When this server began it (its clock), for the duration RadiusSessionEnded
   * reports; undefined for one restored from a cluster's bucket, begun elsewhere.
   */
  readonly startedAtMs: number | undefined;
  current: RequestContext | undefined;
  /** While true, the authenticator's own Request/Identity is not sent (the NAS asked already). */
  swallow: boolean;
  result: Uint8Array | undefined;
  /** Ended because a new Response/Identity replaced it: not counted as expired. */
  replaced: boolean;
  /** With a cluster's bucket: the revision of its record this server read or wrote, if any. */
  sharedRevision: number | undefined;
  /** Writes of its record so far (the sealed round). */
  sharedRound: number;
  /** Its record is being written: the answer waits for the bucket. */
  writing: boolean;
  /** Restored from the bucket for the round in hand (forgotten again if that round never reaches it). */
  restored: boolean;
  /** The EAP Response fed last (a copy, kept with a shared bucket only): the round a write answers. */
  responseEap: Uint8Array | undefined;
  /** Restored from a record: the round that record's writer answered (retransmits of it are answered again), until this server answers one. */
  answered: AnsweredRound | undefined;
  /** The last round this server answered: the EAP Response (the copy fed) and the EAP Request sent for it (review16c N3). */
  lastAnswer: { readonly response: Uint8Array; readonly request: Uint8Array } | undefined;
  /** Kept between rounds at `sharedRevision` (conversation-store.ts): not in progress. */
  cached: boolean;
  /**
   * The round in hand began from the cached state: if its write finds
   * another revision, the cache was stale, and the round is run again from
   * the bucket's record (`roundEap` is its EAP-Message, copied).
   */
  roundEap: Uint8Array | undefined;
}

/** The conversation table's key for a State value. */
export const stateKey = packedKey;

/** Byte-for-byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((octet, i) => octet === b[i]);
}

/** A User-Name, when present, must equal the EAP identity byte for byte. */
export function sameUserName(
  identity: Uint8Array | undefined,
  userName: Uint8Array | undefined,
): boolean {
  if (userName === undefined) return true;
  if (identity === undefined) return true;
  return identity.length === userName.length && identity.every((b, i) => b === userName[i]);
}

/** An EAP Response (code 2) of type Identity (1). */
export function isIdentityResponse(eap: Uint8Array): boolean {
  return eap[0] === 2 && eap.length >= 5 && eap[4] === 1;
}

/** The largest duration an i32 field carries (about 24 days): longer ones are said as this. */
const MAX_DURATION_MS = 0x7fff_ffff;

/**
 * How long `conversation` has run at `nowMs`, whole milliseconds, for
 * RadiusSessionEnded; -1 when it was begun on another server (restored).
 */
export function durationOf(conversation: Conversation, nowMs: number): number {
  if (conversation.startedAtMs === undefined) return -1;
  return Math.min(MAX_DURATION_MS, Math.max(0, Math.round(nowMs - conversation.startedAtMs)));
}
