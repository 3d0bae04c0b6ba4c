#!/usr/bin/env node
import { constants } from 'node:os';
import { runCli } from './run.js';

// The process edge: real streams, real signals, the real exit code.
//
// SIGINT, SIGTERM and SIGHUP all ask a running command to stop in order
// (terminals send SIGINT, systemd/Docker/`kill` SIGTERM, a closed terminal
// SIGHUP). The handlers are installed before the command starts, so a signal
// that arrives while the host is still starting is not lost: the host stops
// as soon as it is up. A second signal a while after the first exits at once
// with 128 + the signal number, for a stop that hangs. "A while": a terminal's
// Ctrl-C under `npm start` arrives twice at once (from the terminal to the
// whole process group, and forwarded by npm), which must not cut the
// orderly stop short.
const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const REPEAT_FORCES_AFTER_MS = 1000;
let stopRequested: (() => void) | undefined;
const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
let firstSignalAt: number | undefined;
for (const signal of stopSignals) {
  process.on(signal, () => {
    if (firstSignalAt === undefined) {
      firstSignalAt = performance.now();
      stopRequested?.();
    } else if (performance.now() - firstSignalAt >= REPEAT_FORCES_AFTER_MS) {
      process.exit(128 + constants.signals[signal]);
    }
  });
}

const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  untilStopped: () => stopped,
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
});
process.exitCode = code;
// The command has finished: whatever handle a dependency left open must not
// keep the process alive (a process manager waits for it). The timer is
// unref'd, so a clean exit is not delayed by it.
setTimeout(() => process.exit(code), 1000).unref();
