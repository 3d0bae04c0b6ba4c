/**
 * netrx/capture: live event sessions for remote watchers (seed 003, MS-LREC
 * `RpcNetEventReceiveData`).
 *
 * The contract. A `SessionTable` holds at most `maxSessions` sessions, each
 * created Stopped with a name, an Associated Provider List (netrx/trace
 * providers by GUID or name, each with Level, MatchAnyKeyword and
 * MatchAllKeyword under ETW's rules, and filter data for providers that
 * filter per listener) and limits (`bufferBytes × maxBuffers` bound its
 * memory). While Running, `openSession(name)` returns a handle and starts
 * queuing matching events at once: each event is encoded, once, into the
 * EVENT_BUFFER a later receive hands out whole. `receiveData(handle)` posts
 * the one receive a session may have outstanding (a second fails, as does an
 * unknown handle) and returns a `PendingReceive` (netrx/receive): it
 * completes at once if a buffer is ready ("enough": full, or at
 * `eventsPerBuffer` events), otherwise when one is, or when the Data
 * Completion Timer fires; the timer is armed by the first event queued into
 * an empty buffer, never by the call. A full queue drops the new event and
 * counts it; the count rides as exactly one NET_EVENT_LOST item, last in the
 * next buffer delivered, saturating at 0xFFFFFFFF and reset once reported.
 * `closeSession` stops accumulating; a dropped connection (`rundown`) and
 * `stop` stop the session: a pending receive completes successfully with the
 * discarded events counted in its NET_EVENT_LOST, so delivered + reported
 * lost always equals what the providers produced and matched.
 *
 * Capture listens to netrx/trace providers and never imports a protocol
 * module (it knows providers, not protocols). `startSyntheticProvider` is the
 * provider for tests and benchmarks (`netrx-synthetic`: u64 sequence numbers
 * at a rate on the injected clock). All time comes from the injected clock.
 *
 * `LrecRpcServer` is the DCE/RPC (ncacn_ip_tcp) server core in front of a
 * table, sans-I/O: interface 22e5386d-8b12-4bf0-b0ec-6a1ea419e366 v1.0,
 * opnums 0–2 in NDR20, context handles scoped to association groups and
 * run down (Stop) when a group's last connection closes; every connection
 * has a bind deadline, an idle timeout (a session or a parked receive keeps
 * it), a partial-PDU deadline and a place under total and per-address caps,
 * each counted and traced (`netrx-capture-rpc`); netrx/node moves its bytes
 * over TCP. `LrecRpcClient` is the matching client core.
 *
 * `LrecWsServer` is the WebSocket transport's core (`netrx.lrec.v1`: JSON
 * text frames per call, the EVENT_BUFFER as one binary frame), with the
 * same one-outstanding-receive rule and rundown; a congested socket defers
 * the client's next receive instead of buffering, so loss is counted in the
 * session. netrx/node authenticates the upgrade (bearer token, TLS).
 *
 * Not here yet (later sessions of the capture issue): extcap,
 * authentication over RPC (NTLM), and host wiring.
 */
export {
  SessionTable,
  type SessionConfig,
  type SessionHandle,
  type SessionTableOptions,
  type SessionTableStats,
} from './session-table.js';
export {
  EventSession,
  type EventBufferMeta,
  type EventSessionStats,
  type ReceiveReason,
  type SessionProvider,
  type SessionSink,
  type SessionSource,
  type SessionSourceHold,
  type SessionState,
} from './event-session.js';
export {
  DEFAULT_SESSION_LIMITS,
  MAX_BUFFER_BYTES,
  MIN_BUFFER_BYTES,
  type SessionLimits,
} from './limits.js';
export {
  CaptureErrorNumber,
  describeCaptureStatus,
  type CaptureErrorName,
  type CaptureControlCode,
} from './errors.js';
export {
  SYNTHETIC_PROVIDER_GUID,
  SYNTHETIC_PROVIDER_NAME,
  SyntheticEvent,
  startSyntheticProvider,
  type SyntheticProvider,
  type SyntheticProviderOptions,
} from './synthetic-provider.js';
export {
  CAPTURE_RPC_PROVIDER,
  CONTEXT_HANDLE_LENGTH,
  CaptureRpcEvent,
  CaptureRpcKeyword,
  DEFAULT_RPC_CONNECTION_LIMITS,
  LREC_INTERFACE,
  LrecOpnum,
  LrecRpcClient,
  LrecRpcServer,
  RpcConnection,
  encodeOpenRequest,
  isNullHandle,
  noAuthProvider,
  parseOpenResponse,
  parseReceiveResponse,
  type ClientAnswer,
  type LrecRpcClientOptions,
  type LrecRpcServerOptions,
  type LrecRpcServerStats,
  type RpcAuthDecision,
  type RpcAuthProvider,
  type RpcConnectionLimits,
  type RpcPeer,
  type RpcSink,
} from './rpc/index.js';
export * from './ws/index.js';
