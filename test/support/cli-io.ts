/**
 * What the in-process CLI tests share: a `CliIo` that records the lines
 * `runCli` writes and stops when the test says so, and polling for a
 * condition the CLI reaches through real sockets or processes (no fake
 * clock reaches those).
 */
import type { CliIo } from '../../src/cli/index.js';

/** A `CliIo` recording `out` and `err` lines, whose `untilStopped` resolves at `stop()`. */
export function io() {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((done) => (stop = done));
  const cli: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    untilStopped: () => stopped,
  };
  return { out, err, stop, cli };
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `condition` every 10 ms; throws `timed out waiting for WHAT` after `ms`. */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
