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
 *
 * This file is the handle's operations and handshake; `handle-base.ts` (the
 * base class) holds its parts, wires them to the host objects and reads
 * them out (`stats`, `state`…). The connection's state
 * machine is `handle-lifecycle.ts`, its parts are built by `handle-parts.ts`,
 * the handshake checks are in `handle-handshake.ts`, the checks of `send`'s
 * arguments in `send-checks.ts` and its plain types in `handle-types.ts`;
 * `send-path.ts`, `receive-side.ts` (the queued receive and its actions)
 * over `receive-path.ts` (decoding), and `keep-alive.ts` do the work of
 * each side. They reach back into the handle through host objects
 * defined in the base class's static block, shared by every handle and never
 * exported, so protocol events cannot be forged through the public API.
 */
import type {
  ActionQueue,
  BufferType,
  CloseStatus,
  ReceiveOptions,
  WebSocketAction,
} from './actions.js';
import { WebSocketEvent } from './events.js';
import { HandleBase } from './handle-base.js';
import {
  checkClientResponse,
  clientRequestFor,
  serverResponseFor,
  type HandshakeSide,
} from './handle-handshake.js';
import type {
  AcceptOptions,
  ClientHandshake,
  ClientRequest,
  ClientRequestOptions,
  ServerHandshake,
  UpgradeRequest,
} from './handshake.js';
import type { HandshakeResult } from './handshake-failure.js';
import type { HttpResponseHead } from './http-head.js';
import { PerMessageDeflateSession } from './permessage-deflate.js';
import type { PreparedMessage } from './prepared-message.js';
import type { HandleSettings } from './properties.js';
import { invalidOperation } from './send-path.js';
import { checkPieces, closePayloadFor, sendPayloadFor } from './send-checks.js';
import { negotiation, type HandleRole, type Negotiated, type SendOptions } from './handle-types.js';

export type {
  HandleRole,
  HandleState,
  HandleStats,
  Negotiated,
  SendOptions,
} from './handle-types.js';

/** Handle properties: the settings of properties.ts plus the callbacks that get the handle. */
export interface HandleProperties extends HandleSettings {
  /**
   * Called when an action became available on its own (a keep-alive ping, a
   * keep-alive failure), so the host runs its action loop. It gets the
   * handle, so one function can serve every connection (see `owner`).
   */
  readonly onActionAvailable?: (handle: WebSocketHandle) => void;
  /**
   * Called with each ping's payload as it is decoded. Return false to leave
   * it unanswered (the host pongs itself: `ws`'s `autoPong: false`);
   * otherwise the component answers it.
   */
  readonly onPing?: (handle: WebSocketHandle, payload: Uint8Array) => boolean | void;
}

export function createClientHandle(properties: HandleProperties = {}): WebSocketHandle {
  return new WebSocketHandle('client', properties);
}

export function createServerHandle(properties: HandleProperties = {}): WebSocketHandle {
  return new WebSocketHandle('server', properties);
}

export class WebSocketHandle extends HandleBase {
  private clientRequest: ClientRequest | undefined;

  constructor(role: HandleRole, properties: HandleProperties = {}) {
    super(role, properties);
  }

