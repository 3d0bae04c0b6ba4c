#!/usr/bin/env node
import { constants } from 'node:os';
import { runCli } from './run.js';

// The process edge: real streams, real signals, the real exit code.
//
// SIGINT, SIGTERM and SIGHUP all ask a running command to stop in order
// (terminals send SIGINT, systemd/Docker/`kill` SIGTERM, a closed terminal
// SIGHUP). The handlers are installed before the command starts, so a signal
// that arrives while the host is still starting is not lost: the host stops
// as soon as it is up. A second signal while stopping exits at once with
// 128 + the signal number, for a stop that hangs.
const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let stopRequested: (() => void) | undefined;
const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
let signalled = false;
for (const signal of stopSignals) {
  process.on(signal, () => {
    if (signalled) process.exit(128 + constants.signals[signal]);
    signalled = true;
    stopRequested?.();
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
