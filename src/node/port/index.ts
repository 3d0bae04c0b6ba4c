/**
 * netrx/node port transports: the byte streams a `Port` (netrx/port) runs
 * on in Node — TCP, TLS, a child process (`exec:`), and the process's own
 * stdin/stdout — each a `PortTransport`, opened from a spec string with
 * `openTransport`, serial lines or ptys by path (`serial:`, through
 * `stty`, no native module), and programs on a pseudo-terminal (`pty:`,
 * through the optional `@lydell/node-pty`, imported only when used), and
 * serial lines through the optional `serialport` (`serialport:`, and
 * `serial:` off Linux).
 */
export {
  StreamTransport,
  openExec,
  openTcp,
  openTls,
  openTransport,
  type TransportOptions,
} from './transports.js';
export { openStdio } from './stdio.js';
export { releaseTerminalsAtExit } from './terminal-exit.js';
export { openSerial, sttyWords, type SerialOptions } from './serial.js';
export {
  PORT_SPECS,
  STANDARD_BAUD_RATES,
  checkPortSpec,
  parsePortList,
  type PortListEntry,
} from './spec.js';
export {
  PTY_PACKAGE,
  PtyTransport,
  loadNodePty,
  openPty,
  type NodePtyModule,
  type PtyOptions,
} from './pty.js';
export {
  SERIALPORT_PACKAGE,
  SerialPortTransport,
  loadSerialPort,
  openSerialPort,
  serialPortSettings,
  type SerialLineSettings,
  type SerialPortConstructor,
  type SerialPortLike,
  type SerialPortOptions,
} from './serialport.js';
