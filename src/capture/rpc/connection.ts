/**
 * One ncacn_ip_tcp connection of the LREC RPC server: framing, the bind
 * (presentation-context negotiation: NDR20 accepted, NDR64 refused with a
 * provider rejection, bind-time feature negotiation answered), request
 * reassembly, dispatch of opnums 0–2 and faults, and the connection's
 * deadlines (deadlines.ts). The bind's stateless decisions (which binds are
 * refused before a group is asked for, each presentation context's result)
 * are in bind-negotiation.ts.
 *
 * Every refusal is on the wire before the connection closes (C706 12.6,
 * MS-RPCE 3.3.1.5; Windows as Samba's raw_protocol tests record it):
 *
 * - a bind the server will not take gets a bind_nak: no presentation
 *   context (`reason_not_specified`), big-endian or non-ASCII data
 *   representation (`user_data_not_readable`: netrx reads little-endian
 *   NDR only), fragments under 1432 (`local_limit_exceeded`), an auth
 *   trailer (the auth provider's reason), no group slot
 *   (`temporary_congestion`), a second bind (`reason_not_specified`). The
 *   connection stays open for another bind, under the bind deadline.
 * - alter_context has no nak: before a bind it faults `nca_s_proto_error`
 *   and closes; with no context or an auth trailer it faults (proto_error,
 *   access denied) and the association stays.
 * - bytes that frame but do not decode (a lying frag_length, auth_length,
 *   context list), a request before a bind, any other data representation
 *   after the bind, and PDU types a client never sends (bind_ack, response,
 *   fault, shutdown, connectionless types, unknown numbers) fault
 *   `nca_s_proto_error` for their call_id, then close: a stream cannot be
 *   trusted past them. auth3 with no authentication under way is counted
 *   and ignored (it has no answer). co_cancel and orphaned are honoured.
 *
 * Every close the server decides is counted in `stats().dropped` by reason
 * and traced (`ConnectionDropped`).
 */
import { NetrxError } from '../../runtime/index.js';
import type { PendingReceive, ReceiveCompletion } from '../../receive/index.js';
import {
  BindNakReason,
  ContextResult,
  FaultStatus,
  MIN_FRAGMENT_LENGTH,
  PacketType,
  PduFramer,
  PfcFlag,
  RPC_VERSION,
  StubAssembler,
  encodeBindAck,
  encodeBindNak,
  encodeFault,
  encodeResponse,
  parsePdu,
  peekCall,
  type Pdu,
  type PresentationContext,
} from '../../wire/index.js';
import type { EventBufferMeta } from '../event-session.js';
import type { SessionHandle } from '../session-table.js';
import { ConnectionDeadlines, type DeadlineReason } from './deadlines.js';
import {
  CONTEXT_HANDLE_LENGTH,
  LrecOpnum,
  encodeOpenResponse,
  parseHandleRequest,
  parseOpenRequest,
  receiveResponseParts,
} from './ndr.js';
import { handleKey, type AssociationGroup, type LrecRpcServer } from './server.js';
import {
  bindRefusal,
  negotiateContext,
  type BindPdu,
  type ContextNegotiation,
} from './bind-negotiation.js';

/** Where a connection's bytes go. */
export interface RpcSink {
  send(bytes: Uint8Array): void;
  /** The server wants the transport closed (after what it sent is flushed). */
  close(): void;
}

/** Win32 status for a receive that ended without data (should not happen with LREC sessions). */
const ERROR_OPERATION_ABORTED = 995;

type Request = Extract<Pdu, { kind: 'request' }>;

export class RpcConnection {
  /** A number for traces, unique among the server's live connections. */
  readonly id: number;
  /** The peer's address key (`''` when the transport gave none). */
  readonly address: string;
  /** Why the server refused this connection on arrival; undefined when it was accepted. */
  readonly refused: string | undefined;
  private readonly server: LrecRpcServer;
  private readonly sink: RpcSink;
  private readonly framer: PduFramer;
  private readonly assembler: StubAssembler;
  private readonly deadlines: ConnectionDeadlines;
  private group: AssociationGroup | undefined;
  private readonly acceptedContexts = new Set<number>();
  private maxXmitFrag = MIN_FRAGMENT_LENGTH;
  private bound = false;
  private isClosed = false;
  /** closed() ran: the server forgot this connection (separate from isClosed, set by drop first). */
  private released = false;
  /** Receives waiting for events, oldest first (one per session at most). */
  private parked: { callId: number; contextId: number; op: PendingReceive<EventBufferMeta> }[] = [];
  /**
   * Keys of the context handles opened on this connection. Only these keep it
   * from idling out: a connection that joined a group and holds nothing of its
   * own would otherwise pin another client's session forever.
   */
  private readonly ownHandles = new Set<string>();
  /** A call whose fragments are being thrown away after its first was refused. */
  private discardingCall: number | undefined;
  /** A fragmented request began in the chunk being handled (its deadline starts now). */
  private callStarted = false;

