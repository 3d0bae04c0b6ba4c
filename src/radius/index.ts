/**
 * netrx/radius: RADIUS client and server cores carrying EAP (RFC 2865, 3579).
 *
 * Not built yet. The subpath is exported so the package's surface is stable,
 * but importing it fails at once with ERR_NETRX_NOT_BUILT rather than quietly
 * giving an empty module: code that imports it would otherwise fail later,
 * far from the cause. The session that builds the module replaces this file.
 */
import { NetrxError } from '../runtime/index.js';

throw new NetrxError(
  'ERR_NETRX_NOT_BUILT',
  'netrx/radius is not built yet (planned: RADIUS client and server cores with EAP over RADIUS, seed 001); see the module table in the README',
);

export {};
