#!/usr/bin/env node
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { releaseTerminalsAtExit } from '../node/port/index.js';
import { npmChain, watchNpmChain } from './parent-watch.js';
import { runCli } from './run.js';

// The process edge: real streams, real signals, the real exit code.
//
// SIGINT, SIGTERM and SIGHUP all ask a running command to stop in order
// (terminals send SIGINT, systemd/Docker/`kill` SIGTERM, a closed terminal
// SIGHUP), except that SIGHUP reloads a command that asks for it (below).
// The handlers are installed before the command starts, so a signal
// that arrives while the host is still starting is not lost: the host stops
// as soon as it is up. A second signal a while after the first exits at once
// with 128 + the signal number, for a stop that hangs. "A while": the same
// Ctrl-C can arrive twice within milliseconds (the terminal signals the whole
// process group, and a wrapper that forwards signals, such as a shell script
// with a trap, sends its own copy), which must not cut the orderly stop short;
// test/cli/start.test.ts sends two at once and expects an orderly stop.
const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const REPEAT_FORCES_AFTER_MS = 1000;
let stopRequested: (() => void) | undefined;
const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
let firstSignalAt: number | undefined;
function requestStop(): void {
  firstSignalAt ??= performance.now();
  stopRequested?.();
}
function stopSignal(signal: (typeof stopSignals)[number]): void {
  if (firstSignalAt === undefined) requestStop();
  else if (performance.now() - firstSignalAt >= REPEAT_FORCES_AFTER_MS) {
    process.exit(128 + constants.signals[signal]);
  }
}
// SIGHUP is a reload request for a command that asks for one (`netrx up`),
// except when it comes because our terminal hung up: the kernel takes the
// controlling terminal from every process of the session first, so a
// process that had one and has none left is being hung up on, and stops.
function hasControllingTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}
const hadTerminal = hasControllingTerminal();
let reloadListener: (() => void) | undefined;
for (const signal of stopSignals) {
  process.on(signal, () => {
    if (
      signal === 'SIGHUP' &&
      reloadListener !== undefined &&
      firstSignalAt === undefined &&
      !(hadTerminal && !hasControllingTerminal())
    )
      reloadListener();
    else stopSignal(signal);
  });
}
// The reader of our output may be gone (a closed terminal, a dead npm): the
// stop goes on without it instead of dying of EPIPE/EIO.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
// Nor die at exit of its terminal hanging up: Node 20 aborts (SIGABRT) when it
// cannot write a hung-up terminal's settings back, so netrx lets go of it first.
releaseTerminalsAtExit();

// Taken now, before the command runs: the npm (and shells) that started us.
const npm = npmChain(process.ppid);
let watching = false;

const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  untilStopped: () => {
    // A command that runs until stopped also stops when the npm that
    // started it is gone (see parent-watch.ts).
    if (!watching) {
      watching = true;
      watchNpmChain(
        npm,
        () => process.ppid,
        () => {
          process.stderr.write(
            `netrx: the npm that started this (PID ${npm.at(-1)}) is gone: stopping\n`,
          );
          requestStop();
        },
      );
    }
    return stopped;
  },
  onReload: (listener) => {
    reloadListener = listener;
    return () => {
      if (reloadListener === listener) reloadListener = undefined;
    };
  },
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
});
process.exitCode = code;
// The command has finished: whatever handle a dependency left open must not
// keep the process alive (a process manager waits for it). The timer is
// unref'd, so a clean exit is not delayed by it.
setTimeout(() => process.exit(code), 1000).unref();
