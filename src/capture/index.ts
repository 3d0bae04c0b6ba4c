/**
 * netrx/capture: live event sessions for remote watchers (seed 003, MS-LREC
 * `RpcNetEventReceiveData`).
 *
 * Contract, as built by the capture issue: a session table; at most one
 * outstanding receive per session (a second fails); a bounded queued event
 * list; a lost-event count reported as `NET_EVENT_LOST` at the end of the
 * buffer; a data-completion timer armed by the first queued event. Capture
 * listens to netrx/trace providers and never imports a protocol module.
 *
 * Not built yet. The subpath is exported so the package's surface is stable,
 * but importing it fails at once with ERR_NETRX_NOT_BUILT rather than quietly
 * giving an empty module: code that imports it would otherwise fail later,
 * far from the cause. The session that builds the module replaces this file.
 */
import { NetrxError } from '../runtime/index.js';

throw new NetrxError(
  'ERR_NETRX_NOT_BUILT',
  'netrx/capture is not built yet (planned: live event sessions for remote watchers, seed 003); see the module table in the README',
);

export {};
