/**
 * RADIUS servers sharing a cluster answer the later rounds of each other's
 * EAP conversations by forwarding: a request whose State names another
 * server (cluster-route.ts) goes, with the NAS's address and the client
 * entry it matched, to that server over a `RadiusClusterLink` (NATS
 * request/reply in netrx/node; the core knows only this interface). The
 * owner processes it as if it had received it directly (its own client
 * table, Message-Authenticator check, duplicate cache, conversation) and
 * hands the signed response back; the receiving server sends it to the
 * NAS from the socket the request came in on. This covers every method,
 * TLS-based ones included, whose TLS engine state cannot leave the process.
 *
 * Failure is cheap and visible: an owner that is gone (no responder), slow
 * (no answer within `forwardTimeoutMs`) or unreachable means the request
 * is dropped, counted and traced (`cluster-owner-unavailable`,
 * `cluster-forward-timeout`, `cluster-forward-failed`), so the NAS
 * retransmits and, when the owner stays away, its conversation fails; the
 * supplicant's next attempt begins with a Response/Identity, which always
 * starts locally. At most `maxForwardsInFlight` requests wait for owners
 * (more: `cluster-forward-busy`), and the owner keeps at most
 * `maxServing` forwarded requests awaiting its core's answer.
 */
import type { Clock } from '../runtime/index.js';
import type { SharedConversations, SharedConversationStats } from './conversation-kv.js';
import {
  checkClusterToken,
  clusterRound,
  type ClusterRound,
  decodeForwardedRequest,
  encodeForwardedRequest,
} from './cluster-route.js';
import { canonicalAddress, sameAddress } from './nas-address.js';
import { RadiusCode } from './packet.js';
import type { RadiusServer } from './server.js';
import type { RadiusEndpoint, RadiusService } from './server-options.js';

/** What asking an owner gave. The link never rejects: every failure is one of these. */
export type ClusterRequestOutcome =
  /** The owner's answer: a RADIUS datagram, or empty when it answers nothing (it dropped the request). */
  | { readonly kind: 'answered'; readonly data: Uint8Array }
  /** Nobody serves that server id (NATS "no responders"): the owner is gone. */
  | { readonly kind: 'unavailable' }
  /** No answer within the time given. */
  | { readonly kind: 'timeout' }
  /** The link could not ask (disconnected, closed). */
  | { readonly kind: 'failed'; readonly reason: string };

/** One forwarded request at its owner; `respond` sends the answer (at most once). */
export type ForwardedRequestHandler = (
  message: Uint8Array,
  respond: (answer: Uint8Array) => void,
) => void;

/** The transport between the servers of one cluster (netrx/node: NATS request/reply). */
export interface RadiusClusterLink {
  /** Sends `message` to the server `owner` and resolves with its answer or the failure. */
  request(owner: string, message: Uint8Array, timeoutMs: number): Promise<ClusterRequestOutcome>;
  /** Receives the requests addressed to `serverId` until `stop`. */
  serve(serverId: string, handler: ForwardedRequestHandler): { stop(): void };
}

export interface RadiusClusterOptions {
  /** This server's id (a subject token); its States carry it (set the server's statePrefix to clusterStatePrefix(serverId)). */
  readonly serverId: string;
  readonly link: RadiusClusterLink;
  readonly clock: Clock;
  /** How long a receiving server waits for the owner's answer; default 1000 ms (below a NAS's retransmission interval). */
  readonly forwardTimeoutMs?: number;
  /** Forwards waiting for owners at once; default 1024. */
  readonly maxForwardsInFlight?: number;
  /** Forwarded requests this server holds awaiting its core's answer; default 1024. */
  readonly maxServing?: number;
  /**
   * The bucket of sealed conversation state the servers share: a later
   * round whose conversation it holds is answered here, restored, and not
   * forwarded (the RadiusServer must be given the same object as
   * `sharedConversations`). Default none: forwarding only.
   */
  readonly shared?: SharedConversations;
}

export const RADIUS_CLUSTER_DEFAULTS = {
  forwardTimeoutMs: 1000,
  maxForwardsInFlight: 1024,
  maxServing: 1024,
} as const;

export interface RadiusClusterStats {
  /** Requests sent to their owner. */
  forwarded: number;
  /** Of those, answered by the owner (the answer went to the NAS). */
  answered: number;
  /** Of those, the owner answered nothing (it dropped the request, counted there). */
  ownerDropped: number;
  /** Dropped here: the owner is gone (no responder). */
  ownerUnavailable: number;
  /** Dropped here: no answer within forwardTimeoutMs. */
  timeouts: number;
  /** Dropped here: the link could not ask. */
  failed: number;
  /** Dropped here: maxForwardsInFlight were waiting. */
  busy: number;
  /** Forwarded requests this server processed as owner. */
  served: number;
  /** Of forwarded requests received: malformed, client mismatch, or maxServing reached (answered empty). */
  serveRefused: number;
  /** Forwarded requests whose answer came after forwardTimeoutMs (not sent: the receiver gave up). */
  servedLate: number;
  /** Later rounds answered here from the bucket (not forwarded). */
  restored: number;
  /** The bucket's counters, with `shared`. */
  shared?: SharedConversationStats;
}

