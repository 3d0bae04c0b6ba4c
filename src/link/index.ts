/**
 * netrx/link: the NDIS receive model (seed 004, `ProtocolReceive`).
 *
 * Contract, as built by the link-layer issue: an adapter indicates received
 * frames; every binding opened on it sees the header and lookahead as
 * read-only views valid only during the call and quickly returns accepted or
 * not-accepted; `transferData` may be called once per indication and only
 * during it; `receiveComplete` runs once per burst. The packet-capture trace
 * provider lives here beside the frames it sees.
 *
 * Not built yet: this entry point exists so the package's subpath exports are
 * stable from the first release.
 */
export {};
