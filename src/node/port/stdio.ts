import { holdStdinTerminal } from './terminal-exit.js';
import { StreamTransport, type TransportOptions } from './transports.js';

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
 * again (see terminal-exit.ts).
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
  // A tty that hung up before this point is no tty to Node now, but was one
  // when Node started: its fds are let go of at exit all the same.
  holdStdinTerminal(restore);
  if (isTty) {
    stdin.setRawMode(true);
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
