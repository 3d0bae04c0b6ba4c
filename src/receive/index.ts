/**
 * netrx/receive: the posted-receive model shared by ports, WebSockets and
 * event capture.
 *
 * Data enters at the bottom by push and leaves at the top through posted
 * receives (RAS `RasReceiveBuffer`, `WebSocketReceive`, LREC
 * `RpcNetEventReceiveData`). A receive is posted, optionally with the caller's
 * buffer, and returns at once; it completes exactly once: with data, when its
 * timeout passes, when the source disconnects (carrying the cause) or when its
 * `AbortSignal` fires. Completion is both a promise (`done`) and a synchronous
 * field (`result`), so sans-I/O engines and async callers use the same object.
 *
 * A policy decides whether one receive may be outstanding (a second fails
 * with `ERROR_ASYNC_REQUEST_PENDING`, 616) or several wait in order. Data that
 * arrives with no receive posted waits in a bounded queue that never blocks
 * the producer: past its bound a push is refused and counted, and nothing
 * already accepted is ever dropped. Data queued before a disconnect is still
 * delivered. Time comes from an injected `Clock`.
 */
export { BoundedQueue } from './bounded-queue.js';
export type { ReceiveCompletion, ReceiveStatus } from './completion.js';
export {
  PendingReceive,
  Receiver,
  type PostReceiveOptions,
  type ReceiverOptions,
  type ReceiverStats,
} from './receiver.js';