/** Listener tags of forwarded requests begin with this (the transport's own tags are numbers). */
const FORWARD_TAG = 'cluster:';

export class RadiusCluster {
  readonly serverId: string;
  private readonly options: RadiusClusterOptions;
  private readonly server: RadiusServer;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxServing: number;
  private inFlight = 0;
  private nextTag = 0;
  /** Forwarded requests awaiting this server's answer, by listener tag. */
  private readonly serving = new Map<string, (answer: Uint8Array) => void>();
  private readonly counters: RadiusClusterStats = {
    forwarded: 0,
    answered: 0,
    ownerDropped: 0,
    ownerUnavailable: 0,
    timeouts: 0,
    failed: 0,
    busy: 0,
    served: 0,
    serveRefused: 0,
    servedLate: 0,
    restored: 0,
  };
  private readonly serveHandle: { stop(): void };

  constructor(server: RadiusServer, options: RadiusClusterOptions) {
    this.serverId = checkClusterToken('server id', options.serverId);
    this.options = options;
    this.server = server;
    const d = RADIUS_CLUSTER_DEFAULTS;
    this.timeoutMs = positive('forwardTimeoutMs', options.forwardTimeoutMs, d.forwardTimeoutMs);
    this.maxInFlight = positive(
      'maxForwardsInFlight',
      options.maxForwardsInFlight,
      d.maxForwardsInFlight,
    );
    this.maxServing = positive('maxServing', options.maxServing, d.maxServing);
    this.serveHandle = options.link.serve(this.serverId, (message, respond) =>
      this.serve(message, respond),
    );
  }

  stats(): RadiusClusterStats {
    const shared = this.options.shared;
    return shared === undefined
      ? { ...this.counters }
      : { ...this.counters, shared: shared.stats() };
  }

  /** Forwards waiting for their owner now. */
  get forwardsInFlight(): number {
    return this.inFlight;
  }

  /**
   * One datagram from a NAS: handled here, or sent to the server owning its
   * conversation, whose answer `reply` sends to the NAS.
   */
  receive(
    datagram: Uint8Array,
    from: RadiusEndpoint,
    service: RadiusService,
    reply: (answer: Uint8Array) => void,
  ): void {
    const round = service === 'auth' ? clusterRound(datagram) : undefined;
    if (round === undefined) {
      this.server.receive(datagram, from, service);
      return;
    }
    // In memory here (cached between rounds, or kept local while NATS was away), or a
    // retransmit this server answered (its duplicate cache re-sends it): answered here.
    if (this.server.hasConversation(round.state) || this.server.hasAnswered(datagram, from)) {
      this.server.receive(datagram, from, 'auth');
      return;
    }
    const shared = this.options.shared;
    if (shared !== undefined) {
      this.fromBucket(shared, round, datagram, from, reply);
      return;
    }
    this.toOwner(round.owner, datagram, from, reply);
  }

  /**
   * A later round of a conversation not in memory here: its record in the
   * bucket, restored, answers it here; without a record (a TLS-based
   * method, or NATS away), its owner answers (forwarded).
   */
  private fromBucket(
    shared: SharedConversations,
    round: ClusterRound,
    datagram: Uint8Array,
    from: RadiusEndpoint,
    reply: (answer: Uint8Array) => void,
  ): void {
    const state = round.state.slice(); // deliberate copy: kept across the read
    const drop = (reason: string) =>
      this.server.drop(reason, from, RadiusCode.AccessRequest, datagram[1]);
    void shared.load(state).then((loaded) => {
      switch (loaded.kind) {
        case 'found': {
          // A retransmit of the round the record answered is answered again (the core re-sends it;
          // for a finished record, its Accept or Reject). Keyed on the EAP Response, not the
          // RADIUS fields: a NAS failing over may send it from another port or under another
          // Identifier (conversation-record.ts).
          const retransmit = shared.isRetransmit(
            loaded.record.answered,
            round.eapIdentifier,
            round.eapParts,
          );
          // Any other round than the one it awaits (the peer ahead, a late NAS) answers nothing;
          // a finished conversation awaits none (only its last round's retransmit is answered).
          const finished = loaded.record.finished !== undefined;
          if (
            !retransmit &&
            (finished || loaded.version.awaitedIdentifier !== round.eapIdentifier)
          ) {
            drop(this.server.staleSharedRound(finished));
            return;
          }
          const refused = this.server.restoreConversation(loaded, state);
          if (refused !== undefined) {
            drop(refused);
            return;
          }
          this.counters.restored++;
          this.server.receive(datagram, from, 'auth');
          this.server.settleRestored(state);
          return;
        }
        case 'refused':
          drop(this.server.refuseSharedRecord(loaded.reason));
          return;
        case 'absent':
        case 'failed':
          this.toOwner(round.owner, datagram, from, reply);
          return;
      }
    });
  }

