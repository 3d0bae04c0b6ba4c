/**
 * netrx/eap: EAP methods as state machines (seed 001, `RasEapMakeMessage`).
 *
 * Contract, as built by the EAP issue: `makeMessage` is called for every
 * received packet, every timeout (no packet: start, or resend the last) and
 * every completion; it answers with a packet to send and an action.
 * `ERROR_PPP_INVALID_PACKET` (722) discards the packet without ending the
 * session; any other error ends it.
 *
 * Not built yet. The subpath is exported so the package's surface is stable,
 * but importing it fails at once with ERR_NETRX_NOT_BUILT rather than quietly
 * giving an empty module: code that imports it would otherwise fail later,
 * far from the cause. The session that builds the module replaces this file.
 */
import { NetrxError } from '../runtime/index.js';

throw new NetrxError(
  'ERR_NETRX_NOT_BUILT',
  'netrx/eap is not built yet (planned: EAP methods as state machines, seed 001); see the module table in the README',
);

export {};
