/**
 * The LREC WebSocket server core: `netrx.lrec.v1` messages (protocol.ts) in
 * front of a `SessionTable`, sans-I/O. The host (netrx/node) authenticates
 * the upgrade, then wires each connection to `connect(sink)`: messages in
 * through `message`, `drained()` when the socket took what waited, and
 * `closed()` when it went away (rundown: the session stops, MS-LREC 3.1.6.1).
 *
 * The posted receive keeps its meaning. A session has one receive
 * outstanding (a second gets ERROR_ASYNC_REQUEST_PENDING, 616, as over RPC),
 * completed by data or the Data Completion Timer; the server never posts one
 * on the client's behalf. When the transport is congested (the sink answered
 * `'congested'`: more than the host's threshold waits unsent), a receive
 * that arrives is *deferred*: it is posted to the session only once the
 * socket drained. Meanwhile the session's bounded queue fills and counts its
 * loss, so a slow reader costs counted loss, never an unbounded socket
 * buffer. Every other reply (open and close results, refusals) written
 * while congested waits in the connection's backlog of at most
 * `maxPendingReplies` replies and goes out on drain; one more means the
 * client sends requests but does not read the answers, and the connection
 * is closed (1008, `SLOW_READER_REASON`, counted in `dropped['slow-reader']`).
 * So what waits on a connection that does not read is at most the threshold
 * plus the last write that crossed it (at most one EVENT_BUFFER or one reply)
 * plus one EVENT_BUFFER per handle plus `maxPendingReplies` replies (each
 * under 1 KiB: refusal messages are cut to MAX_REFUSAL_MESSAGE characters).
 * A `'dropped'` send means the host is cutting the client off.
 */
import { toHex } from '../../bytes/index.js';
import { NetrxError, type Crypto } from '../../runtime/index.js';
import type { SessionHandle, SessionTable } from '../session-table.js';
import {
  LrecWsStatus,
  encodeReply,
  parseRequest,
  type LrecWsReply,
  type LrecWsRequest,
} from './protocol.js';

export type LrecWsSendResult = 'sent' | 'congested' | 'dropped';

/** Where a connection's frames go. */
export interface LrecWsSink {
  sendText(text: string): LrecWsSendResult;
  sendBinary(bytes: Uint8Array): LrecWsSendResult;
  /** The server wants the connection closed with this WebSocket close code. */
  close(code: number, reason: string): void;
}

/** The close reason of a connection whose reply backlog overflowed. */
export const SLOW_READER_REASON = 'replies unread: the client does not read';

/** Characters of a refusal's message (it may quote a client's session name). */
export const MAX_REFUSAL_MESSAGE = 512;

/** Replies a congested connection may hold before it is closed. */
export const DEFAULT_MAX_PENDING_REPLIES = 64;

/** Close codes the server uses. */
export const LrecWsCloseCode = {
  /** A binary frame from the client (the protocol has none). */
  unsupportedData: 1003,
  /** A text frame that is not a request with a usable id. */
  policyViolation: 1008,
} as const;

export interface LrecWsServerOptions {
  readonly table: SessionTable;
  /** Handles are random, so a client cannot guess another connection's. */
  readonly crypto: Pick<Crypto, 'randomBytes'>;
  /** Handles one connection may hold. Default 16 (the table's default size). */
  readonly maxHandlesPerConnection?: number;
  /** Replies held while the transport is congested; one more closes the connection. Default 64. */
  readonly maxPendingReplies?: number;
}

export interface LrecWsServerStats {
  readonly connections: number;
  readonly handles: number;
  readonly calls: number;
  /** Calls answered with ok: false, by code. */
  readonly refused: Readonly<Record<string, number>>;
  /** Connections closed for frames that were not requests, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Receives held until the socket drained. */
  readonly deferredReceives: number;
  readonly rundowns: number;
}

interface HandleEntry {
  readonly session: SessionHandle;
  /** A receive is posted to the session (its reply not yet sent). */
  posted: boolean;
  /** The id of a receive held back by congestion. */
  deferred: number | undefined;
  /** Sends the posted receive's reply if it has completed (Close settles it synchronously). */
  flush: (() => void) | undefined;
}

