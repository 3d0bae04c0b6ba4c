import type {
  At,
  ParityName,
  ScpDeclaration,
  ScpExpr,
  ScpProc,
  ScpProgram,
  ScpStatement,
  ScpType,
  WaitforBranch,
} from './ast.js';
import { lexScp, SCP_RESERVED, type ScpSyntaxError, type Token } from './lexer.js';
import {
  Abandon,
  describe,
  ExpressionParser,
  SCP_LIMITS,
  TooManyErrors,
  type Scope,
} from './parse-expressions.js';

export { SCP_LIMITS, SCP_SYSTEM_VARIABLES } from './parse-expressions.js';

export type ScpParseResult =
  | { readonly ok: true; readonly program: ScpProgram; readonly errors: readonly [] }
  | { readonly ok: false; readonly program: undefined; readonly errors: readonly ScpSyntaxError[] };

const PARITIES: readonly ParityName[] = ['none', 'odd', 'even', 'mark', 'space'];

/**
 * Parses a `.scp` script. Never throws: a script with problems gives every
 * problem found (up to SCP_LIMITS.errors) with its line and column, in
 * source order; only a script with none gives a program. Types are checked
 * here (variables are declared with a type before the commands that use
 * them), as are labels, procedure names and the place of declarations.
 */
export function parseScp(source: string): ScpParseResult {
  if (source.length > SCP_LIMITS.source) {
    return {
      ok: false,
      program: undefined,
      errors: [
        { line: 1, column: 1, message: `script longer than ${SCP_LIMITS.source} characters` },
      ],
    };
  }
  const { tokens, errors: lexErrors } = lexScp(source);
  const parser = new Parser(tokens, lexErrors);
  const program = parser.parseProgram(source);
  const errors = [...parser.errors].sort((a, b) => a.line - b.line || a.column - b.column);
  if (program === undefined || errors.length > 0) {
    return { ok: false, program: undefined, errors: errors.slice(0, SCP_LIMITS.errors) };
  }
  return { ok: true, program, errors: [] };
}

class Parser extends ExpressionParser {
  parseProgram(source: string): ScpProgram | undefined {
    try {
      return this.parseProcs(source);
    } catch (error) {
      if (!(error instanceof TooManyErrors)) throw error;
      return undefined;
    }
  }

  private parseProcs(source: string): ScpProgram | undefined {
    const procs = new Map<string, ScpProc>();
    const calls: { proc: string; at: At; written: string }[] = [];
    while (this.peek().kind !== 'eof') {
      const before = this.position;
      try {
        const proc = this.parseProc();
        if (procs.has(proc.name)) {
          this.report(proc.at, `procedure ${proc.name} is defined twice`);
        } else procs.set(proc.name, proc);
        calls.push(...(this.scope?.calls ?? []));
      } catch (error) {
        if (!(error instanceof Abandon)) throw error;
        this.report(error.error, error.error.message);
        // Resume at the next procedure rather than at every line in between.
        if (this.position === before) this.next();
        while (this.peek().kind !== 'eof' && !(this.isWord('proc') && this.peek().startsLine)) {
          this.next();
        }
      }
    }
    for (const call of calls) {
      if (!procs.has(call.proc)) this.report(call.at, `no procedure named ${call.written}`);
    }
    const main = procs.get('main');
    if (main === undefined) {
      this.report(this.peek(), 'a script must have a main procedure (proc main … endproc)');
      return undefined;
    }
    return { source, procs, main };
  }

  // ---- procedures and declarations ----

  private parseProc(): ScpProc {
    const start = this.peek();
    if (!this.isWord('proc', start)) {
      this.fail(
        start,
        `expected proc, found ${describe(start)} (commands belong inside a procedure)`,
      );
    }
    this.next();
    const name = this.expectName('procedure');
    const scope: Scope = { variables: new Map(), labels: new Map(), gotos: [], calls: [] };
    this.scope = scope;
    const declarations: ScpDeclaration[] = [];
    while (
      ['integer', 'string', 'boolean'].includes(this.peek().text) &&
      this.peek().kind === 'word'
    ) {
      this.statementGuard(() => declarations.push(this.parseDeclaration(scope)));
    }
    const body = this.parseBlock(['endproc'], 'procedure ' + name.written);
    this.expectWord('endproc', `to end procedure ${name.written}`);
    for (const jump of scope.gotos) {
      if (!scope.labels.has(jump.label)) {
        this.report(jump.at, `no label ${jump.written} in procedure ${name.written}`);
      }
    }
    return { name: name.text, declarations, body, at: start };
  }

