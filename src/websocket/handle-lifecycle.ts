/**
 * The handle's connection state machine: connecting → open → closing →
 * closed (or aborted), the closing handshake and the failure close. The
 * handle (handle.ts) owns one `Lifecycle` and calls it for every state
 * change; the send and receive paths do the framing. Not exported from the
 * package: a caller could otherwise forge a close or a failure.
 */
import { NetrxError, type ProtocolError } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import { CloseCode, emitClosePayload } from '../wire/websocket/index.js';
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import type { CloseStatus, IndicateReceiveCompleteAction } from './actions.js';
import { WebSocketEvent } from './events.js';
import { namedFlags } from './flags.js';
import type { HandleState } from './handle-types.js';
import type { KeepAlive } from './keep-alive.js';
import type { ReceivePath } from './receive-path.js';
import { invalidOperation, type SendPath } from './send-path.js';

/** The handle's booleans, packed into `flags` (memory per connection). */
const FLAGS = namedFlags(
  'deleted',
  /** A close is queued or sent: only control frames may follow. */
  'closeQueued',
  'receiveEnded',
);

/** What the state machine drives (the handle's paths, fixed at construction). */
export interface LifecycleParts<Owner> {
  readonly sendPath: SendPath;
  readonly receivePath: ReceivePath<Owner>;
  readonly keepAlive: KeepAlive<Owner> | undefined;
  readonly trace: TraceProvider | undefined;
  readonly name: string;
}

export class Lifecycle<Owner> {
  state: HandleState = 'connecting';
  /** The close the peer sent, once decoded. */
  closeReceived: CloseStatus | undefined;
  /** The error that ended the connection, if one did. */
  failure: NetrxError | undefined;
  /** Booleans in one number (memory per connection): see `FLAGS` and the accessors. */
  private flags = 0;

  // The parts are kept as fields (not the parts object: one object fewer per connection).
  private readonly sendPath: SendPath;
  private readonly receivePath: ReceivePath<Owner>;
  private readonly keepAlive: KeepAlive<Owner> | undefined;
  private readonly trace: TraceProvider | undefined;
  private readonly name: string;

  constructor(parts: LifecycleParts<Owner>) {
    this.sendPath = parts.sendPath;
    this.receivePath = parts.receivePath;
    this.keepAlive = parts.keepAlive;
    this.trace = parts.trace;
    this.name = parts.name;
  }

  get deleted(): boolean {
    return FLAGS.has(this.flags, 'deleted');
  }
  set deleted(on: boolean) {
    this.flags = FLAGS.with(this.flags, 'deleted', on);
  }
  /** A close is queued or sent: only control frames may follow. */
  get closeQueued(): boolean {
    return FLAGS.has(this.flags, 'closeQueued');
  }
  private set closeQueued(on: boolean) {
    this.flags = FLAGS.with(this.flags, 'closeQueued', on);
  }
  get receiveEnded(): boolean {
    return FLAGS.has(this.flags, 'receiveEnded');
  }
  private set receiveEnded(on: boolean) {
    this.flags = FLAGS.with(this.flags, 'receiveEnded', on);
  }

  /** See `WebSocketHandle.transportDone`. */
  get transportDone(): boolean {
    const send = this.sendPath;
    return (
      this.state === 'closed' ||
      this.state === 'aborted' ||
      send.transportBroken ||
      (this.failure !== undefined && send.closeSent !== undefined)
    );
  }

  /** Queues a close (the application's, or the component's echo or failure close). */
  queueClose(payload: Uint8Array, context: unknown, internal: boolean): void {
    this.closeQueued = true;
    this.sendPath.queueClose(payload, context, internal);
    if (this.state === 'open') this.state = 'closing';
  }

  /** The close frame was written. */
  afterCloseSent(): void {
    if (this.closeReceived !== undefined || this.failure !== undefined) this.finishClose();
  }

  /** A receive indication was completed; a close ends receiving. */
  completeIndication(action: IndicateReceiveCompleteAction): void {
    if (action.bufferType !== 'close') return;
    this.receiveEnded = true;
    if (action.error !== undefined && this.failure === undefined) this.failure = action.error;
    if (action.close?.code === CloseCode.AbnormalClosure) this.finishClose();
  }

  onCloseReceived(status: CloseStatus): void {
    this.closeReceived = status;
    if (this.state === 'open') this.state = 'closing';
    const send = this.sendPath;
    if (!this.closeQueued) {
      // Echo the status and reason (RFC 6455 §5.5.1); 1005 means the close had no body.
      const payload =
        status.code === CloseCode.NoStatusReceived
          ? EMPTY_BYTES
          : emitClosePayload(status.code, status.reason);
      send.cancelQueued();
      this.queueClose(payload, undefined, true);
    } else if (send.closeSent !== undefined) {
      this.finishClose();
    }
  }

  onProtocolFailure(error: ProtocolError): void {
    this.failure ??= error;
    this.trace?.emit(WebSocketEvent.protocolError, {
      connection: this.name,
      code: error.code,
      closeCode: error.closeCode ?? 0,
      message: error.message,
    });
    const send = this.sendPath;
    send.cancelQueued();
    if (send.closeSent !== undefined) {
      this.finishClose();
    } else if (!send.controlCloseQueued) {
      // No close framed yet: the failure close goes out, even when the
      // application had queued one (it was just cancelled with the other
      // queued sends; issue 8, defect 4).
      this.queueClose(
        emitClosePayload(error.closeCode ?? CloseCode.ProtocolError),
        undefined,
        true,
      );
    }
  }

  /** See `WebSocketHandle.abort`. */
  abort(): void {
    if (this.state === 'connecting' || this.state === 'aborted') return;
    this.state = 'aborted';
    if (this.failure === undefined) {
      this.failure = new NetrxError('ERR_WS_ABORTED', 'The handle was aborted', {
        number: 1235,
      });
    }
    this.endReceiving(this.failure);
    this.sendPath.cancelQueued();
    this.sendPath.dropControl();
    this.keepAlive?.stop();
  }

  private endReceiving(error: NetrxError): void {
    this.receivePath.terminate({
      bufferType: 'close',
      buffer: EMPTY_BYTES,
      close: { code: CloseCode.AbnormalClosure, reason: '' },
      error,
    });
  }

  private finishClose(): void {
    if (this.state === 'closed' || this.state === 'aborted') return;
    this.state = 'closed';
    this.keepAlive?.stop();
    const status = this.closeReceived ??
      this.sendPath.closeSent ?? {
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

  /** Sends need an open (or closing) handle. */
  assertCanSend(): void {
    this.assertUsable();
    if (this.state === 'connecting') throw invalidOperation('Cannot send before the handshake');
    if (this.state === 'aborted') throw invalidOperation('Cannot send on an aborted handle');
  }

  assertUsable(): void {
    if (this.deleted) throw invalidOperation('The handle was deleted');
  }
}
