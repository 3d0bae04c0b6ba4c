/**
 * The WebSocket handle: websocket.dll's protocol component as a TypeScript
 * class. It does no I/O. `send` and `receive` queue operations;
 * `getAction` says what to do next; `completeAction` reports it done.
 *
 * Rules kept from websocket.dll:
 * - at most one send-side action (a network write or a send indication) and
 *   one receive-side action are outstanding at a time;
 * - one receive operation at a time; sends queue in order;
 * - incoming pings are answered by the component, and those pongs (and the
 *   reply to a close) also come out of the `receive` queue, so a loop that
 *   only receives still answers them;
 * - after a close is sent only pings and unsolicited pongs may follow;
 * - `abort()` lets queued operations drain (sends complete unsent, the
 *   receive completes with 1006) but hands out no more network I/O.
 *
 * Where netrx differs: a peer's violation is not thrown from `getAction`; the
 * receive completes with a `close` carrying the code the component sent and
 * a coded `ProtocolError`, so one loop handles every outcome.
 */
import {
  NetrxError,
  ProtocolError,
  type Clock,
  type Crypto,
  type Timer,
} from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import {
  CloseCode,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  emitClosePayload,
} from '../wire/websocket/index.js';
import type {
  ActionQueue,
  BufferType,
  CloseStatus,
  IndicateReceiveCompleteAction,
  IndicateSendCompleteAction,
  ReceiveFromNetworkAction,
  SendToNetworkAction,
  WebSocketAction,
} from './actions.js';
import type { DeflateCodec } from './deflate-codec.js';
import { WEBSOCKET_PROVIDER, WebSocketEvent } from './events.js';
import { MaskKeySource, writeFrames } from './frame-writer.js';
import { formatExtensions, type Extension, type PerMessageDeflateParams } from './extensions.js';
import {
  acceptUpgrade,
  buildClientRequest,
  checkServerResponse,
  type AcceptOptions,
  type ClientHandshake,
  type ClientRequest,
  type ClientRequestOptions,
  type ServerHandshake,
  type UpgradeRequest,
} from './handshake.js';
import type { HandshakeResult } from './handshake-failure.js';
import type { HttpResponseHead } from './http-head.js';
import { PerMessageDeflateSession } from './permessage-deflate.js';
import { resolveProperties, type HandleProperties, type ResolvedProperties } from './properties.js';
import {
  ReceivePath,
  type Indication,
  type ReceiveHost,
  type ReceiveOperation,
} from './receive-path.js';

export type HandleRole = 'client' | 'server';
export type HandleState = 'connecting' | 'open' | 'closing' | 'closed' | 'aborted';

/** What a handle has done, for `stats`. */
export interface HandleStats {
  messagesReceived: number;
  messagesSent: number;
  bytesReceived: number;
  bytesSent: number;
  pingsAnswered: number;
  /** Pongs not sent because newer pings were waiting (RFC 6455 §5.5.3 allows it). */
  pongsCoalesced: number;
}

/** What the handshake agreed (or, without one, what the caller asserts was agreed). */
export interface Negotiated {
  readonly protocol?: string | undefined;
  readonly extensions?: string;
  readonly perMessageDeflate?: PerMessageDeflateParams | undefined;
}

interface SendOperation {
  readonly bufferType: BufferType;
  readonly data: Uint8Array;
  readonly context: unknown;
  /** App operations get a send-complete indication; internal ones do not. */
  readonly internal: boolean;
}

const FLAG_DELETED = 1;
const FLAG_CLOSE_QUEUED = 2;
const FLAG_TRANSPORT_BROKEN = 4;
const FLAG_RECEIVE_ENDED = 8;

interface KeepAlive {
  readonly clock: Clock;
  timer: Timer | undefined;
  lastReceivedAt: number;
  pingOutstanding: boolean;
}

/** Pongs waiting at once beyond which the oldest are dropped (only the newest ping needs one). */
const MAX_PENDING_PONGS = 16;
const NO_OPERATIONS: SendOperation[] = [];
const NO_INDICATIONS: { op: SendOperation; sent: boolean }[] = [];
const EMPTY = new Uint8Array(0);

function invalidOperation(message: string): NetrxError {
  return new NetrxError('ERR_WS_INVALID_OPERATION', message, { number: 0x83760001 });
}

export function createClientHandle(properties: HandleProperties = {}): WebSocketHandle {
  return new WebSocketHandle('client', properties);
}

