import { read as fsRead } from 'node:fs';
import { promisify } from 'node:util';
import { NetrxError } from '../../runtime/index.js';
import {
  rasError,
  type CommSettings,
  type PortSink,
  type PortTransport,
} from '../../port/index.js';
import type { TransportOptions } from './transports.js';

/** The optional package behind `serialport:` (prebuilt binaries, no compiler). */
export const SERIALPORT_PACKAGE = 'serialport';

type Parity = 'none' | 'odd' | 'even' | 'mark' | 'space';

/** How a line is opened: `serialport`'s open options that netrx sets. */
export interface SerialLineSettings {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits: 5 | 6 | 7 | 8;
  readonly parity: Parity;
  readonly stopBits: 1 | 1.5 | 2;
}

/** The part of `serialport`'s `SerialPort` netrx uses (typed here, so netrx builds without it). */
export interface SerialPortLike {
  readonly isOpen: boolean;
  readonly writableLength: number;
  open(callback: (error: Error | null) => void): void;
  close(callback?: (error: Error | null) => void): void;
  write(data: Buffer): boolean;
  update(options: { baudRate: number }, callback: (error: Error | null) => void): void;
  set(options: { brk?: boolean }, callback: (error: Error | null) => void): void;
  pause(): unknown;
  resume(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: (error: Error | null) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(): unknown;
}

export type SerialPortConstructor = (new (
  options: SerialLineSettings & {
    readonly autoOpen: false;
    readonly hupcl: boolean;
    readonly binding?: SerialBinding;
  },
) => SerialPortLike) & { readonly binding?: SerialBinding };

/** `@serialport/bindings-cpp`'s binding: `open` gives a port binding with `read`. */
export interface SerialBinding {
  open(options: unknown): Promise<PortBinding>;
}

export interface PortBinding {
  readonly fd?: number | null;
  readonly isOpen: boolean;
  readonly poller?: { once(event: 'readable', listener: (error?: Error) => void): unknown };
  read(
    buffer: Buffer,
    offset: number,
    length: number,
  ): Promise<{ bytesRead: number; buffer: Buffer }>;
}

const readAsync = promisify(fsRead);

/**
 * The platform binding with one change on Unix: a read of 0 bytes is a
 * hang-up (a tty read with VMIN 1 returns 0 only then). serialport 13's own
 * read retries at once, forever, spinning a CPU when the other end of a pty
 * goes away or a line loses its carrier.
 */
export function hangUpAware(binding: SerialBinding): SerialBinding {
  return {
    ...binding,
    open: async (options: unknown) => {
      const port = await binding.open(options);
      if (process.platform === 'win32' || typeof port.fd !== 'number' || port.poller === undefined)
        return port;
      const poller = port.poller;
      port.read = async (buffer, offset, length) => {
        for (;;) {
          if (!port.isOpen || typeof port.fd !== 'number') {
            // serialport's stream ignores a canceled read (the port is closing).
            throw Object.assign(new Error('Port is not open'), { canceled: true });
          }
          try {
            const { bytesRead } = await readAsync(port.fd, buffer, offset, length, null);
            if (bytesRead === 0)
              throw Object.assign(new Error('The line hung up'), { disconnect: true });
            return { bytesRead, buffer };
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw error;
            await new Promise<void>((resolve, reject) =>
              poller.once('readable', (failed) => (failed ? reject(failed) : resolve())),
            );
          }
        }
      };
      return port;
    },
  };
}

export interface SerialPortOptions extends TransportOptions {
  /** Line speed. Default 9600. */
  readonly baud?: number;
  /** Loads `serialport` (default: `import('serialport')`); for tests. */
  readonly load?: () => Promise<unknown>;
}

/** Imports the optional package, or says plainly that it is missing (`ERR_PORT_SERIAL_UNAVAILABLE`). */
export async function loadSerialPort(
  load: () => Promise<unknown> = () => import(SERIALPORT_PACKAGE),
): Promise<SerialPortConstructor> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    throw new NetrxError(
      'ERR_PORT_SERIAL_UNAVAILABLE',
      `serialport: ports need the optional package ${SERIALPORT_PACKAGE} (npm install ${SERIALPORT_PACKAGE}@13.0.0): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const module = loaded as { SerialPort?: unknown; default?: { SerialPort?: unknown } };
  const SerialPort = (module.SerialPort ?? module.default?.SerialPort) as
    SerialPortConstructor | undefined;
  if (typeof SerialPort !== 'function') {
    throw new NetrxError(
      'ERR_PORT_SERIAL_UNAVAILABLE',
      `serialport: ${SERIALPORT_PACKAGE} has no SerialPort`,
    );
  }
  const binding = SerialPort.binding;
  if (binding === undefined) return SerialPort;
  const wrapped = hangUpAware(binding);
  // The same class with the hang-up-aware binding as its default.
  class HangUpAwareSerialPort extends SerialPort {
    constructor(options: ConstructorParameters<SerialPortConstructor>[0]) {
      super({ binding: wrapped, ...options });
    }
  }
  return HangUpAwareSerialPort;
}

const PARITY: readonly Parity[] = ['none', 'odd', 'even', 'mark', 'space'];
const STOP_BITS = [1, 1.5, 2] as const;

/** `RASCOMMSETTINGS` values as `serialport` open options (parity 0–4, stop bits 0/1/2 = 1/1.5/2). */
export function serialPortSettings(
  settings: CommSettings,
): Pick<SerialLineSettings, 'dataBits' | 'parity' | 'stopBits'> {
  return {
    dataBits: settings.byteSize,
    parity: PARITY[settings.parity] as Parity,
    stopBits: STOP_BITS[settings.stopBits],
  };
}

function opened(line: SerialPortLike, path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    line.open((error) =>
      error === null
        ? resolve()
        : reject(
            new NetrxError('ERR_PORT_OPEN', `Cannot open ${path}: ${error.message}`, {
              cause: error,
            }),
          ),
    ),
  );
}

/**
 * A serial line through the `serialport` package (`serialport:PATH[@BAUD]`;
 * never `SerialPort.list()`, which needs udev). Opened 8N1 at the given speed
 * with `hupcl: false`, so closing does not drop DTR. `setCommSettings`
 * (data bits, parity, stop bits: `serialport` can change only the speed of
 * an open line) closes the line and opens it again with the new settings;
 * writes made meanwhile wait and go out after, and input not yet read is
 * discarded by the reopen (it arrived at the old settings). BREAK is
 * `set({ brk })` for 250 ms (a line that cannot, like a pty, ignores it).
 * A read error or an unplugged device is a disconnect (619).
 */
export class SerialPortTransport implements PortTransport {
  private sink: PortSink | undefined;
  private ended = false;
  /** Closed by `close()`: the line's own events are no longer news. */
  private closed = false;
  /** The old line is being closed for a reopen: its close is not a disconnect. */
  private closing = false;
  private reopening: Promise<void> | undefined;
  /** The port asked for a pause: a reopened line starts paused too. */
  private paused = false;
  private readonly waiting: Buffer[] = [];
  private waitingBytes = 0;
  private readonly maxPending: number;
  /** Writes refused because the backlog was over its bound. */
  refusedWrites = 0;

  constructor(
    private readonly SerialPort: SerialPortConstructor,
    private line: SerialPortLike,
    private settings: SerialLineSettings,
    options: TransportOptions = {},
  ) {
    this.maxPending = options.maxPendingWriteBytes ?? 1024 * 1024;
  }

  /** Resolves once every `setCommSettings` so far has been applied (or the line ended). */
  async settled(): Promise<void> {
    while (this.reopening !== undefined) await this.reopening.catch(() => {});
  }

  /** The settings the line was last opened with. */
  get lineSettings(): SerialLineSettings {
    return this.settings;
  }

  open(sink: PortSink): void {
    this.sink = sink;
    this.listen(this.line);
  }

  private listen(line: SerialPortLike): void {
    line.on('data', (chunk: Buffer) => {
      // serialport hands over views of a read pool it never writes again: no copy.
      this.sink?.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    line.on('close', (error) => {
      if (line === this.line && !this.closing) this.end(error ?? new Error('the line closed'));
    });
    line.on('error', (error) => {
      if (line === this.line && !this.closing) this.end(error);
    });
    // A read of 0 bytes (a pty whose other side went away) ends the stream.
    line.on('end', () => {
      if (line === this.line && !this.closing) this.end(new Error('The line hung up'));
    });
  }

  private end(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.sink?.end(rasError('ERROR_PORT_DISCONNECTED', error.message, error));
  }

  write(bytes: Uint8Array): void {
    const pending = this.line.writableLength + this.waitingBytes;
    if (pending + bytes.length > this.maxPending) {
      this.refusedWrites++;
      throw new NetrxError(
        'ERR_PORT_WRITE_BACKLOG',
        `Cannot send ${bytes.length} bytes: ${pending} are still waiting to go out`,
      );
    }
    // A copy: the caller reuses its buffer as soon as the call returns.
    const copy = Buffer.from(bytes);
    if (this.reopening !== undefined) {
      this.waiting.push(copy);
      this.waitingBytes += copy.length;
    } else this.line.write(copy);
  }

  pause(): void {
    this.paused = true;
    this.line.pause();
  }

  resume(): void {
    this.paused = false;
    this.line.resume();
  }

  sendBreak(): void {
    const line = this.line;
    line.set({ brk: true }, (error) => {
      if (error === null) setTimeout(() => line.set({ brk: false }, () => {}), 250);
    });
  }

  /** Reopens the line with `settings`' data bits, parity and stop bits (same path and speed). */
  setCommSettings(settings: CommSettings): void {
    if (this.ended || this.closed) return;
    const next: SerialLineSettings = { ...this.settings, ...serialPortSettings(settings) };
    const current = this.settings;
    if (
      this.reopening === undefined &&
      next.dataBits === current.dataBits &&
      next.parity === current.parity &&
      next.stopBits === current.stopBits
    )
      return;
    const previous = this.reopening ?? Promise.resolve();
    const reopen = previous.then(async () => {
      if (this.ended || this.closed) return;
      const old = this.line;
      this.closing = true;
      await new Promise<void>((resolve) => old.close(() => resolve()));
      old.removeAllListeners();
      this.closing = false;
      if (this.ended) return;
      const line = new this.SerialPort({ ...next, autoOpen: false, hupcl: false });
      this.line = line;
      this.settings = next;
      this.listen(line);
      if (this.paused) line.pause();
      await opened(line, next.path);
      // Closed while it opened: close() found it not yet open.
      if (this.closed) line.close();
    });
    this.reopening = reopen;
    const done = () => {
      if (this.reopening !== reopen) return false;
      this.reopening = undefined;
      return true;
    };
    reopen.then(
      () => {
        if (!done()) return;
        for (const chunk of this.waiting.splice(0)) if (!this.ended) this.line.write(chunk);
        this.waitingBytes = 0;
      },
      (error: unknown) => {
        if (done()) this.waiting.splice(0);
        this.waitingBytes = 0;
        // The line could not be opened again: it is gone for this port.
        this.end(error as Error);
      },
    );
  }

  close(): void {
    this.closed = true;
    this.closing = true;
    this.ended = true;
    const line = this.line;
    if (line.isOpen) line.close();
  }
}

/** Opens `serialport:PATH[@BAUD]` (8N1, 9600 unless a speed is given). */
export async function openSerialPort(
  path: string,
  options: SerialPortOptions = {},
): Promise<SerialPortTransport> {
  const SerialPort = await loadSerialPort(options.load);
  const settings: SerialLineSettings = {
    path,
    baudRate: options.baud ?? 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
  };
  let line: SerialPortLike;
  try {
    line = new SerialPort({ ...settings, autoOpen: false, hupcl: false });
  } catch (error) {
    throw new NetrxError('ERR_PORT_OPEN', `Cannot open ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  await opened(line, path);
  return new SerialPortTransport(SerialPort, line, settings, options);
}
