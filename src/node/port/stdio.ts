import { closeSync, fstatSync, openSync, type Stats } from 'node:fs';
import { StreamTransport, type TransportOptions } from './transports.js';

/**
 * Node (20 and earlier) records the terminal settings of every stdio fd that
 * is a tty when it starts, and writes them back as it exits; if that write
 * fails with anything but EPERM, it aborts (`Assertion failed` in
 * `node::ResetStdio()`, SIGABRT, a core). A terminal that has hung up (a pty
 * whose master side closed, a modem line that dropped) fails it with EIO, so
 * any process whose stdio is such a terminal dies that way at exit, even
 * after it has stopped using it, unless it lets go of the fds first.
 *
 * The stdio port therefore restores the terminal's mode itself (at close, and
 * again at exit if the port was never closed), and at exit points every stdio
 * fd that is the port's terminal at /dev/null: Node sees another file there
 * and leaves it alone. The only setting netrx changes is raw mode, so nothing
 * Node would have restored is lost.
 */
interface TerminalFd {
  readonly fd: number;
  readonly stats: Stats;
}

/** The fds among 0, 1 and 2 that are the same terminal as `stdin` (fd 0). */
function terminalFds(): TerminalFd[] {
  let stdin: Stats;
  try {
    stdin = fstatSync(0);
  } catch {
    return [];
  }
  const fds: TerminalFd[] = [];
  for (const fd of [0, 1, 2]) {
    try {
      const stats = fd === 0 ? stdin : fstatSync(fd);
      if (stats.isCharacterDevice() && stats.rdev === stdin.rdev) fds.push({ fd, stats });
    } catch {
      // not open
    }
  }
  return fds;
}

/** Points `fd` at /dev/null, if it is still the file it was (fstat works on a hung-up tty). */
function detach({ fd, stats }: TerminalFd): void {
  let now: Stats;
  try {
    now = fstatSync(fd);
  } catch {
    return; // closed already: Node skips it too
  }
  if (now.dev !== stats.dev || now.ino !== stats.ino) return;
  try {
    closeSync(fd);
  } catch {
    return;
  }
  // The lowest free fd is the one just closed, so this reuses it; should another
  // thread have taken it meanwhile, Node sees that file instead and skips it too.
  const reopened = openSync('/dev/null', 'r+');
  if (reopened !== fd) closeSync(reopened);
}

/** The exit hook, installed by the first stdio port on a tty; it restores the latest one. */
let exitGuard: { restore: () => void } | undefined;

function guardExit(restore: () => void): void {
  if (exitGuard !== undefined) {
    exitGuard.restore = restore;
    return;
  }
  const guard = { restore };
  exitGuard = guard;
  const fds = terminalFds();
  process.once('exit', () => {
    guard.restore();
    for (const fd of fds) detach(fd);
  });
}

/** Why a restore failed, in the words of C's strerror for the usual case (chat's `%m`). */
function restoreError(error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === 'EIO' ? 'Input/output error' : (error as Error).message;
  return new Error(reason, { cause: error });
}

/**
 * The process's own stdin and stdout (what pppd's `connect` option gives
 * chat). A tty is put in raw mode for the script and restored at close, or
 * as soon as it ends from its side (while Node still holds its handle); if
 * the restore fails (the terminal hung up), `closeError` says why, and at
 * exit netrx lets go of the terminal so that Node does not abort trying
 * again (see above).
 */
export function openStdio(options: TransportOptions = {}): StreamTransport {
  const stdin = process.stdin;
  const isTty = stdin.isTTY === true;
  const wasRaw = isTty ? stdin.isRaw : false;
  let restored = !isTty;
  let failure: Error | undefined;
  /** Puts the terminal back as it was; only the first call does anything. */
  const restore = () => {
    if (restored) return;
    restored = true;
    // setRawMode reports a failure as an 'error' event, not as a throw.
    const onError = (error: Error) => (failure ??= restoreError(error));
    stdin.on('error', onError);
    try {
      stdin.setRawMode(wasRaw);
    } catch (error) {
      failure ??= restoreError(error);
    } finally {
      stdin.off('error', onError);
    }
  };
  if (isTty) {
    stdin.setRawMode(true);
    guardExit(restore);
    // At the end of a tty (a hang-up: libuv reads EIO as EOF) Node closes the
    // handle soon after; restoring now still can, and learns whether it worked.
    stdin.once('end', restore);
  }
  return new StreamTransport(
    stdin,
    process.stdout,
    (lineEnded) => {
      restore();
      stdin.off('end', restore);
      // A terminal that hung up has nothing more to read: its handle goes.
      if (isTty && lineEnded) stdin.destroy();
      else {
        stdin.pause();
        stdin.unref?.();
      }
      return failure;
    },
    options,
  );
}
