/** File errors in the CLI: every one names the file once, in a few plain words. */

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
};

interface SystemError {
  readonly code: string;
  readonly message: string;
  readonly path?: string;
}

/** The Node system error (`code` like `ENOENT`) in `error` or its chain of causes. */
function systemError(error: unknown): SystemError | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
      return e as SystemError & { message: string };
    if (typeof message !== 'string') break;
    e = cause;
  }
  return undefined;
}

/** Node's message for a system error without its code and the path it repeats. */
function plainReason(error: SystemError): string {
  return (
    REASONS[error.code] ??
    error.message
      .replace(/^E[A-Z]+: /, '')
      .replace(/, \w+ '[^']*'( -> '[^']*')?$/, '')
      .trim()
  );
}

/**
 * One line for an error that happened on `file`: `FILE: reason`. A system
 * error (anywhere in the chain of causes) gives a plain reason (`no such
 * file`, not Node's `ENOENT: no such file or directory, open 'FILE'`); an
 * error whose message already starts with the file (a bad capture) is used
 * as it is.
 */
export function fileErrorLine(file: string, error: unknown): string {
  const system = systemError(error);
  if (system !== undefined) return `${file}: ${plainReason(system)}`;
  const message = (error as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(error);
  return text.startsWith(`${file}: `) ? text : `${file}: ${text}`;
}

/** One line for any error: a Node file-system error (it carries `path`) is named by its file. */
export function errorLine(error: unknown): string {
  const path = systemError(error)?.path;
  return typeof path === 'string'
    ? fileErrorLine(path, error)
    : ((error as Error).message ?? String(error));
}