  /** @internal use LrecRpcServer.connect */
  constructor(
    server: LrecRpcServer,
    sink: RpcSink,
    identity: { id: number; address: string; refused: string | undefined },
  ) {
    this.server = server;
    this.sink = sink;
    this.id = identity.id;
    this.address = identity.address;
    this.refused = identity.refused;
    this.framer = new PduFramer(server.maxFragLength);
    this.assembler = new StubAssembler(server.maxRequestBytes);
    this.deadlines = new ConnectionDeadlines(server.clock, server.limits, {
      isBusy: () => this.parked.length > 0 || this.holdsOwnHandle(),
      expire: (reason: DeadlineReason) => this.drop(reason),
    });
    if (this.refused !== undefined) this.isClosed = this.released = true;
  }

  /** Whether a handle opened here is still alive in the group (closed ones are forgotten). */
  private holdsOwnHandle(): boolean {
    const handles = this.group?.handles;
    for (const key of this.ownHandles) {
      if (handles?.has(key) === true) return true;
      this.ownHandles.delete(key);
    }
    return false;
  }

  /** @internal the server accepted it: the bind deadline starts. */
  start(): void {
    this.deadlines.start();
  }

  get closedByEither(): boolean {
    return this.isClosed;
  }

  /** Bytes held for incomplete PDUs and reassembly: bounded by frag and request limits. */
  get bufferedBytes(): number {
    return this.framer.bufferedBytes + this.assembler.bufferedBytes;
  }

  /** Bytes from the transport. */
  receive(chunk: Uint8Array): void {
    if (this.isClosed) return;
    const framed = this.framer.push(chunk);
    // PDUs framed before a bad frag_length are handled first, then the bad one refused.
    for (const bytes of framed.pdus) {
      if (this.isClosed) return;
      const parsed = parsePdu(bytes);
      if (!parsed.ok) {
        this.undecodable(bytes, parsed.failure.code);
        return;
      }
      this.handle(parsed.value);
    }
    if (this.isClosed) return;
    if (!framed.ok) {
      this.refuse(this.framer.failedHeader, framed.failure.code);
      return;
    }
    this.deadlines.input(
      framed.pdus.length,
      this.framer.bufferedBytes > 0,
      this.assembler.inProgress || this.discardingCall !== undefined,
      this.callStarted,
    );
    this.callStarted = false;
  }

  /** The transport closed (either side): rundown if this was the group's last connection. */
  closed(): void {
    if (this.released) return;
    this.released = true;
    this.isClosed = true;
    this.deadlines.stop();
    this.assembler.reset();
    this.parked = [];
    const group = this.group;
    this.group = undefined;
    this.server.disconnected(this, group);
  }

  private drop(code: string): void {
    if (this.isClosed) return;
    this.server.countDrop(code, this);
    this.isClosed = true;
    this.deadlines.stop();
    this.sink.close();
  }

  /** A PDU that frames but does not decode: a bind in another drep gets its nak, the rest a fault. */
  private undecodable(bytes: Uint8Array, code: string): void {
    const call = peekCall(bytes);
    if (code === 'unsupported-drep' && call?.type === PacketType.bind && !this.bound) {
      this.nak(call.callId, BindNakReason.user_data_not_readable);
      return;
    }
    this.refuse(bytes, code);
  }

  /**
   * Faults nca_s_proto_error for the call the header names, then closes.
   * Bytes that are not DCE/RPC v5 at all (an HTTP request, noise) get no answer.
   */
  private refuse(header: Uint8Array | undefined, code: string): void {
    const call = header?.[0] === RPC_VERSION ? peekCall(header) : undefined;
    if (call !== undefined) this.fault(call.callId, 0, FaultStatus.nca_s_proto_error);
    this.drop(code);
  }

