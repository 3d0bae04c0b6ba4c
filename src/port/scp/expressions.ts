/**
 * Expressions of a running `.scp` script: evaluation (literals, variables
 * with the system variables `$userid`, `$password`, `$success`, `$failure`,
 * unary and binary operators with 32-bit integer arithmetic, short-circuit
 * `and`/`or`, `getip`) and the taint that keeps anything made from
 * `$password` secret in the transcript. The interpreter (interpreter.ts)
 * runs the statements and the line I/O, and gives this its runtime through
 * `ScpRuntime`.
 */
import type { At, ScpExpr } from './ast.js';
import { SCP_RUN_LIMITS, type ScpOptions, type Value } from './run-options.js';

/** What evaluation needs from the run. */
export interface ScpRuntime {
  readonly dialParams: ScpOptions['dialParams'];
  /** `$success` now. */
  success(): boolean;
  /** Ends the run with a runtime error at `at`. */
  fail(at: At, message: string): never;
  /** `getip [n]` (line I/O). */
  getip(index: ScpExpr | undefined, locals: Map<string, Value>, at: At): Promise<string>;
}

export class ScpExpressions {
  /** Per procedure call (its locals): the variables holding a value made from `$password`. */
  private readonly secrets = new WeakMap<Map<string, Value>, Set<string>>();

  constructor(private readonly runtime: ScpRuntime) {}

  /** `name` now holds `expr`'s value: a copy of (or anything made from) `$password` is secret too. */
  taint(name: string, expr: ScpExpr, locals: Map<string, Value>): void {
    let names = this.secrets.get(locals);
    if (this.fromPassword(expr, locals)) {
      if (names === undefined) this.secrets.set(locals, (names = new Set()));
      names.add(name);
    } else names?.delete(name);
  }

  /** Whether `expr` reads `$password` or a variable that holds a value made from it. */
  fromPassword(expr: ScpExpr, locals: Map<string, Value>): boolean {
    switch (expr.kind) {
      case 'variable':
        return expr.name === '$password' || this.secrets.get(locals)?.has(expr.name) === true;
      case 'unary':
        return this.fromPassword(expr.operand, locals);
      case 'binary':
        return this.fromPassword(expr.left, locals) || this.fromPassword(expr.right, locals);
      default:
        return false;
    }
  }

  async evaluate(expr: ScpExpr, locals: Map<string, Value>): Promise<Value> {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'variable':
        return this.variable(expr.name, locals, expr.at);
      case 'unary': {
        const operand = await this.evaluate(expr.operand, locals);
        return expr.op === '-' ? -(operand as number) | 0 : !(operand as boolean);
      }
      case 'binary':
        return await this.binary(expr, locals);
      case 'getip':
        return await this.runtime.getip(expr.index, locals, expr.at);
    }
  }

  private variable(name: string, locals: Map<string, Value>, at: At): Value {
    switch (name) {
      case '$userid':
        return this.runtime.dialParams?.userName ?? '';
      case '$password':
        return this.runtime.dialParams?.password ?? '';
      case '$success':
        return this.runtime.success();
      case '$failure':
        return !this.runtime.success();
      default: {
        const value = locals.get(name);
        if (value === undefined) this.runtime.fail(at, `variable ${name} is not declared`);
        return value;
      }
    }
  }

  private async binary(
    expr: Extract<ScpExpr, { kind: 'binary' }>,
    locals: Map<string, Value>,
  ): Promise<Value> {
    const left = await this.evaluate(expr.left, locals);
    // and/or do not evaluate the right side when the left decides.
    if (expr.op === 'and')
      return left === true && (await this.evaluate(expr.right, locals)) === true;
    if (expr.op === 'or')
      return left === true || (await this.evaluate(expr.right, locals)) === true;
    const right = await this.evaluate(expr.right, locals);
    switch (expr.op) {
      case '+':
        if (typeof left === 'string') {
          const joined = left + (right as string);
          if (joined.length > SCP_RUN_LIMITS.string)
            this.runtime.fail(expr.at, `a string longer than ${SCP_RUN_LIMITS.string} characters`);
          return joined;
        }
        return ((left as number) + (right as number)) | 0;
      case '-':
        return ((left as number) - (right as number)) | 0;
      case '*':
        return Math.imul(left as number, right as number);
      case '/':
        if (right === 0) this.runtime.fail(expr.at, 'division by zero');
        return ((left as number) / (right as number)) | 0;
      case '<':
        return (left as number) < (right as number);
      case '>':
        return (left as number) > (right as number);
      case '<=':
        return (left as number) <= (right as number);
      case '>=':
        return (left as number) >= (right as number);
      case '==':
        return left === right;
      case '!=':
        return left !== right;
    }
  }
}