export function createServerHandle(properties: HandleProperties = {}): WebSocketHandle {
  return new WebSocketHandle('server', properties);
}

class ReceiveFromNetwork implements ReceiveFromNetworkAction {
  readonly type = 'receive-from-network';
  constructor(
    readonly actionContext: number,
    readonly context: unknown,
    private readonly owner: WebSocketHandle,
  ) {}
  get buffer(): Uint8Array {
    return this.owner.internalReceiveBuffer();
  }
}

export class WebSocketHandle implements ReceiveHost {
  readonly role: HandleRole;
  readonly properties: ResolvedProperties;
  /**
   * Whatever the host wants to reach from the handle (its connection, say),
   * so callbacks like `onActionAvailable` need no closure per connection.
   */
  owner: unknown;
  // Counters, as fields rather than an object of their own (memory per connection).
  private messagesReceived = 0;
  private messagesSent = 0;
  private bytesReceived = 0;
  private bytesSent = 0;
  private pingsAnswered = 0;
  private pongsCoalesced = 0;
  // What the handle keeps of its properties (not the whole object: it would
  // be held per connection).
  private readonly crypto: Crypto | undefined;
  private readonly deflateCodec: DeflateCodec | undefined;
  private readonly onActionAvailable: ((handle: WebSocketHandle) => void) | undefined;
  private readonly onPing: HandleProperties['onPing'];
  private stateValue: HandleState = 'connecting';
  /** Four booleans in one number (memory per connection): see the accessors below. */
  private flags = 0;
  private negotiatedValue: Negotiated = {};
  private readonly trace: TraceProvider | undefined;
  private readonly name: string;
  private readonly masks: MaskKeySource | undefined;
  private deflate: PerMessageDeflateSession | undefined;

  // Send side.
  private sendQueue: SendOperation[] = NO_OPERATIONS;
  /** The bytes in `sendQueue`, kept as it changes: hosts ask on every send. */
  private sendQueueBytes = 0;
  // Pongs, close replies and keep-alive pings; send indications. Both are
  // usually empty: they share one empty list until first used.
  private controlQueue: SendOperation[] = NO_OPERATIONS;
  private sendIndications: { op: SendOperation; sent: boolean }[] = NO_INDICATIONS;
  private sendSlot: SendToNetworkAction | IndicateSendCompleteAction | undefined;
  private sendSlotOp: SendOperation | undefined;
  /** The kind of the message whose fragments are being queued (what `send` accepts next). */
  private queuedMessage: 'utf8' | 'binary' | undefined;
  /** The kind of the message whose fragments are being framed (the opcode to use next). */
  private framingMessage: 'utf8' | 'binary' | undefined;
  private closeSent: CloseStatus | undefined;

  // Receive side.
  private readonly receivePath: ReceivePath;
  private receiveOp: ReceiveOperation | undefined;
  private receiveSlot: ReceiveFromNetworkAction | IndicateReceiveCompleteAction | undefined;
  private receiveBuffer: Uint8Array | undefined;
  private closeReceived: CloseStatus | undefined;
  private failure: NetrxError | undefined;

  /** Keep-alive state, only on handles that keep alive (one field instead of four). */
  private keepAlive: KeepAlive | undefined;

  private nextActionContext = 1;
  private clientRequest: ClientRequest | undefined;

  constructor(role: HandleRole, properties: HandleProperties = {}) {
    this.role = role;
    this.crypto = properties.crypto;
    this.deflateCodec = properties.deflateCodec;
    this.onActionAvailable = properties.onActionAvailable;
    this.onPing = properties.onPing;
    this.properties = resolveProperties(properties);
    if (this.properties.keepAliveInterval > 0) {
      this.keepAlive = {
        clock: properties.clock as Clock,
        timer: undefined,
        lastReceivedAt: 0,
        pingOutstanding: false,
      };
    }
    this.name = properties.name ?? role;
    this.trace = properties.trace?.register(WEBSOCKET_PROVIDER);
    if (role === 'client' && !this.properties.disableMasking) {
      if (properties.crypto === undefined) {
        throw new TypeError('A client handle needs a crypto to make masking keys');
      }
      this.masks = new MaskKeySource(properties.crypto, properties.mask, properties.allocate);
    }
    this.receivePath = new ReceivePath(
      {
        role,
        properties: this.properties,
        isUtf8: properties.isUtf8,
        mask: properties.mask,
        allocate: properties.allocate,
      },
      this,
    );
  }