export class LrecWsServer {
  /** @internal */ readonly table: SessionTable;
  /** @internal */ readonly maxHandles: number;
  /** @internal */ readonly maxPendingReplies: number;
  private readonly crypto: Pick<Crypto, 'randomBytes'>;
  private readonly connections = new Set<LrecWsConnection>();
  /** @internal */ readonly counters = {
    calls: 0,
    deferredReceives: 0,
    rundowns: 0,
    refused: {} as Record<string, number>,
    dropped: {} as Record<string, number>,
  };

  constructor(options: LrecWsServerOptions) {
    this.table = options.table;
    this.crypto = options.crypto;
    this.maxHandles = options.maxHandlesPerConnection ?? 16;
    this.maxPendingReplies = options.maxPendingReplies ?? DEFAULT_MAX_PENDING_REPLIES;
    if (!Number.isInteger(this.maxPendingReplies) || this.maxPendingReplies < 1) {
      throw new RangeError(
        `maxPendingReplies must be a positive integer: got ${this.maxPendingReplies}`,
      );
    }
    if (!Number.isInteger(this.maxHandles) || this.maxHandles < 1) {
      throw new RangeError(
        `maxHandlesPerConnection must be a positive integer: got ${this.maxHandles}`,
      );
    }
  }

  /** A new (authenticated, upgraded) connection. */
  connect(sink: LrecWsSink): LrecWsConnection {
    const connection = new LrecWsConnection(this, sink);
    this.connections.add(connection);
    return connection;
  }

  stats(): LrecWsServerStats {
    let handles = 0;
    for (const connection of this.connections) handles += connection.handleCount;
    return {
      connections: this.connections.size,
      handles,
      calls: this.counters.calls,
      refused: { ...this.counters.refused },
      dropped: { ...this.counters.dropped },
      deferredReceives: this.counters.deferredReceives,
      rundowns: this.counters.rundowns,
    };
  }

  /** @internal */
  newHandle(): string {
    return toHex(this.crypto.randomBytes(16));
  }

  /** @internal */
  forget(connection: LrecWsConnection): void {
    this.connections.delete(connection);
  }

  /** @internal */
  count(bucket: Record<string, number>, code: string): void {
    bucket[code] = (bucket[code] ?? 0) + 1;
  }
}

export class LrecWsConnection {
  private readonly server: LrecWsServer;
  private readonly sink: LrecWsSink;
  private readonly handles = new Map<string, HandleEntry>();
  private congested = false;
  /** Replies written while congested, oldest first (bounded by maxPendingReplies). */
  private pending: string[] = [];
  private isClosed = false;
  /** closed() ran (apart from isClosed, which a drop sets first). */
  private released = false;

  /** @internal use LrecWsServer.connect */
  constructor(server: LrecWsServer, sink: LrecWsSink) {
    this.server = server;
    this.sink = sink;
  }

  get handleCount(): number {
    return this.handles.size;
  }

  /** One WebSocket message from the client. */
  message(data: string | Uint8Array, binary: boolean): void {
    if (this.isClosed) return;
    if (binary || typeof data !== 'string') {
      this.drop(
        'binary-frame',
        LrecWsCloseCode.unsupportedData,
        'netrx.lrec.v1 has no binary requests',
      );
      return;
    }
    const parsed = parseRequest(data);
    if (!parsed.ok) {
      const { id, status, code, message } = parsed.failure;
      if (id === undefined) {
        this.drop(code, LrecWsCloseCode.policyViolation, message);
        return;
      }
      this.refuse(
        id,
        status,
        code === 'unknown-call' ? 'ERR_CAPTURE_WS_UNKNOWN_CALL' : 'ERR_CAPTURE_WS_BAD_REQUEST',
        message,
      );
      return;
    }
    this.server.counters.calls++;
    this.dispatch(parsed.value);
  }

  /** The socket took what waited: held receives may go to their sessions now. */
  drained(): void {
    this.congested = false;
    // Held replies first, in order: they answer requests older than any held receive.
    while (this.pending.length > 0) {
      if (this.congested || this.isClosed) return;
      this.send(this.sink.sendText(this.pending.shift() as string));
    }
    for (const entry of this.handles.values()) {
      if (this.congested || this.isClosed) return;
      const id = entry.deferred;
      if (id === undefined) continue;
      entry.deferred = undefined;
      this.post(id, entry);
    }
  }

  /** The connection went away: every handle it holds is run down (its session stops). */
  closed(): void {
    if (this.released) return;
    this.released = true;
    this.isClosed = true;
    this.pending = [];
    this.server.forget(this);
    const entries = [...this.handles.values()];
    this.handles.clear();
    for (const entry of entries) {
      if (this.server.table.rundown(entry.session)) this.server.counters.rundowns++;
    }
  }