  private toOwner(
    owner: string,
    datagram: Uint8Array,
    from: RadiusEndpoint,
    reply: (answer: Uint8Array) => void,
  ): void {
    if (owner === this.serverId) {
      this.server.receive(datagram, from, 'auth');
      return;
    }
    const client = from.client ?? this.server.clientFor(from.address);
    // An unknown client gets no forward: the local core drops it (unknown-client).
    if (client === undefined) {
      this.server.receive(datagram, from, 'auth');
      return;
    }
    const drop = (reason: string) =>
      this.server.drop(reason, from, RadiusCode.AccessRequest, datagram[1]);
    if (this.inFlight >= this.maxInFlight) {
      this.counters.busy++;
      drop('cluster-forward-busy');
      return;
    }
    const message = encodeForwardedRequest({
      // Canonical: the owner's duplicate cache and NAS check see one spelling from every receiver.
      address: canonicalAddress(from.address),
      port: from.port,
      client: client.name,
      datagram,
    });
    this.inFlight++;
    this.counters.forwarded++;
    let settled = false;
    const settle = (outcome: ClusterRequestOutcome) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      this.inFlight--;
      switch (outcome.kind) {
        case 'answered':
          if (outcome.data.length === 0) {
            this.counters.ownerDropped++;
            drop('cluster-owner-dropped');
          } else {
            this.counters.answered++;
            reply(outcome.data);
          }
          return;
        case 'unavailable':
          this.counters.ownerUnavailable++;
          drop('cluster-owner-unavailable');
          return;
        case 'timeout':
          this.counters.timeouts++;
          drop('cluster-forward-timeout');
          return;
        case 'failed':
          this.counters.failed++;
          drop('cluster-forward-failed');
          return;
      }
    };
    // Our own bound, whatever the link does with the one it is given.
    const timer = this.options.clock.setTimer(this.timeoutMs, () => settle({ kind: 'timeout' }));
    this.options.link
      .request(owner, message, this.timeoutMs)
      .then(settle, (error: unknown) =>
        settle({ kind: 'failed', reason: error instanceof Error ? error.message : String(error) }),
      );
  }

  /**
   * The server's `send` goes through here first: an answer to a forwarded
   * request goes back over the link (true); any other is the transport's (false).
   */
  intercept(datagram: Uint8Array, to: RadiusEndpoint): boolean {
    const tag = to.listener;
    if (tag === undefined || !tag.startsWith(FORWARD_TAG)) return false;
    const respond = this.serving.get(tag);
    if (respond === undefined) {
      this.counters.servedLate++;
      return true;
    }
    this.serving.delete(tag);
    respond(datagram);
    return true;
  }

  /** Stops serving forwarded requests; forwards in flight still settle. */
  close(): void {
    this.serveHandle.stop();
    for (const respond of this.serving.values()) respond(new Uint8Array(0));
    this.serving.clear();
  }

  private serve(message: Uint8Array, respond: (answer: Uint8Array) => void): void {
    const request = decodeForwardedRequest(message);
    const refuse = () => {
      this.counters.serveRefused++;
      respond(new Uint8Array(0));
    };
    if (request === undefined) {
      refuse();
      return;
    }
    const from = { address: request.address, port: request.port };
    // The servers of a cluster share their client list: a NAS the receiver
    // matched to another entry (or that we do not know) is a configuration
    // mismatch, not a request to answer with a secret the NAS may not share.
    if (this.server.clientFor(request.address)?.name !== request.client) {
      this.server.drop('cluster-client-mismatch', from, request.datagram[0], request.datagram[1]);
      refuse();
      return;
    }
    // The envelope's NAS is the receiving server's word (review16c N9): a conversation held here
    // answers only the NAS it began with, as on the direct path, and is refused at once. An
    // envelope naming that very NAS is not checkable here: NATS permissions on the request
    // subjects decide who may send one (docs/cluster.md, trust boundary).
    const state = clusterRound(request.datagram)?.state;
    const nas = state === undefined ? undefined : this.server.conversationNas(state);
    if (
      nas !== undefined &&
      (!sameAddress(nas.address, request.address) || nas.client !== request.client)
    ) {
      this.server.drop('state-of-other-client', from, request.datagram[0], request.datagram[1]);
      refuse();
      return;
    }
    if (this.serving.size >= this.maxServing) {
      this.server.drop('cluster-serve-busy', from, request.datagram[0], request.datagram[1]);
      refuse();
      return;
    }
    const tag = `${FORWARD_TAG}${this.nextTag++}`;
    this.serving.set(tag, respond);
    this.counters.served++;
    // Forget it when the receiver has given up: a late answer is not sent.
    this.options.clock.setTimer(this.timeoutMs, () => {
      if (this.serving.delete(tag)) respond(new Uint8Array(0));
    });
    this.server.receive(request.datagram, { ...from, listener: tag }, 'auth');
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer`);
  return n;
}
