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
 * Not built yet: this entry point exists so the package's subpath exports are
 * stable from the first release.
 */
export {};