  private dispatch(request: LrecWsRequest): void {
    if (request.call === 'open') {
      if (this.handles.size >= this.server.maxHandles) {
        this.refuse(
          request.id,
          170,
          'ERROR_BUSY',
          `This connection holds ${this.server.maxHandles} handles already`,
        );
        return;
      }
      let session: SessionHandle;
      try {
        session = this.server.table.openSession(request.session);
      } catch (error) {
        this.refuseWith(request.id, error);
        return;
      }
      const handle = this.server.newHandle();
      this.handles.set(handle, { session, posted: false, deferred: undefined, flush: undefined });
      this.reply({ id: request.id, ok: true, handle });
      return;
    }
    const entry = this.handles.get(request.handle);
    if (entry === undefined) {
      this.refuse(
        request.id,
        LrecWsStatus.nca_s_context_mismatch,
        'ERR_CAPTURE_WS_UNKNOWN_HANDLE',
        'This connection holds no such handle',
      );
      return;
    }
    if (request.call === 'receive') {
      if (entry.deferred !== undefined) {
        // The same refusal the session gives for a receive it holds.
        this.refuse(
          request.id,
          616,
          'ERROR_ASYNC_REQUEST_PENDING',
          'The session already has an outstanding receive',
        );
        return;
      }
      if (this.congested && !entry.posted) {
        entry.deferred = request.id;
        this.server.counters.deferredReceives++;
        return;
      }
      this.post(request.id, entry);
      return;
    }
    // close: a held receive is posted first, so it is answered (by Close, if no data waits).
    const deferred = entry.deferred;
    entry.deferred = undefined;
    if (deferred !== undefined) this.post(deferred, entry);
    this.handles.delete(request.handle);
    try {
      this.server.table.closeSession(entry.session);
    } catch (error) {
      this.refuseWith(request.id, error);
      return;
    }
    entry.flush?.();
    this.reply({ id: request.id, ok: true });
  }

  private post(id: number, entry: HandleEntry): void {
    let op;
    try {
      op = this.server.table.receiveData(entry.session);
    } catch (error) {
      this.refuseWith(id, error);
      return;
    }
    entry.posted = true;
    let answered = false;
    const complete = (): void => {
      const result = op.result;
      if (answered || result === undefined) return;
      answered = true;
      entry.posted = false;
      entry.flush = undefined;
      if (this.isClosed) return;
      if (result.status !== 'data') {
        this.refuse(id, 995, 'ERROR_OPERATION_ABORTED', `The receive ended: ${result.status}`);
        return;
      }
      const { events, lost, reason } = result.meta;
      // Header and buffer go together, congested or not: this is the one
      // EVENT_BUFFER per handle the bound allows (a receive is only posted
      // while the transport is not congested).
      this.send(
        this.sink.sendText(
          encodeReply({ id, ok: true, bytes: result.data.length, events, lost, reason }),
        ),
      );
      if (!this.isClosed) this.send(this.sink.sendBinary(result.data));
    };
    entry.flush = complete;
    if (op.result !== undefined) complete();
    else void op.done.then(complete);
  }

  private refuseWith(id: number, error: unknown): void {
    if (!(error instanceof NetrxError) || error.number === undefined) throw error;
    this.refuse(id, error.number, error.code, error.message);
  }

  private refuse(id: number, status: number, code: string, message: string): void {
    this.server.count(this.server.counters.refused, code);
    this.reply({ id, ok: false, status, code, message: message.slice(0, MAX_REFUSAL_MESSAGE) });
  }

  private reply(reply: LrecWsReply): void {
    if (this.isClosed) return;
    if (!this.congested) {
      this.send(this.sink.sendText(encodeReply(reply)));
      return;
    }
    if (this.pending.length >= this.server.maxPendingReplies) {
      this.drop('slow-reader', LrecWsCloseCode.policyViolation, SLOW_READER_REASON);
      return;
    }
    this.pending.push(encodeReply(reply));
  }

  private send(result: LrecWsSendResult): void {
    if (result === 'congested') this.congested = true;
    else if (result === 'dropped') this.isClosed = true;
  }

  private drop(reason: string, code: number, message: string): void {
    this.server.count(this.server.counters.dropped, reason);
    this.isClosed = true;
    this.sink.close(code, message.slice(0, 120));
  }
}