  private parseDeclaration(scope: Scope): ScpDeclaration {
    const typeToken = this.next();
    const type = typeToken.text as ScpType;
    const name = this.expectName('variable');
    if (scope.variables.has(name.text))
      this.fail(name, `variable ${name.written} is declared twice`);
    let init: ScpExpr | undefined;
    if (this.isOp('=') && !this.peek().startsLine) {
      this.next();
      init = this.parseExpression();
      this.checkType(init, type, `the initial value of ${name.written}`);
    }
    scope.variables.set(name.text, type);
    return { name: name.text, type, init, at: typeToken };
  }

  /** Runs one statement's parser; on a problem reports it and skips to the next line. */
  private statementGuard(parse: () => void): void {
    const before = this.position;
    try {
      parse();
    } catch (error) {
      if (!(error instanceof Abandon)) throw error;
      this.report(error.error, error.error.message);
      if (this.position === before || !this.peek().startsLine) this.skipLine();
    }
  }

  // ---- statements ----

  private parseBlock(enders: readonly string[], what: string): ScpStatement[] {
    const statements: ScpStatement[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'eof')
        this.fail(token, `${what} is not closed (expected ${enders.join(' or ')})`);
      if (token.kind === 'word' && enders.includes(token.text)) return statements;
      if (token.kind === 'word' && ['endproc', 'proc'].includes(token.text)) {
        // Close the enclosing blocks: the procedure's end is the likelier intent.
        this.fail(
          token,
          `${token.written} before ${what} is closed (expected ${enders.join(' or ')})`,
        );
      }
      if (token.kind === 'word' && ['endif', 'endwhile', 'else'].includes(token.text)) {
        this.report(
          token,
          `${token.written} does not belong here (expected ${enders.join(' or ')})`,
        );
        this.next();
        continue;
      }
      this.statementGuard(() => {
        const statement = this.parseStatement();
        if (statement !== undefined) statements.push(statement);
      });
    }
  }

  private parseStatement(): ScpStatement | undefined {
    const token = this.peek();
    const scope = this.scope as Scope;
    if (token.kind === 'system') {
      this.fail(token, `${token.written} is read-only`);
    }
    if (token.kind !== 'word') this.fail(token, `expected a command, found ${describe(token)}`);
    if (['integer', 'string', 'boolean'].includes(token.text)) {
      this.fail(token, 'declarations must come before the commands of a procedure');
    }
    if (!SCP_RESERVED.has(token.text)) {
      const following = this.peek(1);
      if (this.isOp(':', following)) {
        this.next();
        this.next();
        if (scope.labels.has(token.text))
          this.fail(token, `label ${token.written} is defined twice`);
        scope.labels.set(token.text, token);
        return { kind: 'label', name: token.text, at: token };
      }
      if (this.isOp('=', following)) {
        this.next();
        this.next();
        const type = scope.variables.get(token.text);
        if (type === undefined) this.fail(token, `variable ${token.written} is not declared`);
        const value = this.parseExpression();
        this.checkType(value, type, `${token.written} (${type})`);
        return { kind: 'assign', name: token.text, value, at: token };
      }
      if (scope.variables.has(token.text)) {
        this.fail(following, `expected = after ${token.written}, found ${describe(following)}`);
      }
      if (following.kind !== 'eof' && !following.startsLine) {
        // A procedure call is its name alone on a line; anything else is a typo'd command.
        this.fail(token, `unknown command ${token.written}`);
      }
      this.next();
      scope.calls.push({ proc: token.text, at: token, written: token.written });
      return { kind: 'call', proc: token.text, at: token };
    }
    this.next();
    switch (token.text) {
      case 'transmit': {
        const value = this.parseExpression();
        this.checkType(value, 'string', 'transmit');
        let raw = false;
        if (this.isOp(',') && this.onSameLine()) {
          this.next();
          this.expectWord('raw', 'after transmit …,');
          raw = true;
        }
        return { kind: 'transmit', value, raw, at: token };
      }
      case 'waitfor':
        return this.parseWaitfor(token);
      case 'delay': {
        const seconds = this.parseExpression();
        this.checkType(seconds, 'integer', 'delay');
        return { kind: 'delay', seconds, at: token };
      }
      case 'getip':
        return { kind: 'getip', index: this.optionalIndex(token), at: token };
      case 'goto': {
        const label = this.expectName('label');
        scope.gotos.push({ label: label.text, at: label, written: label.written });
        return { kind: 'goto', label: label.text, at: token };
      }
      case 'halt':
        return { kind: 'halt', at: token };
      case 'set':
        return this.parseSet(token);
      case 'if':
        return this.nested(token, () => {
          const condition = this.parseExpression();
          this.checkType(condition, 'boolean', 'the if condition');
          this.expectWord('then', 'after the if condition');
          const then = this.parseBlock(['else', 'endif'], `the if at line ${token.line}`);
          let otherwise: ScpStatement[] = [];
          if (this.isWord('else')) {
            this.next();
            otherwise = this.parseBlock(['endif'], `the else of the if at line ${token.line}`);
          }
          this.expectWord('endif', 'to close the if');
          return { kind: 'if', condition, then, otherwise, at: token };
        });
      case 'while':
        return this.nested(token, () => {
          const condition = this.parseExpression();
          this.checkType(condition, 'boolean', 'the while condition');
          this.expectWord('do', 'after the while condition');
          const body = this.parseBlock(['endwhile'], `the while at line ${token.line}`);
          this.expectWord('endwhile', 'to close the while');
          return { kind: 'while', condition, body, at: token };
        });
      default:
        this.fail(token, `expected a command, found ${describe(token)}`);
    }
  }

  private parseWaitfor(token: Token): ScpStatement {
    const branches: WaitforBranch[] = [];
    const scope = this.scope as Scope;
    for (;;) {
      const text = this.parseExpression();
      this.checkType(text, 'string', 'waitfor');
      let matchcase = false;
      if (this.isOp(',') && this.onSameLine() && this.isWord('matchcase', this.peek(1))) {
        this.next();
        this.next();
        matchcase = true;
      }
      let label: string | undefined;
      if (this.isWord('then') && this.onSameLine()) {
        this.next();
        const name = this.expectName('label');
        scope.gotos.push({ label: name.text, at: name, written: name.written });
        label = name.text;
      } else if (branches.length > 0) {
        this.fail(
          text.at,
          `waitfor's string ${branches.length + 1} needs then LABEL, as the first has`,
        );
      }
      branches.push({ text, matchcase, label });
      if (label !== undefined && this.isOp(',') && this.onSameLine()) {
        this.next();
        continue;
      }
      break;
    }
    let until: ScpExpr | undefined;
    if (this.isWord('until') && this.onSameLine()) {
      this.next();
      until = this.parseExpression();
      this.checkType(until, 'integer', 'until');
    }
    return { kind: 'waitfor', branches, until, at: token };
  }

  private parseSet(token: Token): ScpStatement {
    const what = this.peek();
    if (this.isWord('ipaddr', what) || this.isWord('screen', what) || this.isWord('port', what))
      this.next();
    if (this.isWord('ipaddr', what)) {
      const value = this.parseExpression();
      this.checkType(value, 'string', 'set ipaddr');
      return { kind: 'set-ipaddr', value, at: token };
    }
    if (this.isWord('screen', what)) {
      this.expectWord('keyboard', 'after set screen');
      const state = this.peek();
      if (!this.isWord('on', state) && !this.isWord('off', state)) {
        this.fail(state, `expected on or off after set screen keyboard, found ${describe(state)}`);
      }
      this.next();
      return { kind: 'set-keyboard', on: state.text === 'on', at: token };
    }
    if (this.isWord('port', what)) {
      const setting = this.peek();
      if (['parity', 'databits', 'stopbits'].includes(setting.text)) this.next();
      if (this.isWord('parity', setting)) {
        const parity = this.peek();
        if (parity.kind !== 'word' || !PARITIES.includes(parity.text as ParityName)) {
          this.fail(
            parity,
            `expected none, odd, even, mark or space after set port parity, found ${describe(parity)}`,
          );
        }
        this.next();
        return { kind: 'set-parity', parity: parity.text as ParityName, at: token };
      }
      if (this.isWord('databits', setting) || this.isWord('stopbits', setting)) {
        const value = this.parseExpression();
        this.checkType(value, 'integer', `set port ${setting.text}`);
        const allowed = setting.text === 'databits' ? [5, 6, 7, 8] : [1, 2];
        if (value.kind === 'literal' && !allowed.includes(value.value as number)) {
          this.fail(
            value.at,
            `set port ${setting.text} takes ${allowed.join(', ')}, not ${String(value.value)}`,
          );
        }
        return {
          kind: 'set-port',
          setting: setting.text as 'databits' | 'stopbits',
          value,
          at: token,
        };
      }
      this.fail(
        setting,
        `expected databits, parity or stopbits after set port, found ${describe(setting)}`,
      );
    }
    this.fail(what, `expected ipaddr, port or screen after set, found ${describe(what)}`);
  }

  /** getip's optional index: an expression on the same line. */
}
