/** File errors in the CLI: every one names the file, in a few words. */

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

/**
 * One line for an error that happened on `file`: the error's own message when
 * it already names the file, else `FILE: reason` (Node's EISDIR, for one, says
 * "illegal operation on a directory, read" and nothing about which).
 */
export function fileErrorLine(file: string, error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  if (text.includes(file)) return text;
  const reason = typeof code === 'string' ? REASONS[code] : undefined;
  return `${file}: ${reason ?? text}`;
}

/** One line for any error: a Node file-system error (it carries `path`) is named by its file. */
export function errorLine(error: unknown): string {
  const path = (error as { path?: unknown } | null)?.path;
  return typeof path === 'string' ? fileErrorLine(path, error) : (error as Error).message;
}
