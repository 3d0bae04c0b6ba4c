/**
 * The `.scp` interpreter: procedure calls, the compiled statements
 * (assignments, transmit, waitfor, delay, set, getip, halt), line I/O on the
 * port, and the run's limits and signal. Expressions are evaluated in
 * expressions.ts.
 */
import { NetrxError } from '../../runtime/index.js';
import { AnsiStripper } from '../ansi.js';
import { LiteralMatcher } from '../matcher.js';
import { latin1Bytes, latin1Text } from '../latin1.js';
import type { Port } from '../port.js';
import { RasError } from '../ras-errors.js';
import type { CommSettings } from '../transport.js';
import { visible } from '../chat/escapes.js';
import { PortEventDescriptor } from '../events.js';
import { TRANSCRIPT_SECRET, traceTranscript } from '../transcript.js';
import type { At, ScpExpr, ScpProgram, ScpStatement } from './ast.js';
import {
  IP_PATTERN,
  isIpv4,
  PARITY,
  SCP_RUN_LIMITS,
  type ScpOptions,
  type ScpResult,
  type Value,
} from './run-options.js';

export { SCP_RUN_LIMITS, type ScpOptions, type ScpResult } from './run-options.js';
import { compileProc, type CompiledProc } from './compile.js';
import { ScpExpressions } from './expressions.js';
import { foldAscii, translateScp } from './strings.js';

/** Ends the run from deep inside; never escapes `runScp`. */
class ScpStop extends Error {
  constructor(
    readonly outcome: 'halted' | 'failed',
    readonly error: number,
    message: string,
    readonly at: At | undefined,
  ) {
    super(message);
  }
}

/**
 * Runs a parsed `.scp` script on a port. Reaching main's `endproc` is
 * success; `halt` stops with `halted`; a line that goes away, a runtime
 * error (division by zero, a setting out of range, a runaway loop) or the
 * signal ends it with `failed`. Never rejects for the script's own reasons.
 */
export async function runScp(
  port: Port,
  program: ScpProgram,
  options: ScpOptions,
): Promise<ScpResult> {
  const run = new ScpRun(port, program, options);
  const result = await run.run();
  port.trace?.emit(PortEventDescriptor.scpFinished, {
    port: port.name,
    outcome: result.outcome,
    error: result.error,
    line: result.at?.line ?? 0,
  });
  return result;
}

class ScpRun {
  private success = false;
  private steps = 0;
  private sinceYield = 0;
  private depth = 0;
  private ipAddress: string | undefined;
  private readonly compiled = new Map<string, CompiledProc>();
  private readonly expressions: ScpExpressions;
  private readonly maxSteps: number;
  /** With `stripAnsi`: one filter for the whole run, so a sequence split across reads is still removed. */
  private readonly ansi: AnsiStripper | undefined;

  constructor(
    private readonly port: Port,
    private readonly program: ScpProgram,
    private readonly options: ScpOptions,
  ) {
    this.maxSteps = options.maxSteps ?? 1_000_000;
    this.ansi = options.stripAnsi === true ? new AnsiStripper() : undefined;
    this.expressions = new ScpExpressions({
      dialParams: options.dialParams,
      success: () => this.success,
      fail: (at, message) => this.fail(at, message),
      getip: (index, locals, at) => this.getip(index, locals, at),
    });
  }

  private evaluate(expr: ScpExpr, locals: Map<string, Value>): Promise<Value> {
    return this.expressions.evaluate(expr, locals);
  }

  private taint(name: string, expr: ScpExpr, locals: Map<string, Value>): void {
    this.expressions.taint(name, expr, locals);
  }