  private handle(pdu: Pdu): void {
    switch (pdu.kind) {
      case 'bind':
      case 'alter_context':
        this.onBind(pdu);
        return;
      case 'request':
        this.onRequest(pdu);
        return;
      case 'other':
        // co_cancel: nothing is cancellable here; orphaned: forget the partial call.
        if (pdu.header.type === PacketType.co_cancel) return;
        if (pdu.header.type === PacketType.orphaned) {
          if (this.assembler.inProgress) this.assembler.reset();
          return;
        }
        if (pdu.header.type === PacketType.auth3) {
          // No authentication is ever under way (binds with auth are refused): nothing to finish.
          this.server.countDrop('unexpected-auth3');
          return;
        }
        // shutdown (server to client only), connectionless types, unknown numbers.
        this.fault(pdu.header.callId, 0, FaultStatus.nca_s_proto_error);
        this.drop('unexpected-pdu');
        return;
      default:
        // bind_ack, response, fault, bind_nak: only a server sends them.
        this.fault(pdu.header.callId, 0, FaultStatus.nca_s_proto_error);
        this.drop('unexpected-pdu');
    }
  }

  private onBind(pdu: BindPdu): void {
    const callId = pdu.header.callId;
    if (pdu.kind === 'alter_context') {
      this.onAlterContext(pdu);
      return;
    }
    const refusal = bindRefusal(pdu, this.bound);
    if (refusal !== undefined) {
      this.nak(callId, refusal);
      return;
    }
    if (pdu.auth !== undefined) {
      const decision = this.server.auth.onBind(pdu.auth);
      this.nak(callId, decision.reason);
      return;
    }
    const group = this.server.joinGroup(this, pdu.assocGroup);
    if (group === undefined) {
      this.nak(callId, BindNakReason.temporary_congestion);
      return;
    }
    this.group = group;
    this.bound = true;
    this.maxXmitFrag = Math.min(pdu.maxRecvFrag, this.server.maxFragLength);
    this.server.counters.binds++;
    this.deadlines.bound();
    this.ack(pdu, true);
  }

  /** alter_context adds contexts to a bound association; its frag sizes are ignored (C706 12.6.4.1). */
  private onAlterContext(pdu: BindPdu): void {
    const callId = pdu.header.callId;
    if (!this.bound) {
      this.fault(callId, 0, FaultStatus.nca_s_proto_error);
      this.drop('alter-context-before-bind');
      return;
    }
    if (pdu.auth !== undefined) {
      this.fault(callId, 0, FaultStatus.access_denied);
      return;
    }
    if (pdu.contexts.length === 0) {
      this.fault(callId, 0, FaultStatus.nca_s_proto_error);
      return;
    }
    this.ack(pdu, false);
  }

  private ack(pdu: BindPdu, isBind: boolean): void {
    const results = pdu.contexts.map((context) => this.negotiate(context));
    this.send(
      encodeBindAck({
        kind: isBind ? 'bind_ack' : 'alter_context_resp',
        callId: pdu.header.callId,
        maxXmitFrag: this.maxXmitFrag,
        maxRecvFrag: this.server.maxFragLength,
        assocGroup: this.group?.id ?? 0,
        secondaryAddress: isBind ? this.server.secondaryAddress : '',
        results,
      }),
    );
  }

  private negotiate(context: PresentationContext): ContextNegotiation {
    const answer = negotiateContext(context);
    if (answer.result === ContextResult.acceptance) this.acceptedContexts.add(context.id);
    return answer;
  }

  private nak(callId: number, reason: number): void {
    this.server.counters.bindNaks++;
    this.send(encodeBindNak(callId, reason));
  }

  private onRequest(pdu: Request): void {
    const { callId, flags } = pdu.header;
    if (!this.bound) {
      this.fault(callId, pdu.contextId, FaultStatus.nca_s_proto_error);
      this.drop('request-before-bind');
      return;
    }
    if (this.discardingCall === callId) {
      if ((flags & PfcFlag.LAST_FRAG) !== 0) this.discardingCall = undefined;
      return;
    }
    this.discardingCall = undefined;
    const refuse = (status: number) => {
      if ((flags & PfcFlag.LAST_FRAG) === 0) this.discardingCall = callId;
      this.assembler.reset();
      this.fault(callId, pdu.contextId, status);
    };
    if (pdu.auth !== undefined) return refuse(FaultStatus.nca_s_proto_error);
    if (!this.acceptedContexts.has(pdu.contextId)) return refuse(FaultStatus.nca_s_unk_if);
    if (!this.server.allowUnauthenticated) return refuse(FaultStatus.access_denied);
    if (pdu.opnum > LrecOpnum.close) return refuse(FaultStatus.nca_s_op_rng_error);
    const step = this.assembler.add(callId, flags, pdu.stub);
    if (step.status === 'more') {
      if ((flags & PfcFlag.FIRST_FRAG) !== 0) this.callStarted = true;
      return;
    }
    if (step.status === 'failed') {
      if ((flags & PfcFlag.LAST_FRAG) === 0) this.discardingCall = callId;
      this.fault(
        callId,
        pdu.contextId,
        step.failure.code === 'too-large'
          ? FaultStatus.nca_s_fault_remote_no_memory
          : FaultStatus.nca_s_proto_error,
      );
      return;
    }
    this.server.counters.calls++;
    this.dispatch(callId, pdu.contextId, pdu.opnum, step.stub);
  }

