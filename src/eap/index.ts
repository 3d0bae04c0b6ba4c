/**
 * netrx/eap: EAP methods as state machines (seed 001, `RasEapMakeMessage`).
 *
 * Contract, as built by the EAP issue: `makeMessage` is called for every
 * received packet, every timeout (no packet: start, or resend the last) and
 * every completion; it answers with a packet to send and an action.
 * `ERROR_PPP_INVALID_PACKET` (722) discards the packet without ending the
 * session; any other error ends it.
 *
 * Not built yet: this entry point exists so the package's subpath exports are
 * stable from the first release.
 */
export {};
