import { spawn, type ChildProcess } from 'node:child_process';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Readable, Writable } from 'node:stream';
import { NetrxError } from '../../runtime/index.js';
import { PORT_SPECS, checkBaud } from './spec.js';
import {
  rasError,
  type CommSettings,
  type PortSink,
  type PortTransport,
} from '../../port/index.js';

export interface TransportOptions {
  /** Bytes a write may leave queued in Node before the next write is refused. Default 1 MiB. */
  readonly maxPendingWriteBytes?: number;
}

/** A Node chunk as the port keeps it: a view of the chunk's own memory (no copy). */
function view(chunk: Buffer): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * A transport over a readable and a writable stream (a socket is both; a
 * child process has stdout and stdin). Writes are copied (the port's view is
 * a pooled buffer it reuses); a write that would queue more than
 * `maxPendingWriteBytes` is refused with `ERR_PORT_WRITE_BACKLOG`.
 */
export class StreamTransport implements PortTransport {
  /** Set by transports with a line (serial) to apply `RasSetCommSettings`. */
  setCommSettings?: (settings: CommSettings) => void;
  private sink: PortSink | undefined;
  private ended = false;
  /** The line ended from its side before close (for a tty: it hung up; libuv reports EIO as EOF). */
  private lineEnded = false;
  private readonly maxPending: number;
  /** Writes refused because the backlog was over its bound. */
  refusedWrites = 0;
  /**
   * What went wrong letting go of the line at close, if anything: for the
   * stdio port, a terminal whose settings could not be restored (it hung up).
   */
  closeError: Error | undefined;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    /** Lets go of the streams; returns what could not be undone, if anything. */
    private readonly onClose: (lineEnded: boolean) => Error | undefined | void,
    options: TransportOptions = {},
  ) {
    this.maxPending = options.maxPendingWriteBytes ?? 1024 * 1024;
  }

  open(sink: PortSink): void {
    this.sink = sink;
    this.input.on('data', (chunk: Buffer) => sink.data(view(chunk)));
    this.input.on('end', () => this.end());
    this.input.on('error', (error) => this.end(error));
    this.output.on('error', (error) => this.end(error));
    this.input.on('close', () => this.end());
  }

  write(bytes: Uint8Array): void {
    if (this.output.writableLength + bytes.length > this.maxPending) {
      this.refusedWrites++;
      throw new NetrxError(
        'ERR_PORT_WRITE_BACKLOG',
        `Cannot send ${bytes.length} bytes: ${this.output.writableLength} are still waiting to go out`,
      );
    }
    // A copy: the caller reuses its buffer as soon as the call returns.
    this.output.write(Buffer.from(bytes));
  }

  pause(): void {
    this.input.pause();
  }

  resume(): void {
    this.input.resume();
  }

  close(): void {
    this.ended = true;
    this.closeError = this.onClose(this.lineEnded) ?? undefined;
  }

  /** @internal Ends the port once, with the Node error as the cause. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.lineEnded = true;
    this.sink?.end(
      error === undefined
        ? rasError('ERROR_PORT_DISCONNECTED', 'The peer closed the connection')
        : rasError('ERROR_PORT_DISCONNECTED', error.message, error),
    );
  }
}

async function connected(socket: Socket, event: 'connect' | 'secureConnect', what: string) {
  await new Promise<void>((resolve, reject) => {
    socket.once(event, resolve);
    socket.once('error', (error) =>
      reject(
        new NetrxError('ERR_PORT_OPEN', `Cannot connect to ${what}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
  });
  socket.setNoDelay(true);
}

/** A TCP connection as a port transport (resolves once connected). */
export async function openTcp(host: string, port: number, options: TransportOptions = {}) {
  const socket = netConnect({ host, port });
  await connected(socket, 'connect', `${host}:${port}`);
  return new StreamTransport(socket, socket, () => void socket.destroy(), options);
}

