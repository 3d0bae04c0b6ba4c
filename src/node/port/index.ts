/**
 * netrx/node port transports: the byte streams a `Port` (netrx/port) runs
 * on in Node — TCP, TLS, a child process (`exec:`), and the process's own
 * stdin/stdout — each a `PortTransport`, opened from a spec string with
 * `openTransport`. Serial lines and ptys come later (optional dependencies).
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
