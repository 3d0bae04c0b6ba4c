import { closeSync, fstatSync, openSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';

/**
 * Node (20 and earlier) records the terminal settings of every stdio fd that
 * is a tty when it starts, and writes them back as it exits; if that write
 * fails with anything but EPERM, it aborts (`Assertion failed` in
 * `node::ResetStdio()`, SIGABRT, a core). A terminal that has hung up (a pty
 * whose master side closed, a modem line that dropped) fails it with EIO, so
 * any process whose stdio is such a terminal dies that way at exit, even one
 * that never used it, unless it lets go of those fds first.
 *
 * At exit, therefore, the fds below are pointed at /dev/null (Node sees
 * another file there and leaves it alone): the stdio port's terminal always
 * (after the port's own restore of the mode: raw mode is the only setting
 * netrx changes, so nothing Node would have restored is lost), and any other
 * stdio fd that is a character device but no longer a terminal (`isatty`
 * fails on a hung-up tty; for /dev/null and the like the swap changes
 * nothing).
 */
interface HeldFd {
  readonly fd: number;
  readonly stats: Stats;
}

const STDIO = [0, 1, 2] as const;

function statOf(fd: number): Stats | undefined {
  try {
    return fstatSync(fd);
  } catch {
    return undefined; // not open
  }
}

/** Points `fd` at /dev/null. */
function detach(fd: number): void {
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

const state: {
  installed: boolean;
  held: HeldFd[];
  restore: (() => void) | undefined;
} = { installed: false, held: [], restore: undefined };

function atExit(): void {
  state.restore?.();
  for (const fd of STDIO) {
    const now = statOf(fd);
    if (now === undefined) continue; // closed: Node skips it too
    const held = state.held.find((entry) => entry.fd === fd);
    if (held !== undefined) {
      // Still the port's terminal (fstat works on a hung-up tty): never left to Node.
      if (now.dev === held.stats.dev && now.ino === held.stats.ino) detach(fd);
    } else if (now.isCharacterDevice() && !isatty(fd)) detach(fd);
  }
}

/**
 * Installs the exit hook (once): `netrx` does at start-up, and every stdio
 * port does. Idempotent.
 */
export function releaseTerminalsAtExit(): void {
  if (state.installed) return;
  state.installed = true;
  process.once('exit', atExit);
}

/**
 * The stdio port's terminal: the fds among 0, 1 and 2 that are the same
 * character device as fd 0 are let go of at exit, after `restore` (the
 * latest port's) has put its mode back.
 */
export function holdStdinTerminal(restore: () => void): void {
  releaseTerminalsAtExit();
  state.restore = restore;
  if (state.held.length > 0) return;
  const stdin = statOf(0);
  if (stdin === undefined || !stdin.isCharacterDevice()) return;
  for (const fd of STDIO) {
    const stats = fd === 0 ? stdin : statOf(fd);
    if (stats?.isCharacterDevice() === true && stats.rdev === stdin.rdev) {
      state.held.push({ fd, stats });
    }
  }
}