  async run(): Promise<ScpResult> {
    const base = { ipAddress: undefined as string | undefined, steps: 0 };
    try {
      await this.call(this.program.main.name, this.program.main.at);
      return {
        ...base,
        outcome: 'done',
        error: 0,
        message: undefined,
        at: undefined,
        ipAddress: this.ipAddress,
        steps: this.steps,
      };
    } catch (thrown) {
      if (!(thrown instanceof ScpStop)) throw thrown;
      return {
        outcome: thrown.outcome,
        error: thrown.error,
        message: thrown.message,
        at: thrown.at,
        ipAddress: this.ipAddress,
        steps: this.steps,
      };
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private fail(
    at: At | undefined,
    message: string,
    error: number = RasError.ERROR_INVALID_PARAMETER,
  ): never {
    throw new ScpStop('failed', error, message, at);
  }

  private async call(name: string, at: At): Promise<void> {
    let compiled = this.compiled.get(name);
    if (compiled === undefined) {
      const proc = this.program.procs.get(name);
      if (proc === undefined) this.fail(at, `no procedure named ${name}`);
      compiled = compileProc(proc);
      this.compiled.set(name, compiled);
    }
    if (this.depth >= SCP_RUN_LIMITS.calls)
      this.fail(at, `procedure calls nested deeper than ${SCP_RUN_LIMITS.calls}`);
    this.depth++;
    try {
      const locals = new Map<string, Value>();
      for (const declaration of compiled.proc.declarations) {
        const initial =
          declaration.type === 'integer' ? 0 : declaration.type === 'string' ? '' : false;
        locals.set(
          declaration.name,
          declaration.init === undefined ? initial : await this.evaluate(declaration.init, locals),
        );
        if (declaration.init !== undefined) this.taint(declaration.name, declaration.init, locals);
      }
      await this.execute(compiled, locals);
    } finally {
      this.depth--;
    }
  }

  private async execute({ code }: CompiledProc, locals: Map<string, Value>): Promise<void> {
    let pc = 0;
    while (pc < code.length) {
      await this.step();
      const instruction = code[pc++];
      if (instruction === undefined) break;
      switch (instruction.op) {
        case 'jump':
          pc = instruction.target;
          break;
        case 'unless':
          if ((await this.evaluate(instruction.condition, locals)) !== true)
            pc = instruction.target;
          break;
        case 'waitfor': {
          const index = await this.waitfor(instruction.statement, locals);
          const target = index === undefined ? undefined : instruction.targets[index];
          if (target !== undefined) pc = target;
          break;
        }
        case 'do':
          await this.statement(instruction.statement, locals);
          break;
      }
    }
  }

  /** Counts an instruction; a long run with no I/O yields to the clock so the host stays responsive. */
  private async step(): Promise<void> {
    this.checkSignal(undefined);
    if (++this.steps > this.maxSteps) {
      this.fail(
        undefined,
        `stopped after ${this.maxSteps} instructions (a loop with no waitfor or delay?)`,
      );
    }
    if (++this.sinceYield >= SCP_RUN_LIMITS.slice) await this.sleep(0, undefined);
  }

  private checkSignal(at: At | undefined): void {
    const signal = this.options.signal;
    if (signal?.aborted === true) {
      this.fail(at, `stopped: ${String(signal.reason)}`, RasError.ERROR_USER_DISCONNECTION);
    }
  }

  private async statement(statement: ScpStatement, locals: Map<string, Value>): Promise<void> {
    const at = statement.at;
    switch (statement.kind) {
      case 'assign':
        locals.set(statement.name, await this.evaluate(statement.value, locals));
        this.taint(statement.name, statement.value, locals);
        return;
      case 'transmit': {
        const value = (await this.evaluate(statement.value, locals)) as string;
        const text = statement.raw ? value : translateScp(value);
        const secret = this.expressions.fromPassword(statement.value, locals);
        this.log(`transmit (${secret ? '??????' : visible(text)})`);
        traceTranscript(this.port, 'send', text, secret);
        this.send(text, at);
        return;
      }
      case 'delay': {
        const seconds = Math.max(0, (await this.evaluate(statement.seconds, locals)) as number);
        this.log(`delay ${seconds}`);
        await this.sleep(seconds * 1000, at);
        return;
      }
      case 'getip':
        await this.getip(statement.index, locals, at);
        return;
      case 'set-ipaddr': {
        const address = (await this.evaluate(statement.value, locals)) as string;
        if (!isIpv4(address))
          this.fail(at, `set ipaddr needs a dotted IPv4 address, not ${JSON.stringify(address)}`);
        this.ipAddress = address;
        this.success = true;
        this.log(`set ipaddr ${address}`);
        this.options.onIpAddress?.(address);
        return;
      }
      case 'set-port': {
        const value = (await this.evaluate(statement.value, locals)) as number;
        const current = this.port.commSettings;
        if (statement.setting === 'databits') {
          if (![5, 6, 7, 8].includes(value))
            this.fail(at, `set port databits takes 5 to 8, not ${value}`);
          this.applySettings(
            { ...current, byteSize: value as CommSettings['byteSize'] },
            `databits ${value}`,
          );
        } else {
          if (value !== 1 && value !== 2)
            this.fail(at, `set port stopbits takes 1 or 2, not ${value}`);
          this.applySettings({ ...current, stopBits: value === 1 ? 0 : 2 }, `stopbits ${value}`);
        }
        return;
      }
      case 'set-parity':
        this.applySettings(
          { ...this.port.commSettings, parity: PARITY[statement.parity] },
          `parity ${statement.parity}`,
        );
        return;
      case 'set-keyboard':
        this.log(`set screen keyboard ${statement.on ? 'on' : 'off'}`);
        this.options.onScreenKeyboard?.(statement.on);
        return;
      case 'halt':
        this.log('halt');
        throw new ScpStop('halted', RasError.ERROR_INTERACTIVE_MODE, 'halt', at);
      case 'call':
        await this.call(statement.proc, at);
        return;
      default:
        // Labels, gotos, ifs, whiles and waitfors are compiled to jumps.
        return;
    }
  }

  /** Sets `$SUCCESS` from the DWORD the line settings call returns. */
  private applySettings(settings: CommSettings, what: string): void {
    const apply =
      this.options.setCommSettings ??
      ((next: CommSettings) => {
        try {
          this.port.setCommSettings(next);
          return 0;
        } catch (error) {
          if (error instanceof NetrxError) return error.number ?? RasError.ERROR_INVALID_PARAMETER;
          if (error instanceof RangeError) return RasError.ERROR_INVALID_PARAMETER;
          throw error;
        }
      });
    const error = apply(settings);
    this.success = error === 0;
    this.log(`set port ${what}${error === 0 ? '' : ` -- refused (${error})`}`);
  }

  private send(text: string, at: At): void {
    try {
      this.port.send(text);
    } catch (error) {
      this.lineError(error, at);
    }
  }

  private lineError(error: unknown, at: At | undefined): never {
    this.checkSignal(at);
    if (error instanceof NetrxError) {
      this.fail(at, error.message, error.number ?? RasError.ERROR_PORT_DISCONNECTED);
    }
    throw error;
  }

  private sleep(ms: number, at: At | undefined): Promise<void> {
    this.sinceYield = 0;
    return new Promise((resolve, reject) => {
      const signal = this.options.signal;
      const onAbort = () => {
        timer.cancel();
        const signal = this.options.signal;
        reject(
          new ScpStop(
            'failed',
            RasError.ERROR_USER_DISCONNECTION,
            `stopped: ${String(signal?.reason)}`,
            at,
          ),
        );
      };
      const timer = this.options.clock.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One chunk, or undefined at the deadline; the line's end and the signal stop the script. */
  private async receive(deadline: number, at: At): Promise<Uint8Array | undefined> {
    this.sinceYield = 0;
    const left =
      deadline === Infinity ? undefined : Math.max(0, deadline - this.options.clock.now());
    try {
      const chunk = await this.port.receive({ timeoutMs: left, signal: this.options.signal });
      this.log(visible(latin1Text(chunk)));
      traceTranscript(this.port, 'received', latin1Text(chunk));
      return chunk;
    } catch (error) {
      if (error instanceof NetrxError && error.code === 'ERROR_REQUEST_TIMEOUT') return undefined;
      this.lineError(error, at);
    }
  }

  /** The branch that matched first in the stream (ties to the first listed), or undefined on `until`'s timeout. */
  private async waitfor(
    statement: Extract<ScpStatement, { kind: 'waitfor' }>,
    locals: Map<string, Value>,
  ): Promise<number | undefined> {
    const at = statement.at;
    const branches = [];
    for (const branch of statement.branches) {
      const text = translateScp((await this.evaluate(branch.text, locals)) as string);
      const bytes = latin1Bytes(text);
      branches.push({
        text,
        // A string made from $password is not shown in the transcript.
        shown: this.expressions.fromPassword(branch.text, locals) ? TRANSCRIPT_SECRET : text,
        matchcase: branch.matchcase,
        matcher: new LiteralMatcher(branch.matchcase ? bytes : bytes.map(foldAscii)),
      });
    }
    const seconds =
      statement.until === undefined
        ? undefined
        : Math.max(0, (await this.evaluate(statement.until, locals)) as number);
    this.log(
      `waitfor (${branches.map((b) => visible(b.text) + (b.matchcase ? ', matchcase' : '')).join(' | ')})` +
        (seconds === undefined ? '' : ` until ${seconds}`),
    );
    traceTranscript(this.port, 'expect', branches.map((b) => b.shown).join(' | '));
    // An empty string is there at once, as chat's '' is.
    const empty = branches.findIndex((b) => b.text.length === 0);
    if (empty >= 0) return this.matched(empty);
    const deadline = seconds === undefined ? Infinity : this.options.clock.now() + seconds * 1000;
    for (;;) {
      const chunk = await this.receive(deadline, at);
      if (chunk === undefined) {
        this.success = false;
        this.log(' -- timed out');
        traceTranscript(this.port, 'timeout', branches.map((b) => b.shown).join(' | '));
        return undefined;
      }
      for (let i = 0; i < chunk.length; i++) {
        const byte =
          this.ansi === undefined ? (chunk[i] as number) : this.ansi.step(chunk[i] as number);
        if (byte < 0) continue;
        let hit = -1;
        for (let p = 0; p < branches.length; p++) {
          const branch = branches[p] as (typeof branches)[number];
          if (branch.matcher.step(branch.matchcase ? byte : foldAscii(byte)) && hit < 0) hit = p;
        }
        if (hit >= 0) {
          if (i + 1 < chunk.length) this.port.unread(chunk.subarray(i + 1));
          return this.matched(hit, (branches[hit] as (typeof branches)[number]).shown);
        }
      }
    }
  }

  private matched(index: number, text = ''): number {
    this.success = true;
    this.log(' -- got it');
    traceTranscript(this.port, 'matched', text);
    return index;
  }

  /** `getip [n]`: waits for the n-th IPv4 address received from now on. */
  private async getip(
    indexExpr: ScpExpr | undefined,
    locals: Map<string, Value>,
    at: At,
  ): Promise<string> {
    const n = indexExpr === undefined ? 1 : ((await this.evaluate(indexExpr, locals)) as number);
    if (n < 1) this.fail(at, `getip counts addresses from 1, not ${n}`);
    this.log(`getip ${n}`);
    let found = 0;
    for (;;) {
      let match;
      try {
        this.sinceYield = 0;
        match = await this.port.expect([IP_PATTERN], { signal: this.options.signal });
      } catch (error) {
        this.lineError(error, at);
      }
      const address = match.groups.join('.');
      if (isIpv4(address) && ++found === n) {
        this.success = true;
        this.log(` -- got ${address}`);
        return address;
      }
    }
  }
}