  private flag(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }

  private setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  private get deleted(): boolean {
    return this.flag(FLAG_DELETED);
  }
  private set deleted(on: boolean) {
    this.setFlag(FLAG_DELETED, on);
  }
  /** A close is queued or sent: only control frames may follow. */
  private get closeQueued(): boolean {
    return this.flag(FLAG_CLOSE_QUEUED);
  }
  private set closeQueued(on: boolean) {
    this.setFlag(FLAG_CLOSE_QUEUED, on);
  }
  /** A short write broke the stream's framing. */
  private get transportBroken(): boolean {
    return this.flag(FLAG_TRANSPORT_BROKEN);
  }
  private set transportBroken(on: boolean) {
    this.setFlag(FLAG_TRANSPORT_BROKEN, on);
  }
  private get receiveEnded(): boolean {
    return this.flag(FLAG_RECEIVE_ENDED);
  }
  private set receiveEnded(on: boolean) {
    this.setFlag(FLAG_RECEIVE_ENDED, on);
  }

  /** @internal ReceiveHost: a ping arrived. */
  receivedPing(payload: Uint8Array): void {
    if (this.onPing?.(this, payload) === false) return;
    this.queuePong(payload);
  }

  /** @internal ReceiveHost: a valid close arrived. */
  receivedClose(status: CloseStatus): void {
    this.onCloseReceived(status);
  }

  /** @internal ReceiveHost: the peer broke the protocol. */
  receivedViolation(error: ProtocolError): void {
    this.onProtocolFailure(error);
  }

  /** @internal ReceiveHost: a whole message arrived. */
  receivedMessage(text: boolean, size: number): void {
    this.messagesReceived++;
    this.trace?.emit(WebSocketEvent.messageReceived, { connection: this.name, text, size });
  }

  /** What the handle has done so far (a fresh snapshot each call). */
  get stats(): HandleStats {
    return {
      messagesReceived: this.messagesReceived,
      messagesSent: this.messagesSent,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      pingsAnswered: this.pingsAnswered,
      pongsCoalesced: this.pongsCoalesced,
    };
  }

  get state(): HandleState {
    return this.stateValue;
  }

  /** What the handshake agreed. */
  get negotiated(): Negotiated {
    return this.negotiatedValue;
  }

  /** The error that ended the connection, if one did. */
  get error(): NetrxError | undefined {
    return this.failure;
  }

  /**
   * Whether the host should close the transport once it has written what
   * it was given: the closing handshake is over, the protocol failed, or the
   * handle was aborted.
   */
  get transportDone(): boolean {
    return (
      this.stateValue === 'closed' ||
      this.stateValue === 'aborted' ||
      this.transportBroken ||
      (this.failure !== undefined && this.closeSent !== undefined)
    );
  }

  /** Bytes queued by `send` and not yet handed out in a send action. */
  get queuedBytes(): number {
    return this.sendQueueBytes;
  }

  /**
   * Opens the handle after a handshake made elsewhere (or none: RFC 8441
   * streams, tests). The handshake helpers call this themselves.
   */
  open(negotiated: Negotiated = {}): void {
    this.assertUsable();
    if (this.stateValue !== 'connecting') throw invalidOperation('The handle is already open');
    this.negotiatedValue = negotiated;
    const params = negotiated.perMessageDeflate;
    if (params !== undefined) {
      const codec = this.deflateCodec;
      if (codec === undefined) {
        throw new TypeError('permessage-deflate was negotiated but the handle has no deflateCodec');
      }
      this.deflate = new PerMessageDeflateSession({
        params,
        role: this.role,
        codec,
        maxMessageSize: this.properties.maxMessageSize,
        threshold: this.properties.deflateThreshold,
      });
      this.receivePath.enableDeflate(this.role, this.deflate);
    }
    this.stateValue = 'open';
    this.trace?.emit(WebSocketEvent.opened, {
      connection: this.name,
      role: this.role,
      protocol: negotiated.protocol ?? '',
      extensions: negotiated.extensions ?? '',
    });
    this.startKeepAlive();
  }

  // -------------------------------------------------------------------------
  // Handshake (websocket.dll's Begin/End Client/Server Handshake)

