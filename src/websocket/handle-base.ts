/**
 * What every WebSocket handle is made of (split from handle.ts, whose
 * `WebSocketHandle` extends it): the parts built by handle-parts.ts, the
 * host objects through which they call back (defined in the static block,
 * shared by every handle and never exported, so protocol events cannot be
 * forged through the public API), what can be read off them (`stats`,
 * `state`, `queuedBytes`…) and `abort`, which keep-alive needs too.
 * handle.ts adds the operations and the handshake.
 */
import { ProtocolError, type NetrxError } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import type { WebSocketAction } from './actions.js';
import type { DeflateCodec } from './deflate-codec.js';
import { WebSocketEvent } from './events.js';
import type { HandleProperties, WebSocketHandle } from './handle.js';
import type { Lifecycle } from './handle-lifecycle.js';
import { buildParts } from './handle-parts.js';
import type { HandleRole, HandleState, HandleStats, Negotiated } from './handle-types.js';
import type { KeepAlive, KeepAliveHost } from './keep-alive.js';
import type { PerMessageDeflateSession } from './permessage-deflate.js';
import { resolveProperties, type ResolvedProperties } from './properties.js';
import type { ReceivePath, ReceiveHost } from './receive-path.js';
import type { ReceiveSide, ReceiveTurn } from './receive-side.js';
import type { SendPath } from './send-path.js';

/** Set by `HandleBase`'s static block. */
let receiveHost: ReceiveHost<HandleBase>;
let keepAliveHost: KeepAliveHost<HandleBase>;
let receiveTurn: ReceiveTurn<HandleBase>;

/** The parts and state of a handle; `WebSocketHandle` is the one subclass. */
export abstract class HandleBase {
  static {
    // Code in the class body may use private members: these host objects
    // are how the paths call back, without a public method for each. The
    // casts are sound: `WebSocketHandle` is the only subclass, and the
    // callbacks are typed for it.
    receiveHost = {
      receivedPing: (h, payload) => {
        if (h.onPing?.(h as WebSocketHandle, payload) === false) return;
        h.sendPath.queuePong(payload, h.life.closeQueued);
      },
      receivedClose: (h, status) => h.life.onCloseReceived(status),
      receivedViolation: (h, error) => h.life.onProtocolFailure(error),
      receivedMessage: (h, text, size) => {
        h.messagesReceived++;
        h.trace?.emit(WebSocketEvent.messageReceived, { connection: h.name, text, size });
      },
    };
    receiveTurn = {
      nextContext: (h) => h.nextActionContext++,
      readsEnded: (h) => h.life.state === 'aborted' || h.life.receiveEnded,
      controlFirst: (h) =>
        h.sendPath.hasControl && !h.sendPath.busy ? h.nextSendAction(false) : undefined,
    };
    keepAliveHost = {
      isLive: (h) => !h.life.deleted && h.life.state !== 'closed' && h.life.state !== 'aborted',
      ping: (h) => {
        h.sendPath.queuePing();
        h.onActionAvailable?.(h as WebSocketHandle);
      },
      timedOut: (h, idle) => {
        h.life.failure ??= new ProtocolError(
          'ERR_WS_KEEPALIVE_TIMEOUT',
          `No bytes received for ${Math.round(idle)} ms after a keep-alive ping`,
          'remote',
        );
        h.abort();
        h.onActionAvailable?.(h as WebSocketHandle);
      },
    };
  }

  readonly role: HandleRole;
  readonly properties: ResolvedProperties;
  /**
   * Whatever the host wants to reach from the handle (its connection, say),
   * so callbacks like `onActionAvailable` need no closure per connection.
   */
  owner: unknown;
  private messagesReceived = 0;
  // What the handle keeps of its properties (not the whole object: it would
  // be held per connection).
  protected readonly crypto: HandleProperties['crypto'];
  protected readonly deflateCodec: DeflateCodec | undefined;
  private readonly onActionAvailable: ((handle: WebSocketHandle) => void) | undefined;
  private readonly onPing: HandleProperties['onPing'];
  protected negotiatedValue: Negotiated = {};
  protected readonly trace: TraceProvider | undefined;
  protected readonly name: string;
  protected deflate: PerMessageDeflateSession | undefined;

