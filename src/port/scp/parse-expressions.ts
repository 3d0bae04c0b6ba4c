import type { At, BinaryOp, ScpExpr, ScpType } from './ast.js';
import { SCP_RESERVED, type ScpSyntaxError, type Token } from './lexer.js';

/** The read-only system variables (SCRIPT.TXT §3.1) and their types. */
export const SCP_SYSTEM_VARIABLES: ReadonlyMap<string, ScpType> = new Map([
  ['$userid', 'string'],
  ['$password', 'string'],
  ['$success', 'boolean'],
  ['$failure', 'boolean'],
]);

/** Bounds that keep a hostile script from exhausting the parser. */
export const SCP_LIMITS = {
  /** Characters of source. */
  source: 1 << 20,
  /** Nesting of parentheses and unary operators, and of if/while blocks. */
  depth: 64,
  /** Errors reported before the parser stops looking. */
  errors: 100,
} as const;

/** Thrown inside the parser to abandon one statement; never escapes `parseScp`. */
export class Abandon extends Error {
  constructor(readonly error: ScpSyntaxError) {
    super(error.message);
  }
}

/** Stops the whole parse once SCP_LIMITS.errors are reported. */
export class TooManyErrors extends Error {}

/** Binary operators from loosest to tightest (SCRIPT.TXT §5.0; unary - and ! bind tightest). */
const PRECEDENCE: readonly (readonly BinaryOp[])[] = [
  ['or'],
  ['and'],
  ['==', '!='],
  ['<', '>', '<=', '>='],
  ['+', '-'],
  ['*', '/'],
];

export interface Scope {
  readonly variables: Map<string, ScpType>;
  readonly labels: Map<string, At>;
  readonly gotos: { label: string; at: At; written: string }[];
  readonly calls: { proc: string; at: At; written: string }[];
}

/**
 * The token cursor, error reporting and typed expressions of the `.scp`
 * parser; `Parser` (parser.ts) adds procedures and statements.
 */