  private dispatch(callId: number, contextId: number, opnum: number, stub: Uint8Array): void {
    if (opnum === LrecOpnum.open) {
      const name = parseOpenRequest(stub);
      if (!name.ok) return this.fault(callId, contextId, FaultStatus.rpc_x_bad_stub_data);
      let handle: Uint8Array = new Uint8Array(CONTEXT_HANDLE_LENGTH);
      let status = 0;
      try {
        const session = this.server.table.openSession(name.value);
        handle = this.server.newHandle(this.group as AssociationGroup, session);
        this.ownHandles.add(handleKey(handle));
      } catch (error) {
        status = win32Status(error);
      }
      this.respond(callId, contextId, [encodeOpenResponse(handle, status)]);
      return;
    }
    const parsed = parseHandleRequest(stub);
    if (!parsed.ok) return this.fault(callId, contextId, FaultStatus.rpc_x_bad_stub_data);
    const group = this.group as AssociationGroup;
    const key = handleKey(parsed.value);
    const session = group.handles.get(key);
    if (session === undefined)
      return this.fault(callId, contextId, FaultStatus.nca_s_context_mismatch);
    if (opnum === LrecOpnum.close) {
      group.handles.delete(key);
      try {
        this.server.table.closeSession(session);
      } catch (error) {
        // The session went away under the handle (stopped): the call fails, as a void method can.
        return this.fault(callId, contextId, win32Status(error), false);
      }
      this.respond(callId, contextId, [new Uint8Array(CONTEXT_HANDLE_LENGTH)]);
      return;
    }
    this.receiveData(callId, contextId, session);
  }

  private receiveData(callId: number, contextId: number, session: SessionHandle): void {
    let op;
    try {
      op = this.server.table.receiveData(session);
    } catch (error) {
      this.respond(callId, contextId, receiveResponseParts(undefined, win32Status(error)));
      return;
    }
    if (op.result !== undefined) {
      this.respond(callId, contextId, receiveResponse(op.result));
      return;
    }
    // Parked. Its response leaves before any later call's: a Close (or a Stop
    // by another call) settles it synchronously, and `send` flushes settled
    // parked receives first, so the wire order is the order the calls ended.
    this.parked.push({ callId, contextId, op });
    void op.done.then(() => this.flushParked());
  }

  /** Sends the responses of parked receives that have completed, in the order they were posted. */
  private flushParked(): void {
    if (this.parked.length === 0) return;
    const settled = this.parked.filter((p) => p.op.result !== undefined);
    if (settled.length === 0) return;
    this.parked = this.parked.filter((p) => p.op.result === undefined);
    for (const { callId, contextId, op } of settled) {
      this.respond(
        callId,
        contextId,
        receiveResponse(op.result as ReceiveCompletion<EventBufferMeta>),
      );
    }
  }

  private respond(callId: number, contextId: number, parts: readonly Uint8Array[]): void {
    this.send(encodeResponse({ callId, contextId, stub: parts }, this.maxXmitFrag));
  }

  private fault(callId: number, contextId: number, status: number, didNotExecute = true): void {
    this.server.countFault(status);
    this.send(encodeFault({ callId, contextId, status, didNotExecute }));
  }

  private send(bytes: Uint8Array): void {
    if (this.isClosed) return;
    this.flushParked();
    this.sink.send(bytes);
  }
}

/** The stub of a completed receive: the EVENT_BUFFER (success), or an empty one with 995. */
function receiveResponse(result: ReceiveCompletion<unknown>): readonly Uint8Array[] {
  return result.status === 'data'
    ? receiveResponseParts(result.data, 0)
    : receiveResponseParts(undefined, ERROR_OPERATION_ABORTED);
}

function win32Status(error: unknown): number {
  if (error instanceof NetrxError && error.number !== undefined) return error.number;
  throw error;
}
