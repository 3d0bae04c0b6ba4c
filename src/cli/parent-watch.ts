/**
 * Stop when the npm that started us is gone. npm forwards SIGINT and SIGTERM
 * to its child but not SIGHUP, and when a script runs without `exec` its
 * child is `sh -c …`, which (dash) neither forwards signals nor passes on its
 * own death: a `kill <npm pid>` then leaves `netrx up` serving as an orphan.
 * So a long-running command started by npm (directly, or through shells)
 * watches that chain of processes and stops in order, as if signalled, when
 * any link of it breaks (a process gone or re-parented).
 *
 * Only npm is watched, never an arbitrary parent: a user who detached with
 * `nohup netrx up &` or `setsid` wants the command to outlive the shell that
 * started it. Linux only (it reads /proc); elsewhere nothing is watched.
 */
import { readFileSync } from 'node:fs';

/** How often the chain is looked at: a stop starts at most this long after npm is gone. */
export const PARENT_WATCH_MS = 200;
/** Shells npm (or a user's script) may put between npm and the command. */
const SHELLS: readonly string[] = ['sh', 'dash', 'bash', 'zsh', 'ash', 'busybox'];
/** npm titles itself `npm <command>` (`npm start`, `npm exec …`); npx is `npm exec`. */
const isNpm = (name: string): boolean =>
  name === 'npm' || name.startsWith('npm ') || name === 'npx';
/** At most this many shells between npm and us (`sh -c 'sh -c …'` is already unusual). */
const MAX_SHELLS = 3;

interface ProcessInfo {
  readonly name: string;
  readonly ppid: number;
}

/** Name and parent of `pid` from /proc/PID/stat, or undefined when it is gone (or no /proc). */
export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "PID (NAME) STATE PPID …": NAME may hold spaces and parentheses (npm's
  // title does), so it ends at the last ')'.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  if (open < 0 || close < open || !Number.isInteger(ppid) || fields[0] === 'Z') return undefined;
  return { name: stat.slice(open + 1, close), ppid };
}

/**
 * The processes from our parent up to the npm that started us, or [] when no
 * npm started us (through at most MAX_SHELLS shells): then nothing is watched.
 */
export function npmChain(parent: number, info = processInfo): number[] {
  const chain: number[] = [];
  let pid = parent;
  for (let shells = 0; shells <= MAX_SHELLS; shells++) {
    const found = info(pid);
    if (found === undefined) return [];
    chain.push(pid);
    if (isNpm(found.name)) return chain;
    if (!SHELLS.includes(found.name)) return [];
    pid = found.ppid;
  }
  return [];
}

/**
 * Calls `onGone` once when a link of `chain` breaks: our parent is no longer
 * chain[0], or chain[i]'s parent is no longer chain[i + 1]. Returns a stop
 * function. The timer is unref'd: it never keeps the process alive.
 */
export function watchNpmChain(
  chain: readonly number[],
  ownParent: () => number,
  onGone: () => void,
  info = processInfo,
): () => void {
  if (chain.length === 0) return () => {};
  const timer = setInterval(() => {
    if (intact(chain, ownParent, info)) return;
    clearInterval(timer);
    onGone();
  }, PARENT_WATCH_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export function intact(
  chain: readonly number[],
  ownParent: () => number,
  info = processInfo,
): boolean {
  if (ownParent() !== chain[0]) return false;
  for (let i = 0; i + 1 < chain.length; i++) {
    if (info(chain[i] as number)?.ppid !== chain[i + 1]) return false;
  }
  return true;
}