  protected readonly sendPath: SendPath;
  protected readonly receivePath: ReceivePath<HandleBase>;
  protected readonly receiveSide: ReceiveSide<HandleBase>;
  /** The state machine: state, the closing handshake, the failure close. */
  protected readonly life: Lifecycle<HandleBase>;
  /** Only on handles that keep alive. */
  protected readonly keepAlive: KeepAlive<HandleBase> | undefined;

  private nextActionContext = 1;

  protected constructor(role: HandleRole, properties: HandleProperties = {}) {
    this.role = role;
    this.crypto = properties.crypto;
    this.deflateCodec = properties.deflateCodec;
    this.onActionAvailable = properties.onActionAvailable;
    this.onPing = properties.onPing;
    this.properties = resolveProperties(properties);
    const parts = buildParts(role, properties, this.properties, this, {
      receive: receiveHost,
      keepAlive: keepAliveHost,
    });
    this.name = parts.name;
    this.trace = parts.trace;
    this.keepAlive = parts.keepAlive;
    this.sendPath = parts.sendPath;
    this.receivePath = parts.receivePath;
    this.receiveSide = parts.receiveSide;
    this.life = parts.life;
  }

  /** What the handle has done so far (a fresh snapshot each call). */
  get stats(): HandleStats {
    const s = this.sendPath;
    return {
      messagesReceived: this.messagesReceived,
      messagesSent: s.messagesSent,
      bytesReceived: this.receiveSide.bytesReceived,
      bytesSent: s.bytesSent,
      pingsAnswered: s.pingsAnswered,
      pongsCoalesced: s.pongsCoalesced,
      sendsRefused: s.sendsRefused,
    };
  }

  get state(): HandleState {
    return this.life.state;
  }

  /** What the handshake agreed. */
  get negotiated(): Negotiated {
    return this.negotiatedValue;
  }

  /** The error that ended the connection, if one did. */
  get error(): NetrxError | undefined {
    return this.life.failure;
  }

  /**
   * Whether the host should close the transport once it has written what
   * it was given: the closing handshake is over, the protocol failed, or the
   * handle was aborted.
   */
  get transportDone(): boolean {
    return this.life.transportDone;
  }

  /**
   * The last `getAction` stopped at `receiveStepBytes` with receive work
   * left (inflating, gathering a message): call `getAction` again to go on.
   */
  get receivePending(): boolean {
    return this.receivePath.workPending;
  }

  /**
   * Bytes held for the message being received and not yet indicated:
   * compressed bytes of a frame still arriving, inflated or lent pieces,
   * the assembly buffer. At most about `maxMessageSize` plus the bytes of
   * the frame arriving.
   */
  get receiveHeldBytes(): number {
    return this.receivePath.heldBytes;
  }

  /** Bytes queued by `send` and not yet handed out in a send action. */
  get queuedBytes(): number {
    return this.sendPath.queuedBytes;
  }

  /**
   * Stops the connection where it stands: queued operations still drain
   * through `getAction` (sends unsent, the receive with 1006) but no more
   * network I/O is handed out.
   */
  abort(): void {
    this.life.assertUsable();
    this.life.abort();
  }

  // -------------------------------------------------------------------------
  // Send side (the work is in send-path.ts)

  protected nextSendAction(includeApp: boolean): WebSocketAction | undefined {
    const action = this.sendPath.next(
      includeApp,
      this.life.state !== 'aborted',
      this.nextActionContext,
    );
    if (action !== undefined) this.nextActionContext++;
    return action;
  }

  // -------------------------------------------------------------------------
  // Receive side (the work is in receive-path.ts)

  protected nextReceiveAction(): WebSocketAction | undefined {
    return this.receiveSide.next(this, receiveTurn);
  }
}
