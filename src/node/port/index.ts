/**
 * netrx/node port transports: the byte streams a `Port` (netrx/port) runs
 * on in Node — TCP, TLS, a child process (`exec:`), and the process's own
 * stdin/stdout — each a `PortTransport`, opened from a spec string with
 * `openTransport`, and serial lines or ptys by path (`serial:`, through
 * `stty`, no native module).
 */
export {
  StreamTransport,
  openExec,
  openStdio,
  openTcp,
  openTls,
  openTransport,
  type TransportOptions,
} from './transports.js';
export { openSerial, sttyWords, type SerialOptions } from './serial.js';
export { PORT_SPECS, checkPortSpec, parsePortList, type PortListEntry } from './spec.js';
