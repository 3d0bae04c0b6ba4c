/**
 * netrx/port: ports with asynchronous buffer I/O and login scripts (seed 000,
 * `RasReceiveBuffer`).
 *
 * A `Port` runs over any duplex byte stream (a `PortTransport`: TCP, a child
 * process, a serial line, the in-memory pair in netrx/testing). On it sit two
 * ways to read, sharing one `Receiver` (netrx/receive) so bytes come out in
 * arrival order:
 *
 * - RAS's custom-scripting calls, with raserror.h numbers: `getBuffer` /
 *   `freeBuffer` from a pool of at most 1500-byte buffers (614, 610),
 *   `sendBuffer`, `receiveBuffer(buf, timeoutMs, event)` that returns at once
 *   and sets the event on data, timeout or disconnect, and `retrieveBuffer`
 *   that then gives the size or the cause (619 disconnected, 638 timed out,
 *   600 still pending); one receive at a time from post to retrieve (616);
 *   601 once the port is closed or for another port's handle.
 *   `customScriptExecute` runs a script with `RasCustomScriptExecute`'s shape:
 *   it may rewrite the dial credentials and call `setCommSettings`.
 * - The idiomatic layer: `await port.receive()`, `for await (const chunk of
 *   port)`, `await port.expect(patterns, { timeoutMs })`.
 *
 * Login scripts in pppd's `chat` language (`parseChatScript`, `runChat`) and
 * in Windows Dial-Up Networking's `.scp` language (`parseScp`, `runScp`,
 * `scpCustomScript`) run on the same port before the link protocol. For
 * consoles: `TelnetFilter` (refuse every option), `AnsiStripper`, pager
 * answers and timestamped transcripts in `runChat`'s options. No Node APIs, no timers of its
 * own: time comes from the injected `Clock`.
 */
export { Port } from './port.js';
export {
  DEFAULT_PORT_CONCURRENCY,
  runMany,
  worstExitCode,
  type ManyOptions,
  type ManyOutcome,
} from './many.js';
export {
  INFINITE,
  type PortHandle,
  type PortOptions,
  type PortReceiveOptions,
  type PortStats,
  type RetrieveResult,
} from './port-types.js';
export { PortEvent } from './port-event.js';
export { PORT_PROVIDER, PortEventDescriptor, PortKeyword } from './events.js';
export {
  TRANSCRIPT_MAX_CHARS,
  TRANSCRIPT_SECRET,
  traceTranscript,
  type TranscriptStep,
} from './transcript.js';
export type { CommSettings, PortSink, PortTransport } from './transport.js';
export { RasError, rasError, type RasErrorName } from './ras-errors.js';
export {
  customScriptExecute,
  type CustomScriptResult,
  type RasCustomScript,
  type RasDialParams,
  type RasEntry,
  type RasScriptCallbacks,
  type RasScriptExtensions,
} from './custom-script.js';
export { expectOn, type ExpectMatch, type ExpectOptions, type ExpectPattern } from './expect.js';
export { LiteralMatcher, MultiMatcher } from './matcher.js';
export { AnsiStripper } from './ansi.js';
export { TELNET, TelnetFilter, telnetEscape } from './telnet.js';
export { latin1Bytes, latin1Text } from './latin1.js';
export {
  parseChatArgs,
  parseChatFile,
  checkChatScript,
  cleanChatString,
  runChat,
  visible,
  CHAT_KEYWORDS,
  CHAT_LIMITS,
  DEFAULT_PAGER,
  isoStamp,
  type ChatKeyword,
  type ChatOptions,
  type ChatOutput,
  type ChatProblem,
  type ChatResult,
  type ChatScript,
  type ChatSyntaxError,
  type ChatToken,
  type Cleaned,
  type EscapeContext,
} from './chat/index.js';
export {
  parseScp,
  runScp,
  scpCustomScript,
  translateScp,
  SCP_LIMITS,
  SCP_RESERVED,
  SCP_RUN_LIMITS,
  SCP_SYSTEM_VARIABLES,
  type ScpExpr,
  type ScpOptions,
  type ScpParseResult,
  type ScpProc,
  type ScpProgram,
  type ScpResult,
  type ScpStatement,
  type ScpSyntaxError,
  type ScpType,
  type WaitforBranch,
} from './scp/index.js';