/** A TLS connection (server name = host unless it is an IP address; `rejectUnauthorized` as given, default true). */
export async function openTls(
  host: string,
  port: number,
  options: TransportOptions & { readonly rejectUnauthorized?: boolean; readonly ca?: string } = {},
) {
  const socket = tlsConnect({
    host,
    port,
    // SNI names a host, never an address (RFC 6066; Node warns DEP0123 into the transcript).
    ...(isIP(host) === 0 ? { servername: host } : {}),
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  await connected(socket, 'secureConnect', `tls ${host}:${port}`);
  return new StreamTransport(socket, socket, () => void socket.destroy(), options);
}

/**
 * A child process run with `sh -c COMMAND`: its stdout is the port's input,
 * its stdin the output, its stderr passes through. Closing the port ends its
 * stdin and terminates its process group (SIGTERM), so a command that started
 * others (`sh -c 'a; b'`) leaves nothing behind.
 */
export function openExec(command: string, options: TransportOptions = {}): StreamTransport {
  // Its own process group, so close() ends the command and anything it started, by that id.
  const child: ChildProcess = spawn('sh', ['-c', command], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  const stdin = child.stdin as Writable;
  const stdout = child.stdout as Readable;
  const transport = new StreamTransport(
    stdout,
    stdin,
    () => {
      stdin.destroy();
      stdout.destroy();
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
      }
    },
    options,
  );
  child.on('error', (error) => transport.end(error));
  return transport;
}

/**
 * Opens a transport from a spec: `tcp:HOST:PORT`, `tls:HOST:PORT`,
 * `serial:PATH[@BAUD]`, `serialport:PATH[@BAUD]`, `pty:COMMAND` (the
 * optional `@lydell/node-pty`, loaded only then), `exec:COMMAND` or `stdio`. IPv6 hosts go in brackets (`tcp:[::1]:23`).
 */
export async function openTransport(spec: string, options: TransportOptions = {}) {
  if (spec === 'stdio' || spec === '-') {
    const { openStdio } = await import('./stdio.js');
    return openStdio(options);
  }
  if (spec.startsWith('serial:') || spec.startsWith('serialport:')) {
    const match = /^(serial|serialport):([^@]+)(?:@(\d+))?$/.exec(spec);
    if (match === null) {
      throw new NetrxError(
        'ERR_PORT_SPEC',
        `Bad serial port ${JSON.stringify(spec)}: ${spec.slice(0, spec.indexOf(':'))}:PATH[@BAUD]`,
      );
    }
    const path = match[2] as string;
    const badRate = match[3] === undefined ? undefined : checkBaud(match[3]);
    if (badRate !== undefined) {
      throw new NetrxError('ERR_PORT_SPEC', `Bad serial port ${JSON.stringify(spec)}: ${badRate}`);
    }
    const baud = match[3] === undefined ? {} : { baud: Number(match[3]) };
    // serial: is stty and a Node tty stream on Linux (no native module); elsewhere, and
    // for serialport:, the optional serialport package.
    if (match[1] === 'serial' && process.platform === 'linux') {
      const { openSerial } = await import('./serial.js');
      return openSerial(path, { ...options, ...baud });
    }
    const { openSerialPort } = await import('./serialport.js');
    return openSerialPort(path, { ...options, ...baud });
  }
  if (spec.startsWith('pty:')) {
    const { openPty } = await import('./pty.js');
    return openPty(spec.slice(4), options);
  }
  if (spec.startsWith('exec:')) {
    const command = spec.slice(5);
    if (command.trim() === '') throw new NetrxError('ERR_PORT_SPEC', 'exec: needs a command');
    return openExec(command, options);
  }
  const match = /^(tcp|tls):(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(spec);
  if (match === null) {
    throw new NetrxError(
      'ERR_PORT_SPEC',
      `Unknown port ${JSON.stringify(spec)}: expected ${PORT_SPECS}, or stdio`,
    );
  }
  const [, kind, rawHost, rawPort] = match as unknown as [string, string, string, string];
  const host = rawHost.replace(/^\[|\]$/g, '');
  const port = Number(rawPort);
  if (port < 1 || port > 65535) {
    throw new NetrxError('ERR_PORT_SPEC', `Port number out of range in ${JSON.stringify(spec)}`);
  }
  return kind === 'tls' ? openTls(host, port, options) : openTcp(host, port, options);
}
