import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { ReadStream, WriteStream, isatty } from 'node:tty';
import { NetrxError } from '../../runtime/index.js';
import type { CommSettings } from '../../port/index.js';
import { StreamTransport, type TransportOptions } from './transports.js';

/** The `stty` words for a `RASCOMMSETTINGS`-style setting (mark/space parity need cmspar). */
export function sttyWords(settings: CommSettings): string[] {
  const parity = [
    ['-parenb'],
    ['parenb', 'parodd', '-cmspar'],
    ['parenb', '-parodd', '-cmspar'],
    ['parenb', 'parodd', 'cmspar'],
    ['parenb', '-parodd', 'cmspar'],
  ][settings.parity] as string[];
  // stty has one or two stop bits; 1.5 (stopBits 1) is what two means at 5 data bits.
  const stop = settings.stopBits === 0 ? '-cstopb' : 'cstopb';
  return [`cs${settings.byteSize}`, ...parity, stop];
}

function stty(path: string, words: readonly string[], code: string, number?: number): void {
  const result = spawnSync('stty', ['-F', path, ...words], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new NetrxError(
      code,
      `Cannot set ${path} to ${words.join(' ')}: ${(result.stderr || result.error?.message || 'stty failed').trim()}`,
      number === undefined ? {} : { number },
    );
  }
}

export interface SerialOptions extends TransportOptions {
  /** Line speed; absent leaves the line's speed as it is. */
  readonly baud?: number;
}

/**
 * A serial line or pty by its path (`serial:/dev/ttyUSB0@115200`, or a socat
 * pty), with no native module: the line is put in raw mode with `stty`
 * (coreutils, Linux) and read and written as a Node tty stream. Line
 * settings from `setCommSettings` go to `stty` as well (a line that cannot
 * take them, such as a pty, refuses with `ERR_PORT_LINE_SETTINGS`). A BREAK
 * is not available this way (ignored); a hang-up is a disconnect.
 */
export function openSerial(path: string, options: SerialOptions = {}): StreamTransport {
  const words = ['raw', '-echo', 'clocal'];
  if (options.baud !== undefined) words.unshift(String(options.baud));
  stty(path, words, 'ERR_PORT_OPEN');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  } catch (error) {
    throw new NetrxError('ERR_PORT_OPEN', `Cannot open ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!isatty(fd)) {
    closeSync(fd);
    throw new NetrxError('ERR_PORT_OPEN', `${path} is not a terminal (a serial line or pty)`);
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  const transport = new StreamTransport(
    input,
    output,
    () => {
      input.destroy();
      output.destroy();
      try {
        closeSync(fd);
      } catch {
        // the streams closed it already
      }
    },
    options,
  );
  // A line that cannot take the settings (a Linux pty keeps cs8 and no parity)
  // refuses them with ERROR_INVALID_PARAMETER's number, for the RAS extension.
  transport.setCommSettings = (settings: CommSettings) =>
    stty(path, sttyWords(settings), 'ERR_PORT_LINE_SETTINGS', 87);
  return transport;
}