  /**
   * The client's upgrade request. Offers permessage-deflate only when asked
   * and the handle has a `deflateCodec`. Write `bytes`, then pass the parsed
   * response to `endClientHandshake`.
   */
  beginClientHandshake(options: Omit<ClientRequestOptions, 'crypto'>): ClientRequest {
    this.assertUsable();
    if (this.role !== 'client')
      throw invalidOperation('Only a client handle begins a client handshake');
    if (this.stateValue !== 'connecting' || this.clientRequest !== undefined) {
      throw invalidOperation('The client handshake has already begun');
    }
    if (options.perMessageDeflate !== undefined && options.perMessageDeflate !== false) {
      if (this.deflateCodec === undefined) {
        throw new TypeError('Cannot offer permessage-deflate without a deflateCodec');
      }
    }
    const crypto = this.crypto;
    if (crypto === undefined && options.key === undefined) {
      throw new TypeError('A client handshake needs a crypto (or a key)');
    }
    this.clientRequest = buildClientRequest({ ...options, crypto });
    return this.clientRequest;
  }

  /**
   * Checks the server's response; on success the handle is open. On failure
   * the client must drop the connection without a close frame.
   */
  endClientHandshake(response: HttpResponseHead): HandshakeResult<ClientHandshake> {
    this.assertUsable();
    const request = this.clientRequest;
    if (request === undefined || this.stateValue !== 'connecting') {
      throw invalidOperation('endClientHandshake needs a begun client handshake');
    }
    const crypto = this.crypto;
    if (crypto === undefined) throw new TypeError('A client handshake needs a crypto');
    const result = checkServerResponse(request, response, crypto);
    if (result.ok) {
      this.open(negotiation(result.value));
    }
    return result;
  }

  /**
   * The server's 101 for a request `validateUpgradeRequest` accepted; the
   * handle is open once it returns (write `bytes` before any frame).
   * permessage-deflate is accepted only when asked and the handle has a
   * `deflateCodec`.
   */
  beginServerHandshake(
    request: UpgradeRequest,
    options: Omit<AcceptOptions, 'crypto'> = {},
  ): ServerHandshake {
    this.assertUsable();
    if (this.role !== 'server')
      throw invalidOperation('Only a server handle begins a server handshake');
    if (this.stateValue !== 'connecting') throw invalidOperation('The handle is already open');
    const crypto = this.crypto;
    if (crypto === undefined) throw new TypeError('A server handshake needs a crypto');
    const deflate = this.deflateCodec === undefined ? undefined : options.perMessageDeflate;
    const response = acceptUpgrade(request, { ...options, perMessageDeflate: deflate, crypto });
    this.open(negotiation(response));
    return response;
  }

  /** websocket.dll's WebSocketEndServerHandshake: nothing left to do here; kept for parity. */
  endServerHandshake(): void {
    this.assertUsable();
    if (this.stateValue === 'connecting')
      throw invalidOperation('The server handshake has not begun');
  }

  // -------------------------------------------------------------------------
  // Operations

  /**
   * Queues a send. Data types take the payload (a `*-fragment` leaves the
   * message open for more); `ping-pong` sends a ping and `unsolicited-pong` a
   * pong, each with at most 125 bytes; `close` takes the status (no code
   * means an empty close body). The caller must not change `data` until
   * the send-complete indication.
   */
  send(bufferType: Exclude<BufferType, 'close'>, data?: Uint8Array, context?: unknown): void;
  send(bufferType: 'close', status?: Partial<CloseStatus>, context?: unknown): void;
  send(bufferType: BufferType, data?: Uint8Array | Partial<CloseStatus>, context?: unknown): void {
    this.assertUsable();
    if (this.stateValue === 'connecting')
      throw invalidOperation('Cannot send before the handshake');
    if (this.stateValue === 'aborted') throw invalidOperation('Cannot send on an aborted handle');
    if (bufferType === 'close') {
      if (this.closeQueued) throw invalidOperation('A close was already sent');
      const status = (data ?? {}) as Partial<CloseStatus>;
      const payload = emitClosePayload(status.code, status.reason ?? '');
      this.queueClose(payload, context, false);
      return;
    }
    const payload = (data ?? EMPTY) as Uint8Array;
    if (!(payload instanceof Uint8Array)) throw new TypeError('Send data must be a Uint8Array');
    if (bufferType === 'ping-pong' || bufferType === 'unsolicited-pong') {
      if (payload.length > MAX_CONTROL_PAYLOAD) {
        throw new RangeError(`A control frame carries at most 125 bytes: got ${payload.length}`);
      }
    } else {
      if (this.closeQueued) throw invalidOperation('Cannot send data after a close');
      const kind = bufferType.startsWith('utf8') ? 'utf8' : 'binary';
      if (this.queuedMessage !== undefined && this.queuedMessage !== kind) {
        throw invalidOperation(
          `Cannot send ${bufferType} while a ${this.queuedMessage} message is unfinished`,
        );
      }
      this.queuedMessage = bufferType.endsWith('fragment') ? kind : undefined;
    }
    this.pushSend({ bufferType, data: payload, context, internal: false });
  }

