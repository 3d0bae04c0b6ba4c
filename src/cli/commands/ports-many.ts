import { readFileSync } from 'node:fs';
import { systemClock } from '../../node/runtime/index.js';
import { checkPortSpec, parsePortList } from '../../node/port/index.js';
import { DEFAULT_PORT_CONCURRENCY, runMany, worstExitCode } from '../../port/index.js';
import { integer } from '../args.js';
import { UsageError, type CliCommand, type CliIo } from '../command.js';

/**
 * Many ports at once, for `netrx chat` and `netrx scp`: `--port` given more
 * than once and/or `--ports FILE` (one spec a line, `#` comments), at most
 * `--concurrency N` (64) at a time, one result line per port on stdout in the
 * order given (`--json`: one JSON object a line), and the worst (highest)
 * exit code as the command's. One `--port` and neither `--ports` nor
 * `--json` is the single-port mode, whose output is exactly chat's.
 */
export const MANY_PORT_OPTIONS = {
  port: { type: 'string', multiple: true },
  ports: { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies CliCommand['options'];

export const MANY_PORT_USAGE = '[--port PORT]... [--ports FILE] [--concurrency N] [--json]';

type Values = Record<string, string | boolean | undefined>;

function list(value: unknown): string[] {
  return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
}

/** The ports a command runs on: one (single-port mode) or several. */
export type PortSelection =
  | { readonly many: false; readonly spec: string }
  | { readonly many: true; readonly specs: readonly string[]; readonly concurrency: number };

/** Reads `--port`, `--ports`, `--concurrency` and `--json`; bad values are usage errors. */
export function selectPorts(values: Values): PortSelection {
  const given = list(values['port']);
  const file = values['ports'];
  const many = given.length > 1 || typeof file === 'string' || values['json'] === true;
  if (!many) return { many: false, spec: given[0] ?? 'stdio' };
  const specs: string[] = [];
  for (const spec of given) {
    const problem =
      spec === 'stdio' || spec === '-' ? 'stdio cannot be one of many ports' : checkPortSpec(spec);
    if (problem !== undefined) throw new UsageError(`--port ${JSON.stringify(spec)}: ${problem}`);
    specs.push(spec);
  }
  if (typeof file === 'string') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `--ports ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    try {
      specs.push(...parsePortList(text, file).map((entry) => entry.spec));
    } catch (error) {
      throw new UsageError(`--ports ${(error as Error).message}`);
    }
  }
  if (specs.length === 0) throw new UsageError('no ports given (--port PORT or --ports FILE)');
  const concurrency =
    values['concurrency'] === undefined
      ? DEFAULT_PORT_CONCURRENCY
      : integer('--concurrency', values['concurrency'], 1, 65_536);
  return { many: true, specs, concurrency };
}

/** What one port's run came to. */
export interface PortRunResult {
  readonly exitCode: number;
  /** Why it failed, for the text line (the failing expect, the ABORT string, the error). */
  readonly detail?: string | undefined;
  /** Extra fields for the `--json` line. */
  readonly json?: Record<string, unknown>;
}

/**
 * Runs `runOne` on every port, `concurrency` at a time, and prints one line
 * per port in input order as soon as every earlier port is done:
 * `SPEC<TAB>exit N<TAB>D ms[<TAB>detail]`, or with `json`
 * `{"port","exitCode","durationMs",…}`. A port whose run throws counts as
 * exit `failedCode` with the error's message. Returns the worst exit code.
 */
export async function runOnPorts(
  selection: Extract<PortSelection, { many: true }>,
  json: boolean,
  io: CliIo,
  failedCode: number,
  runOne: (spec: string) => Promise<PortRunResult>,
): Promise<number> {
  const outcomes = await runMany(selection.specs, runOne, {
    concurrency: selection.concurrency,
    clock: systemClock,
    onOutcome: (outcome) => {
      const result: PortRunResult = outcome.ok
        ? outcome.value
        : { exitCode: failedCode, detail: (outcome.error as Error).message };
      const durationMs = Math.round(outcome.durationMs);
      if (json) {
        io.out(
          JSON.stringify({
            port: outcome.item,
            exitCode: result.exitCode,
            durationMs,
            ...(result.detail === undefined ? {} : { detail: result.detail }),
            ...result.json,
          }),
        );
      } else {
        const detail = result.detail === undefined ? '' : `\t${result.detail}`;
        io.out(`${outcome.item}\texit ${result.exitCode}\t${durationMs} ms${detail}`);
      }
    },
  });
  return worstExitCode(outcomes.map((o) => (o.ok ? o.value.exitCode : failedCode)));
}

/**
 * A port's share of stderr when many ports write to it: whole lines, each
 * starting with the port's spec (a partial line waits for its end, or `flush`).
 */
export function prefixedLines(
  spec: string,
  write: (text: string) => void,
): { write: (text: string) => void; flush: () => void } {
  let partial = '';
  return {
    write: (text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) write(`${spec}: ${line}\n`);
    },
    flush: () => {
      if (partial !== '') write(`${spec}: ${partial}\n`);
      partial = '';
    },
  };
}
