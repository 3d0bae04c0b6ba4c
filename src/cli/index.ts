/**
 * The `netrx` command: thin wiring of src/node adapters. `runCli` takes argv
 * and an injected `CliIo`, so every command is testable in-process; main.ts
 * is the only file that touches the real process.
 */
export { runCli, helpText } from './run.js';
export { UsageError, type CliCommand, type CliIo } from './command.js';