  /**
   * Queues a receive. Without `buffer`, data is handed out as views of the
   * component's memory or of the chunks it was given, valid until the
   * indication is completed (zero copy). With one, data is copied in and a
   * message longer than the buffer completes as fragments.
   */
  receive(buffer?: Uint8Array | null, context?: unknown): void {
    this.assertUsable();
    if (this.stateValue === 'connecting') {
      throw invalidOperation('Cannot receive before the handshake');
    }
    if (this.stateValue === 'aborted')
      throw invalidOperation('Cannot receive on an aborted handle');
    if (this.receiveOp !== undefined) throw invalidOperation('A receive is already queued');
    if (this.receiveEnded) throw invalidOperation('Receiving has ended (close, failure or EOF)');
    if (buffer !== undefined && buffer !== null && buffer.length === 0) {
      throw new RangeError('A receive buffer must not be empty');
    }
    this.receiveOp = { buffer: buffer ?? undefined, context, filled: 0 };
  }

  /** The next action for `queue`, or undefined when there is nothing to do now. */
  getAction(queue: ActionQueue = 'all'): WebSocketAction | undefined {
    this.assertUsable();
    if (queue !== 'receive') {
      const send = this.nextSendAction(true);
      if (send !== undefined) return send;
    } else {
      const internal = this.nextSendAction(false);
      if (internal !== undefined) return internal;
    }
    return queue === 'send' ? undefined : this.nextReceiveAction();
  }

  /**
   * Reports an action done. For a network write, `bytes` is how much was
   * written (less than the action's `byteLength` cancels the send). For a
   * network read, the number of bytes put into the action's `buffer`, or
   * bytes of your own to decode in place; 0 or an empty chunk is end of
   * stream. Indications are completed with 0.
   */
  completeAction(actionContext: number, bytes: number | Uint8Array = 0): void {
    this.assertUsable();
    const send = this.sendSlot;
    if (send !== undefined && send.actionContext === actionContext) {
      this.sendSlot = undefined;
      if (send.type === 'send-to-network') this.completeSend(send, bytes);
      return;
    }
    const receive = this.receiveSlot;
    if (receive !== undefined && receive.actionContext === actionContext) {
      this.receiveSlot = undefined;
      if (receive.type === 'receive-from-network') this.completeReceive(bytes);
      else this.completeIndication(receive);
      return;
    }
    throw invalidOperation(`No outstanding action has context ${actionContext}`);
  }

  /**
   * Stops the connection where it stands: queued operations still drain
   * through `getAction` (sends unsent, the receive with 1006) but no more
   * network I/O is handed out.
   */
  abort(): void {
    this.assertUsable();
    if (this.stateValue === 'connecting' || this.stateValue === 'aborted') return;
    this.stateValue = 'aborted';
    if (this.failure === undefined) {
      this.failure = new NetrxError('ERR_WS_ABORTED', 'The handle was aborted', {
        number: 1235,
      });
    }
    this.endReceiving(this.failure);
    this.cancelQueuedSends();
    this.controlQueue = NO_OPERATIONS;
    this.stopKeepAlive();
  }

