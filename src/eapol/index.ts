/**
 * netrx/eapol: the IEEE 802.1X port access entity, authenticator and
 * supplicant, as bindings on netrx/link carrying netrx/eap.
 *
 * Not built yet. The subpath is exported so the package's surface is stable,
 * but importing it fails at once with ERR_NETRX_NOT_BUILT rather than quietly
 * giving an empty module: code that imports it would otherwise fail later,
 * far from the cause. The session that builds the module replaces this file.
 */
import { NetrxError } from '../runtime/index.js';

throw new NetrxError(
  'ERR_NETRX_NOT_BUILT',
  'netrx/eapol is not built yet (planned: 802.1X authenticator and supplicant as link bindings, seed 001); see the module table in the README',
);

export {};
