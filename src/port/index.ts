/**
 * netrx/port: ports with asynchronous buffer I/O and login scripts (seed 000,
 * `RasReceiveBuffer`).
 *
 * Contract, as built by the ports issue: `receiveBuffer` posts a receive on a
 * port with a buffer from the port's `BufferPool` and returns at once; it
 * completes on data, timeout or disconnect; `retrieveBuffer` collects the data
 * or the RAS error (`ERROR_PORT_DISCONNECTED`, 619). Login scripts (the `chat`
 * language) run on the port before the link protocol. Built on netrx/receive.
 *
 * Not built yet. The subpath is exported so the package's surface is stable,
 * but importing it fails at once with ERR_NETRX_NOT_BUILT rather than quietly
 * giving an empty module: code that imports it would otherwise fail later,
 * far from the cause. The session that builds the module replaces this file.
 */
import { NetrxError } from '../runtime/index.js';

throw new NetrxError(
  'ERR_NETRX_NOT_BUILT',
  'netrx/port is not built yet (planned: ports with asynchronous buffer I/O and login scripts, seed 000); see the module table in the README',
);

export {};