  /** Frees the handle; any later call throws. Abort and drain first. */
  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    this.stopKeepAlive();
    this.deflate?.close();
    this.deflate = undefined;
    this.receiveBuffer = undefined;
  }

  /** @internal The component's own receive buffer, allocated on first use. */
  internalReceiveBuffer(): Uint8Array {
    this.receiveBuffer ??= new Uint8Array(this.properties.receiveBufferSize);
    return this.receiveBuffer;
  }

  // -------------------------------------------------------------------------
  // Send side

  private nextSendAction(includeApp: boolean): WebSocketAction | undefined {
    if (this.sendSlot !== undefined) return undefined;
    if (includeApp && this.sendIndications.length > 0) {
      const { op, sent } = this.sendIndications.shift() as { op: SendOperation; sent: boolean };
      // Emptied lists go back to the shared one: a used array keeps its capacity.
      if (this.sendIndications.length === 0) this.sendIndications = NO_INDICATIONS;
      const action: IndicateSendCompleteAction = {
        type: 'indicate-send-complete',
        actionContext: this.nextActionContext++,
        context: op.context,
        bufferType: op.bufferType,
        sent,
      };
      this.sendSlot = action;
      return action;
    }
    if (this.stateValue === 'aborted' || this.transportBroken) return undefined;
    let op = this.controlQueue.shift();
    if (op !== undefined) {
      if (this.controlQueue.length === 0) this.controlQueue = NO_OPERATIONS;
    } else if (includeApp) {
      op = this.sendQueue.shift();
      if (op !== undefined) this.sendQueueBytes -= op.data.length;
      if (this.sendQueue.length === 0) this.sendQueue = NO_OPERATIONS;
    }
    if (op === undefined) return undefined;
    return this.frameSend(op);
  }

  private frameSend(op: SendOperation): SendToNetworkAction {
    const buffers: Uint8Array[] = [];
    const maxFrame = this.properties.sendBufferSize;
    let byteLength: number;
    switch (op.bufferType) {
      case 'ping-pong':
      case 'unsolicited-pong':
      case 'close': {
        const opcode =
          op.bufferType === 'close'
            ? Opcode.Close
            : op.bufferType === 'ping-pong'
              ? Opcode.Ping
              : Opcode.Pong;
        byteLength = writeFrames(
          { opcode, fin: true, rsv1: false, payload: op.data },
          MAX_CONTROL_PAYLOAD,
          this.masks,
          buffers,
        );
        if (op.bufferType === 'close') this.closeSent = parseStatus(op.data);
        break;
      }
      default: {
        const kind = op.bufferType.startsWith('utf8') ? 'utf8' : 'binary';
        const fin = op.bufferType.endsWith('message');
        const first = this.framingMessage === undefined;
        const opcode = first
          ? kind === 'utf8'
            ? Opcode.Text
            : Opcode.Binary
          : Opcode.Continuation;
        this.framingMessage = fin ? undefined : kind;
        // Compress whole messages only: a fragmented send is sent as given.
        const compress = first && fin && this.deflate?.shouldCompress(op.data.length) === true;
        const payload = compress
          ? (this.deflate as PerMessageDeflateSession).deflate(op.data)
          : op.data;
        byteLength = writeFrames(
          { opcode, fin, rsv1: compress, payload },
          maxFrame,
          this.masks,
          buffers,
        );
        if (fin) this.messagesSent++;
      }
    }
    const action: SendToNetworkAction = {
      type: 'send-to-network',
      actionContext: this.nextActionContext++,
      context: op.internal ? undefined : op.context,
      bufferType: op.bufferType,
      buffers,
      byteLength,
    };
    this.sendSlot = action;
    this.sendSlotOp = op;
    if (
      this.trace?.isEnabled(WebSocketEvent.messageSent.level, WebSocketEvent.messageSent.keywords)
    ) {
      this.trace.emit(WebSocketEvent.messageSent, {
        connection: this.name,
        bufferType: op.bufferType,
        size: op.data.length,
      });
    }
    return action;
  }

  private completeSend(action: SendToNetworkAction, bytes: number | Uint8Array): void {
    const op = this.sendSlotOp as SendOperation;
    this.sendSlotOp = undefined;
    const written = typeof bytes === 'number' ? bytes : bytes.length;
    const sent = written >= action.byteLength;
    this.bytesSent += written;
    if (!sent) {
      // A short write cancels the send; the stream is no longer framed.
      this.transportBroken = true;
      this.cancelQueuedSends();
    }
    if (!op.internal) this.pushIndication(op, sent);
    if (op.bufferType === 'close' && sent) this.afterCloseSent();
  }

  private queuePong(payload: Uint8Array): void {
    this.pingsAnswered++;
    if (this.closeQueued) return;
    let pongs = 0;
    for (const op of this.controlQueue) if (isPong(op)) pongs++;
    if (pongs >= MAX_PENDING_PONGS) {
      const oldest = this.controlQueue.findIndex(isPong);
      this.controlQueue.splice(oldest, 1);
      this.pongsCoalesced++;
    }
    this.pushControl({
      bufferType: 'unsolicited-pong',
      data: payload,
      context: PONG,
      internal: true,
    });
  }

  private queueClose(payload: Uint8Array, context: unknown, internal: boolean): void {
    this.closeQueued = true;
    this.queuedMessage = undefined;
    const op: SendOperation = { bufferType: 'close', data: payload, context, internal };
    if (internal) this.pushControl(op);
    else this.pushSend(op);
    if (this.stateValue === 'open') this.stateValue = 'closing';
  }

  private pushSend(op: SendOperation): void {
    if (this.sendQueue === NO_OPERATIONS) this.sendQueue = [];
    this.sendQueue.push(op);
    this.sendQueueBytes += op.data.length;
  }

  private pushControl(op: SendOperation): void {
    if (this.controlQueue === NO_OPERATIONS) this.controlQueue = [];
    this.controlQueue.push(op);
  }

  private pushIndication(op: SendOperation, sent: boolean): void {
    if (this.sendIndications === NO_INDICATIONS) this.sendIndications = [];
    this.sendIndications.push({ op, sent });
  }

  private cancelQueuedSends(): void {
    for (const op of this.sendQueue) {
      if (!op.internal) this.pushIndication(op, false);
    }
    this.sendQueue = NO_OPERATIONS;
    this.sendQueueBytes = 0;
  }

  private afterCloseSent(): void {
    if (this.closeReceived !== undefined || this.failure !== undefined) this.finishClose();
  }

  // -------------------------------------------------------------------------
  // Receive side

  private nextReceiveAction(): WebSocketAction | undefined {
    const op = this.receiveOp;
    if (this.receiveSlot !== undefined || op === undefined) return undefined;
    const indicated = this.receivePath.step(op);
    if (indicated !== undefined) {
      const action = this.indicationAction(indicated, op.context);
      this.receiveSlot = action;
      return action;
    }
    if (this.stateValue === 'aborted' || this.receiveEnded) return undefined;
    // Decoding may have queued pongs or a close reply: write those before reading on.
    if (this.controlQueue.length > 0 && this.sendSlot === undefined) {
      return this.nextSendAction(false);
    }
    const action = new ReceiveFromNetwork(this.nextActionContext++, op.context, this);
    this.receiveSlot = action;
    return action;
  }

  private indicationAction(i: Indication, context: unknown): IndicateReceiveCompleteAction {
    return {
      type: 'indicate-receive-complete',
      actionContext: this.nextActionContext++,
      context,
      bufferType: i.bufferType,
      buffer: i.buffer,
      close: i.close,
      error: i.error,
    };
  }

  private completeReceive(bytes: number | Uint8Array): void {
    let chunk: Uint8Array;
    if (typeof bytes === 'number') {
      if (!Number.isInteger(bytes) || bytes < 0) {
        throw new RangeError(`bytesTransferred must be a non-negative integer: got ${bytes}`);
      }
      chunk = bytes === 0 ? EMPTY : this.internalReceiveBuffer().subarray(0, bytes);
    } else {
      chunk = bytes;
    }
    if (chunk.length === 0) {
      this.receivePath.pushEndOfStream();
      return;
    }
    this.bytesReceived += chunk.length;
    const keepAlive = this.keepAlive;
    if (keepAlive !== undefined) {
      keepAlive.pingOutstanding = false;
      keepAlive.lastReceivedAt = keepAlive.clock.now();
    }
    this.receivePath.push(chunk);
  }

  private completeIndication(action: IndicateReceiveCompleteAction): void {
    this.receiveOp = undefined;
    if (action.bufferType !== 'close') return;
    this.receiveEnded = true;
    if (action.error !== undefined && this.failure === undefined) this.failure = action.error;
    if (action.close?.code === CloseCode.AbnormalClosure) this.finishClose();
  }

  private onCloseReceived(status: CloseStatus): void {
    this.closeReceived = status;
    if (this.stateValue === 'open') this.stateValue = 'closing';
    if (!this.closeQueued) {
      // Echo the status and reason (RFC 6455 §5.5.1); 1005 means the close had no body.
      const payload =
        status.code === CloseCode.NoStatusReceived
          ? EMPTY
          : emitClosePayload(status.code, status.reason);
      this.cancelQueuedSends();
      this.queueClose(payload, undefined, true);
    } else if (this.closeSent !== undefined) {
      this.finishClose();
    }
  }

  private onProtocolFailure(error: ProtocolError): void {
    this.failure ??= error;
    this.trace?.emit(WebSocketEvent.protocolError, {
      connection: this.name,
      code: error.code,
      closeCode: error.closeCode ?? 0,
      message: error.message,
    });
    this.cancelQueuedSends();
    if (!this.closeQueued) {
      this.queueClose(
        emitClosePayload(error.closeCode ?? CloseCode.ProtocolError),
        undefined,
        true,
      );
    } else if (this.closeSent !== undefined) {
      this.finishClose();
    }
  }

  private endReceiving(error: NetrxError): void {
    this.receivePath.terminate({
      bufferType: 'close',
      buffer: EMPTY,
      close: { code: CloseCode.AbnormalClosure, reason: '' },
      error,
    });
  }

  private finishClose(): void {
    if (this.stateValue === 'closed' || this.stateValue === 'aborted') return;
    this.stateValue = 'closed';
    this.stopKeepAlive();
    const status = this.closeReceived ??
      this.closeSent ?? {
        code: CloseCode.AbnormalClosure,
        reason: '',
      };
    this.trace?.emit(WebSocketEvent.closed, {
      connection: this.name,
      code: status.code,
      reason: status.reason,
      clean: this.failure === undefined && this.closeReceived !== undefined,
    });
  }

  // -------------------------------------------------------------------------
  // Keep-alive

  private startKeepAlive(): void {
    const keepAlive = this.keepAlive;
    if (keepAlive === undefined) return;
    keepAlive.lastReceivedAt = keepAlive.clock.now();
    keepAlive.timer = keepAlive.clock.setTimer(this.properties.keepAliveInterval, () =>
      this.keepAliveTick(),
    );
  }

  private keepAliveTick(): void {
    const keepAlive = this.keepAlive as KeepAlive;
    const interval = this.properties.keepAliveInterval;
    keepAlive.timer = undefined;
    if (this.deleted || this.stateValue === 'closed' || this.stateValue === 'aborted') return;
    const idle = keepAlive.clock.now() - keepAlive.lastReceivedAt;
    if (idle >= interval) {
      if (keepAlive.pingOutstanding) {
        this.failure ??= new ProtocolError(
          'ERR_WS_KEEPALIVE_TIMEOUT',
          `No bytes received for ${Math.round(idle)} ms after a keep-alive ping`,
          'remote',
        );
        this.abort();
        this.onActionAvailable?.(this);
        return;
      }
      keepAlive.pingOutstanding = true;
      this.pushControl({
        bufferType: 'ping-pong',
        data: EMPTY,
        context: undefined,
        internal: true,
      });
      this.onActionAvailable?.(this);
    }
    keepAlive.timer = keepAlive.clock.setTimer(idle >= interval ? interval : interval - idle, () =>
      this.keepAliveTick(),
    );
  }

  private stopKeepAlive(): void {
    const keepAlive = this.keepAlive;
    if (keepAlive === undefined) return;
    keepAlive.timer?.cancel();
    keepAlive.timer = undefined;
  }

  private assertUsable(): void {
    if (this.deleted) throw invalidOperation('The handle was deleted');
  }
}

/** Nothing agreed: one object for every plain connection. */
const NOTHING_NEGOTIATED: Negotiated = {
  protocol: undefined,
  extensions: '',
  perMessageDeflate: undefined,
};

function negotiation(agreed: {
  readonly protocol: string | undefined;
  readonly extensions: readonly Extension[];
  readonly perMessageDeflate: PerMessageDeflateParams | undefined;
}): Negotiated {
  if (agreed.protocol === undefined && agreed.extensions.length === 0) return NOTHING_NEGOTIATED;
  return {
    protocol: agreed.protocol,
    extensions: formatExtensions(agreed.extensions),
    perMessageDeflate: agreed.perMessageDeflate,
  };
}

/** Marks internal pongs (answers to pings) apart from app unsolicited pongs. */
const PONG: unique symbol = Symbol('pong');

function isPong(op: SendOperation): boolean {
  return op.context === PONG;
}

function parseStatus(payload: Uint8Array): CloseStatus {
  if (payload.length < 2) return { code: CloseCode.NoStatusReceived, reason: '' };
  return {
    code: ((payload[0] as number) << 8) | (payload[1] as number),
    reason: new TextDecoder().decode(payload.subarray(2)),
  };
}
