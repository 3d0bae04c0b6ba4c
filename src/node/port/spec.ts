import { NetrxError } from '../../runtime/index.js';

/** The port specs `openTransport` opens, for messages. */
export const PORT_SPECS =
  'tcp:HOST:PORT, tls:HOST:PORT, serial:PATH[@BAUD], serialport:PATH[@BAUD], pty:COMMAND or exec:COMMAND';

/**
 * The line rates `serial:PATH@BAUD` accepts: the termios ones (Linux `Bnnn`).
 * `@0` is refused: speed 0 is B0, which drops DTR (hangs up a modem).
 */
export const STANDARD_BAUD_RATES: readonly number[] = [
  50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
  230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000,
  3500000, 4000000,
];

/** What is wrong with a `@BAUD`, or undefined when it is a standard rate. */
export function checkBaud(text: string): string | undefined {
  const baud = Number(text);
  return STANDARD_BAUD_RATES.includes(baud)
    ? undefined
    : `unsupported line rate ${text} (${baud === 0 ? '0 would hang up the line; ' : ''}one of ${STANDARD_BAUD_RATES.join(', ')})`;
}

/**
 * Checks a port spec as `openTransport` reads it, without opening anything:
 * undefined when it is one, else what is wrong. `stdio` is not accepted
 * here (a list of ports, or the host's configuration, cannot share the
 * process's terminal).
 */
export function checkPortSpec(spec: string): string | undefined {
  if (/^(?:exec|pty):/.test(spec)) {
    return /^[a-z]+:.*\S/.test(spec)
      ? undefined
      : `${spec.slice(0, spec.indexOf(':'))}: needs a command`;
  }
  if (/^(?:serial|serialport):/.test(spec)) {
    const serial = /^[a-z]+:[^@]+(?:@(\d+))?$/.exec(spec);
    if (serial === null) return `expected ${spec.slice(0, spec.indexOf(':'))}:PATH[@BAUD]`;
    return serial[1] === undefined ? undefined : checkBaud(serial[1]);
  }
  const match = /^(?:tcp|tls):(?:\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(spec);
  if (match === null) return `expected ${PORT_SPECS}`;
  const port = Number(match[1]);
  return port >= 1 && port <= 65535 ? undefined : 'port number out of range';
}

/** One port of a `--ports FILE` list. */
export interface PortListEntry {
  readonly spec: string;
  /** Its line in the file (1-based). */
  readonly line: number;
}

/**
 * Reads a `--ports FILE` list: one port spec per line; blank lines and lines
 * whose first non-blank character is `#` are skipped; spaces around a spec
 * are trimmed. After a spec with no spaces in it (`tcp:`, `tls:`, `serial:`,
 * `serialport:`) a `#` after a space starts a comment; an `exec:`/`pty:`
 * command is the rest of its line, `#` included (it is the shell's).
 * Throws `ERR_PORT_SPEC` naming the file and line of the first bad spec.
 */
export function parsePortList(text: string, source: string): PortListEntry[] {
  const entries: PortListEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    let spec = raw.trim();
    if (spec === '' || spec.startsWith('#')) return;
    if (!/^(?:exec|pty):/.test(spec)) spec = spec.replace(/\s+#.*$/, '');
    const problem =
      spec === 'stdio' || spec === '-' ? 'stdio cannot be one of many ports' : checkPortSpec(spec);
    if (problem !== undefined) {
      throw new NetrxError(
        'ERR_PORT_SPEC',
        `${source}:${i + 1}: bad port ${JSON.stringify(spec)}: ${problem}`,
      );
    }
    entries.push({ spec, line: i + 1 });
  });
  return entries;
}
