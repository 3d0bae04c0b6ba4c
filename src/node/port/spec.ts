import { NetrxError } from '../../runtime/index.js';

/** The port specs `openTransport` opens, for messages. */
export const PORT_SPECS =
  'tcp:HOST:PORT, tls:HOST:PORT, serial:PATH[@BAUD], serialport:PATH[@BAUD], pty:COMMAND or exec:COMMAND';

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
    return /^[a-z]+:[^@]+(?:@\d+)?$/.test(spec)
      ? undefined
      : `expected ${spec.slice(0, spec.indexOf(':'))}:PATH[@BAUD]`;
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