  /**
   * Opens the handle after a handshake made elsewhere (or none: RFC 8441
   * streams, tests). The handshake helpers call this themselves.
   */
  open(negotiated: Negotiated = {}): void {
    this.life.assertUsable();
    if (this.life.state !== 'connecting') throw invalidOperation('The handle is already open');
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
      this.sendPath.deflate = this.deflate;
      this.receivePath.enableDeflate(this.role, this.deflate);
    }
    this.life.state = 'open';
    this.trace?.emit(WebSocketEvent.opened, {
      connection: this.name,
      role: this.role,
      protocol: negotiated.protocol ?? '',
      extensions: negotiated.extensions ?? '',
    });
    this.keepAlive?.start();
  }

  // -------------------------------------------------------------------------
  // Handshake (websocket.dll's Begin/End Client/Server Handshake)

  /**
   * The client's upgrade request. Offers permessage-deflate only when asked
   * and the handle has a `deflateCodec`. Write `bytes`, then pass the parsed
   * response to `endClientHandshake`.
   */
  beginClientHandshake(options: Omit<ClientRequestOptions, 'crypto'>): ClientRequest {
    this.life.assertUsable();
    const request = clientRequestFor(this.handshakeSide, this.clientRequest !== undefined, options);
    this.clientRequest = request;
    return request;
  }

  /**
   * Checks the server's response; on success the handle is open. On failure
   * the client must drop the connection without a close frame.
   */
  endClientHandshake(response: HttpResponseHead): HandshakeResult<ClientHandshake> {
    this.life.assertUsable();
    const result = checkClientResponse(this.handshakeSide, this.clientRequest, response);
    if (result.ok) this.open(negotiation(result.value));
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
    this.life.assertUsable();
    const response = serverResponseFor(this.handshakeSide, request, options);
    this.open(negotiation(response));
    return response;
  }

  /** What the handshake wrappers check (a fresh view each call: handshakes are rare). */
  private get handshakeSide(): HandshakeSide {
    return {
      role: this.role,
      state: this.life.state,
      crypto: this.crypto,
      deflateCodec: this.deflateCodec,
    };
  }

  /** websocket.dll's WebSocketEndServerHandshake: nothing left to do here; kept for parity. */
  endServerHandshake(): void {
    this.life.assertUsable();
    if (this.life.state === 'connecting')
      throw invalidOperation('The server handshake has not begun');
  }

  // -------------------------------------------------------------------------
  // Operations

  /**
   * Queues a send. Data types take the payload (a `*-fragment` leaves the
   * message open for more); `ping-pong` sends a ping and `unsolicited-pong` a
   * pong, each with at most 125 bytes; `close` takes the status (no code
   * means an empty close body). The caller must not change `data` until
   * the send-complete indication. `options.compress: false` sends a whole
   * message uncompressed on a deflate connection. A send past the queue's bound
   * (`maxQueuedSends`, `maxQueuedSendBytes`) throws `ERR_WS_SEND_QUEUE_FULL`
   * and is counted in `stats.sendsRefused`; a close is never refused.
   */
  send(
    bufferType: Exclude<BufferType, 'close'>,
    data?: Uint8Array,
    context?: unknown,
    options?: SendOptions,
  ): void;
  send(bufferType: 'close', status?: Partial<CloseStatus>, context?: unknown): void;
  send(
    bufferType: BufferType,
    data?: Uint8Array | Partial<CloseStatus>,
    context?: unknown,
    options?: SendOptions,
  ): void {
    this.life.assertCanSend();
    if (bufferType === 'close') {
      const body = closePayloadFor(data as Partial<CloseStatus> | undefined, this.life.closeQueued);
      this.life.queueClose(body, context, false);
      return;
    }
    const payload = sendPayloadFor(bufferType, data, this.life.closeQueued);
    this.sendPath.queueSend(bufferType, payload, context, options?.compress === false);
  }

  /**
   * Queues a binary message (or fragment) given as pieces, in order. A
   * server without permessage-deflate sends them as one frame behind one
   * header, each piece as it is (no join); otherwise they are joined and
   * sent as `send` would. The caller must not change them until the
   * send-complete indication.
   */
  sendPieces(
    bufferType: 'binary-message' | 'binary-fragment',
    pieces: readonly Uint8Array[],
    context?: unknown,
  ): void {
    this.life.assertCanSend();
    checkPieces(pieces, this.life.closeQueued);
    this.sendPath.queueSendPieces(bufferType, pieces, context);
  }

  /**
   * Queues a prepared message (a broadcast's frame built once): the shared
   * bytes where this connection can send them as they are, else the payload
   * framed here (see prepared-message.ts). Refused as `send` is.
   */
  sendPrepared(message: PreparedMessage, context?: unknown): void {
    this.life.assertCanSend();
    if (this.life.closeQueued) throw invalidOperation('Cannot send data after a close');
    this.sendPath.queuePrepared(message, context);
  }

  /**
   * A prepared message's shared frame for the host to write to the
   * network itself, at once and before anything else of this connection
   * (a broadcast's fast path: no queue, no action), or undefined when it
   * must go through `sendPrepared` instead: the handle is not open, a close
   * is queued, anything of the send side waits or is outstanding, or this
   * connection frames the message itself. Counted in `stats` as a send; no
   * send-complete indication follows.
   */
  takePrepared(message: PreparedMessage): Uint8Array | undefined {
    const life = this.life;
    if (life.deleted || life.state !== 'open' || life.closeQueued) return undefined;
    return this.sendPath.takePrepared(message);
  }

  /**
   * Queues a receive. Without `buffer`, data is handed out as views of the
   * component's memory or of the chunks it was given, valid until the
   * indication is completed (zero copy). With one, data is copied in and a
   * message longer than the buffer completes as fragments. `options.pieces`
   * (no buffer, `assembleMessages` with `retainLentChunks`): a binary
   * message held as pieces of the lent chunks it came in is indicated as
   * those pieces (`buffers`) instead of being gathered into one buffer.
   */
  receive(buffer?: Uint8Array | null, context?: unknown, options?: ReceiveOptions): void {
    this.life.assertUsable();
    if (this.life.state === 'connecting') {
      throw invalidOperation('Cannot receive before the handshake');
    }
    if (this.life.state === 'aborted')
      throw invalidOperation('Cannot receive on an aborted handle');
    if (this.receiveSide.op !== undefined) throw invalidOperation('A receive is already queued');
    if (this.life.receiveEnded)
      throw invalidOperation('Receiving has ended (close, failure or EOF)');
    this.receiveSide.queue(buffer, context, options);
  }

  /**
   * Changes the options of the queued receive (a host whose application
   * changed its mind, e.g. `binaryType`, before the next message ends).
   * Nothing queued: nothing to change.
   */
  setReceiveOptions(options: ReceiveOptions): void {
    this.life.assertUsable();
    this.receiveSide.changeOptions(options);
  }

  /** The next action for `queue`, or undefined when there is nothing to do now. */
  getAction(queue: ActionQueue = 'all'): WebSocketAction | undefined {
    this.life.assertUsable();
    const send = this.nextSendAction(queue !== 'receive');
    if (send !== undefined) return send;
    return queue === 'send' ? undefined : this.nextReceiveAction();
  }

  /**
   * Reports an action done. For a network write, `bytes` is how much was
   * written (less than the action's `byteLength` cancels the send). For a
   * network read, the number of bytes put into the action's `buffer`, or
   * bytes of your own to decode in place; 0 or an empty chunk is end of
   * stream. Indications are completed with 0. A count that is not an
   * integer from 0 to what the action could hold (its `byteLength`, its
   * buffer's length) is a `RangeError`, and the action stays outstanding.
   */
  completeAction(actionContext: number, bytes: number | Uint8Array = 0): void {
    this.life.assertUsable();
    if (this.sendPath.owns(actionContext)) {
      if (this.sendPath.complete(bytes)) this.life.afterCloseSent();
      return;
    }
    const side = this.receiveSide;
    const receive = side.slot;
    if (receive !== undefined && receive.actionContext === actionContext) {
      if (receive.type === 'receive-from-network' && typeof bytes === 'number') {
        side.checkReadCount(bytes);
      }
      side.slot = undefined;
      if (receive.type === 'receive-from-network') side.completeRead(bytes);
      else {
        side.op = undefined;
        this.life.completeIndication(receive);
      }
      return;
    }
    throw invalidOperation(`No outstanding action has context ${actionContext}`);
  }
  /**
   * Changes the keep-alive interval of an open handle (0: off; see
   * `KeepAlive.setInterval`). A handle built without one has no timer to
   * change: only 0 is accepted there.
   */
  setKeepAliveInterval(interval: number): void {
    if (!Number.isSafeInteger(interval) || interval < 0) {
      throw new RangeError(`keepAliveInterval must be an integer >= 0, got ${interval}`);
    }
    if (this.keepAlive === undefined && interval > 0) {
      throw new TypeError('This handle was built without keepAliveInterval: none can be set');
    }
    this.keepAlive?.setInterval(interval);
  }

  /** Frees the handle; any later call throws. Abort and drain first. */
  delete(): void {
    if (this.life.deleted) return;
    this.life.deleted = true;
    this.keepAlive?.stop();
    this.deflate?.close();
    this.deflate = undefined;
    this.sendPath.deflate = undefined;
    this.receiveSide.release();
  }
}
