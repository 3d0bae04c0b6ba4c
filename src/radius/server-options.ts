/** The RADIUS server's settings, defaults, records and counters. */
import type { SharedConversations } from './conversation-kv.js';
import type { AuthenticationProvider, EapMethod, UserStore } from '../eap/index.js';
import type { Clock, Crypto } from '../runtime/index.js';
import type { TraceRegistry } from '../trace/index.js';
import type { RadiusClientEntry, RadiusClientOptions, RadiusClientTable } from './clients.js';

/** Where a datagram came from or goes to. */
export interface RadiusEndpoint {
  readonly address: string;
  readonly port: number;
  /**
   * The transport's tag for the socket a request arrived on; the server hands
   * it back in `send` so every answer, late (asynchronous provider) or not,
   * leaves from that same socket.
   */
  readonly listener?: string;
  /**
   * The client the transport identified (RadSec: the entry the TLS peer's
   * certificate maps to). When set, the server uses it and does not look the
   * address up in its client table.
   */
  readonly client?: RadiusClientEntry;
}

/** Which port a datagram arrived on: authentication (1812) or accounting (1813). */
export type RadiusService = 'auth' | 'acct';

/** One Accounting-Request, as recorded (RFC 2866). */
export interface AccountingRecord {
  /** Clock time it was received. */
  readonly at: number;
  readonly client: string;
  readonly from: RadiusEndpoint;
  /** Acct-Status-Type: 1 Start, 2 Stop, 3 Interim-Update, 7 Accounting-On, 8 Accounting-Off. */
  readonly statusType: number | undefined;
  readonly sessionId: string | undefined;
  readonly userName: string | undefined;
  /** Every attribute by dictionary name, values decoded for people. */
  readonly attributes: readonly { readonly name: string; readonly value: string | number }[];
}

/** An accounting session between its Start and its Stop. */
export interface AccountingSession {
  readonly client: string;
  readonly sessionId: string;
  readonly userName: string | undefined;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly interimUpdates: number;
}

export interface RadiusServerOptions {
  readonly clock: Clock;
  readonly crypto: Crypto;
  readonly clients: readonly RadiusClientOptions[] | RadiusClientTable;
  /** Sends one datagram. The bytes are the server's: the callee may keep them. */
  readonly send: (datagram: Uint8Array, to: RadiusEndpoint) => void;
  /** EAP methods in policy order (the first is proposed first). */
  readonly methods: readonly EapMethod[];
  /** Checks credentials behind `authenticate` (and PAP); or give `users`. */
  readonly provider?: AuthenticationProvider;
  /** A user store for the local provider when `provider` is not given. */
  readonly users?: UserStore;
  /** An EAP conversation with no valid Response for this long ends; default 30 000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Conversations in progress at once; more are refused (dropped, counted); default 4096. */
  readonly maxSessions?: number;
  /** Conversations one client (one entry of `clients`) may have at once; more are dropped (client-sessions-full); default 1024. */
  readonly maxSessionsPerClient?: number;
  /**
   * MS-MPPE-Encryption-Policy (1 allowed, 2 required) and MS-MPPE-Encryption-Types
   * (bits: 2 40-bit, 4 128-bit) sent beside MS-MPPE keys in Access-Accept;
   * false sends neither. Default { policy: 1, types: 6 }, as FreeRADIUS.
   */
  readonly mppeEncryption?: { readonly policy: number; readonly types: number } | false;
  /** How long a response is kept to answer a retransmitted request (RFC 5080 §2.2.2); default 5000 ms. */
  readonly duplicateWindowMs?: number;
  /** Responses kept for duplicates; the oldest goes first; default 8192. */
  readonly maxCachedResponses?: number;
  /** Proxy-State attributes a request may carry; more drop it; default 4. */
  readonly maxProxyStates?: number;
  /** Receives each verified Accounting-Request; if it throws, no response is sent (RFC 2866 §2). */
  readonly accounting?: (record: AccountingRecord) => void;
  /** Accounting sessions tracked between Start and Stop; default 8192 (the oldest is forgotten). */
  readonly maxAccountingSessions?: number;
  readonly trace?: TraceRegistry;
  /**
   * Octets every State this server sets begins with (then 16 random ones);
   * default none. A server running as worker i of a pool is given
   * `workerStatePrefix(i)` (worker-route.ts) so later rounds find it.
   */
  readonly statePrefix?: Uint8Array;
  /**
   * The cluster's bucket of sealed conversation state (conversation-kv.ts):
   * conversations whose method can save its state (Identity, MD5,
   * MSCHAPv2) are written there before each Access-Challenge and released
   * here, so any server of the cluster answers their next round. Default
   * none: everything stays in memory.
   */
  readonly sharedConversations?: SharedConversations;
  /**
   * With `sharedConversations`: conversations whose record this server
   * wrote, kept here between rounds so a round that comes back needs no
   * read (least recently used out first); default 4096, 0 for none.
   */
  readonly maxCachedConversations?: number;
}

export const RADIUS_SERVER_DEFAULTS = {
  sessionTimeoutMs: 30_000,
  maxSessions: 4096,
  maxSessionsPerClient: 1024,
  mppeEncryption: { policy: 1, types: 6 } as { readonly policy: number; readonly types: number },
  duplicateWindowMs: 5000,
  maxCachedResponses: 8192,
  maxProxyStates: 4,
  maxAccountingSessions: 8192,
} as const;

export interface RadiusServerStats {
  readonly received: number;
  readonly sent: number;
  /**
   * Retransmits answered again: from the duplicate cache (same source,
   * Identifier and Request Authenticator), or an EAP Response a
   * conversation answered already, sent from another socket or under
   * another Identifier (its last answer, or an ended one's Accept/Reject).
   */
  readonly duplicatesAnswered: number;
  readonly sessions: number;
  /** Entries in the duplicate-request cache (at most `maxCachedResponses`). */
  readonly cachedResponses: number;
  readonly sessionsStarted: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly challenged: number;
  readonly expired: number;
  /** Access-Requests rejected because User-Name was not the EAP identity. */
  readonly identityMismatches: number;
  readonly accountingRecords: number;
  readonly droppedTotal: number;
  /**
   * Drops by reason: malformed:<code>, unknown-client, message-authenticator-missing,
   * message-authenticator-bad, message-authenticator-not-first,
   * message-authenticator-duplicate, too-many-proxy-state, sessions-full,
   * client-sessions-full, proxy-state-without-message-authenticator,
   * duplicate-in-progress, eap-discarded, busy, wrong-port, unexpected-code,
   * bad-request-authenticator, accounting-sink-failed, …
   */
  readonly dropped: Readonly<Record<string, number>>;
}
