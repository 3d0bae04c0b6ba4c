import { NetrxError } from '../../runtime/index.js';
import { rasError, type PortSink, type PortTransport } from '../../port/index.js';
import type { TransportOptions } from './transports.js';

/** The optional package behind `pty:` (an optionalDependency: prebuilt binaries, no compiler). */
export const PTY_PACKAGE = '@lydell/node-pty';

/** The part of `@lydell/node-pty` netrx uses, typed here so netrx builds without it. */
interface PtyProcess {
  readonly pid: number;
  onData(listener: (data: Buffer | string) => void): unknown;
  onExit(listener: (exit: { exitCode: number; signal?: number }) => void): unknown;
  write(data: Buffer | string): void;
  pause(): void;
  resume(): void;
  kill(signal?: string): void;
}

export interface NodePtyModule {
  spawn(
    file: string,
    args: string[],
    options: {
      name: string;
      cols: number;
      rows: number;
      cwd?: string;
      env: Record<string, string>;
      encoding: null;
    },
  ): PtyProcess;
}

export interface PtyOptions extends TransportOptions {
  /** `TERM` for the program. Default `dumb`, so line editors and REPLs stay plain. */
  readonly term?: string;
  readonly cols?: number;
  readonly rows?: number;
  readonly cwd?: string;
  /** Loads the pty module (default: `import('@lydell/node-pty')`); for tests. */
  readonly load?: () => Promise<unknown>;
}

/** Imports the optional package, or says plainly that it is missing (`ERR_PORT_PTY_UNAVAILABLE`). */
export async function loadNodePty(
  load: () => Promise<unknown> = () => import(PTY_PACKAGE),
): Promise<NodePtyModule> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    throw new NetrxError(
      'ERR_PORT_PTY_UNAVAILABLE',
      `pty: ports need the optional package ${PTY_PACKAGE} (npm install ${PTY_PACKAGE}@1.1.0): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const module = loaded as { spawn?: unknown; default?: { spawn?: unknown } };
  const spawn = module.spawn ?? module.default?.spawn;
  if (typeof spawn !== 'function') {
    throw new NetrxError('ERR_PORT_PTY_UNAVAILABLE', `pty: ${PTY_PACKAGE} has no spawn()`);
  }
  return { spawn: spawn as NodePtyModule['spawn'] };
}

/**
 * A program on a pseudo-terminal: `pty:COMMAND` runs `sh -c COMMAND` with a
 * pty as its controlling terminal (through `@lydell/node-pty`, loaded only
 * when a `pty:` port is opened), so programs that insist on a terminal
 * (`ssh`, `telnet`, a REPL, a router's console client) talk as they would
 * to a person. The terminal is as the program leaves it — cooked, with echo —
 * so a script sees its own sends echoed. The program exiting is a disconnect
 * (619, with its exit code); closing the port sends it SIGHUP, as a hang-up
 * would. A pty has no line settings and no BREAK.
 */
export class PtyTransport implements PortTransport {
  private sink: PortSink | undefined;
  private ended = false;
  private readonly maxPending: number;
  /** Writes refused because the backlog was over its bound. */
  refusedWrites = 0;
  /** The program's exit code, once it has exited. */
  exitCode: number | undefined;

  constructor(
    private readonly pty: PtyProcess,
    options: TransportOptions = {},
  ) {
    this.maxPending = options.maxPendingWriteBytes ?? 1024 * 1024;
  }

  get pid(): number {
    return this.pty.pid;
  }

  open(sink: PortSink): void {
    this.sink = sink;
    this.pty.onData((data) => {
      // With `encoding: null` node-pty hands over fresh Buffers: a view, no copy.
      const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
      sink.data(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
    this.pty.onExit(({ exitCode, signal }) => {
      this.exitCode = exitCode;
      if (this.ended) return;
      this.ended = true;
      const how = signal ? `signal ${signal}` : `code ${exitCode}`;
      sink.end(rasError('ERROR_PORT_DISCONNECTED', `The program on the pty exited (${how})`));
    });
  }

  /**
   * Bytes queued for the pty. node-pty has no public way to ask; on Unix its
   * master side is a Node socket (`_socket`), whose queue is read here.
   */
  private get pendingBytes(): number {
    const socket = (this.pty as { readonly _socket?: { readonly writableLength?: number } })
      ._socket;
    return socket?.writableLength ?? 0;
  }

  write(bytes: Uint8Array): void {
    const pending = this.pendingBytes;
    if (pending + bytes.length > this.maxPending) {
      this.refusedWrites++;
      throw new NetrxError(
        'ERR_PORT_WRITE_BACKLOG',
        `Cannot send ${bytes.length} bytes: ${pending} are still waiting to go out`,
      );
    }
    // A copy: the caller reuses its buffer as soon as the call returns.
    this.pty.write(Buffer.from(bytes));
  }

  pause(): void {
    this.pty.pause();
  }

  resume(): void {
    this.pty.resume();
  }

  close(): void {
    if (this.exitCode === undefined) {
      try {
        this.pty.kill('SIGHUP');
      } catch {
        // already gone
      }
    }
    this.ended = true;
  }
}

/** Opens `pty:COMMAND`: `sh -c COMMAND` on a new pseudo-terminal. */
export async function openPty(command: string, options: PtyOptions = {}): Promise<PtyTransport> {
  if (command.trim() === '') throw new NetrxError('ERR_PORT_SPEC', 'pty: needs a command');
  const nodePty = await loadNodePty(options.load);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined) env[name] = value;
  env['TERM'] = options.term ?? 'dumb';
  let pty: PtyProcess;
  try {
    pty = nodePty.spawn('sh', ['-c', command], {
      name: env['TERM'],
      cols: options.cols ?? 80,
      rows: options.rows ?? 24,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env,
      encoding: null,
    });
  } catch (error) {
    throw new NetrxError(
      'ERR_PORT_OPEN',
      `Cannot start ${JSON.stringify(command)} on a pty: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return new PtyTransport(pty, options);
}