export class ExpressionParser {
  protected position = 0;
  readonly errors: ScpSyntaxError[];
  protected scope: Scope | undefined;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    lexErrors: readonly ScpSyntaxError[],
  ) {
    this.errors = [...lexErrors];
  }

  // ---- tokens ----

  protected peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)] as Token;
  }

  protected next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.position++;
    return token;
  }

  protected isWord(word: string, token = this.peek()): boolean {
    return token.kind === 'word' && token.text === word;
  }

  protected isOp(op: string, token = this.peek()): boolean {
    return token.kind === 'op' && token.text === op;
  }

  protected fail(at: At, message: string): never {
    throw new Abandon({ line: at.line, column: at.column, message });
  }

  protected report(at: At, message: string): void {
    this.errors.push({ line: at.line, column: at.column, message });
    if (this.errors.length >= SCP_LIMITS.errors) throw new TooManyErrors();
  }

  protected expectWord(word: string, context: string): Token {
    const token = this.peek();
    if (!this.isWord(word, token))
      this.fail(token, `expected ${word} ${context}, found ${describe(token)}`);
    return this.next();
  }

  protected expectOp(op: string, context: string): Token {
    const token = this.peek();
    if (!this.isOp(op, token))
      this.fail(token, `expected ${op} ${context}, found ${describe(token)}`);
    return this.next();
  }

  /** Optional parts of a command (`= value`, `, raw`, `then`, `until`) stay on its line. */
  protected onSameLine(): boolean {
    return !this.peek().startsLine;
  }

  /** A name for a variable, label or procedure: a word that is not reserved. */
  protected expectName(what: string): Token {
    const token = this.peek();
    if (token.kind !== 'word') this.fail(token, `expected ${what}, found ${describe(token)}`);
    if (SCP_RESERVED.has(token.text)) {
      this.fail(token, `${token.written} is a reserved word and cannot name a ${what}`);
    }
    return this.next();
  }

  /** Skips to the first token of the next line (always moving on). */
  protected skipLine(): void {
    this.next();
    while (this.peek().kind !== 'eof' && !this.peek().startsLine) this.next();
  }

  protected nested<T>(at: At, parse: () => T): T {
    if (this.depth >= SCP_LIMITS.depth)
      this.fail(at, `blocks nested deeper than ${SCP_LIMITS.depth}`);
    this.depth++;
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  protected optionalIndex(token: Token): ScpExpr | undefined {
    const following = this.peek();
    if (following.line !== token.line || !startsExpression(following)) return undefined;
    const index = this.parseExpression();
    this.checkType(index, 'integer', 'getip');
    return index;
  }

  // ---- expressions ----

  protected checkType(expr: ScpExpr, type: ScpType, where: string): void {
    if (expr.type !== type)
      this.fail(expr.at, `${where} needs ${article(type)}, not ${article(expr.type)}`);
  }

  protected parseExpression(level = 0): ScpExpr {
    if (level >= PRECEDENCE.length) return this.parseUnary();
    const ops = PRECEDENCE[level] as readonly BinaryOp[];
    let left = this.parseExpression(level + 1);
    for (;;) {
      const token = this.peek();
      const op = ops.find((candidate) =>
        candidate === 'and' || candidate === 'or'
          ? this.isWord(candidate, token)
          : this.isOp(candidate, token),
      );
      if (op === undefined) return left;
      this.next();
      const right = this.parseExpression(level + 1);
      left = {
        kind: 'binary',
        op,
        left,
        right,
        type: this.binaryType(op, left, right, token),
        at: left.at,
      };
    }
  }

  protected binaryType(op: BinaryOp, left: ScpExpr, right: ScpExpr, at: At): ScpType {
    const both = (type: ScpType) => left.type === type && right.type === type;
    switch (op) {
      case '+':
        if (both('integer') || both('string')) return left.type;
        break;
      case '-':
      case '*':
      case '/':
        if (both('integer')) return 'integer';
        break;
      case '<':
      case '>':
      case '<=':
      case '>=':
        if (both('integer')) return 'boolean';
        break;
      case '==':
      case '!=':
        if (left.type === right.type) return 'boolean';
        break;
      case 'and':
      case 'or':
        if (both('boolean')) return 'boolean';
        break;
    }
    this.fail(at, `${op} cannot take ${article(left.type)} and ${article(right.type)}`);
  }

  protected parseUnary(): ScpExpr {
    const token = this.peek();
    if (this.isOp('-') || this.isOp('!')) {
      return this.nested(token, () => {
        this.next();
        const operand = this.parseUnary();
        const op = token.text as '-' | '!';
        const type: ScpType = op === '-' ? 'integer' : 'boolean';
        this.checkType(operand, type, `unary ${op}`);
        return { kind: 'unary', op, operand, type, at: token };
      });
    }
    return this.parsePrimary();
  }

  protected parsePrimary(): ScpExpr {
    // Consumed only once it is a value: a failure leaves the next line's command in place.
    const token = this.peek();
    if (startsExpression(token) && !this.isOp('-') && !this.isOp('!')) this.next();
    switch (token.kind) {
      case 'integer':
        return { kind: 'literal', type: 'integer', value: token.value ?? 0, at: token };
      case 'string':
        return { kind: 'literal', type: 'string', value: token.text, at: token };
      case 'system': {
        const type = SCP_SYSTEM_VARIABLES.get(token.text);
        if (type === undefined) this.fail(token, `unknown system variable ${token.written}`);
        return { kind: 'variable', name: token.text, type, at: token };
      }
      case 'op':
        if (token.text === '(') {
          return this.nested(token, () => {
            const inner = this.parseExpression();
            this.expectOp(')', `to close the ( at ${token.line}:${token.column}`);
            return inner;
          });
        }
        break;
      case 'word': {
        if (token.text === 'true' || token.text === 'false') {
          return { kind: 'literal', type: 'boolean', value: token.text === 'true', at: token };
        }
        if (token.text === 'getip') {
          return { kind: 'getip', type: 'string', index: this.optionalIndex(token), at: token };
        }
        if (SCP_RESERVED.has(token.text)) break;
        const type = this.scope?.variables.get(token.text);
        if (type === undefined) this.fail(token, `variable ${token.written} is not declared`);
        return { kind: 'variable', name: token.text, type, at: token };
      }
      default:
        break;
    }
    this.fail(token, `expected a value, found ${describe(token)}`);
  }
}

export function startsExpression(token: Token): boolean {
  if (token.kind === 'integer' || token.kind === 'string' || token.kind === 'system') return true;
  if (token.kind === 'op') return ['(', '-', '!'].includes(token.text);
  return (
    token.kind === 'word' &&
    (!SCP_RESERVED.has(token.text) || ['true', 'false', 'getip'].includes(token.text))
  );
}

export function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'the end of the script';
    case 'string':
      return `the string ${token.written}`;
    default:
      return JSON.stringify(token.written);
  }
}

export const article = (type: ScpType) => (type === 'integer' ? 'an integer' : `a ${type}`);
