/** The parsed form of a `.scp` script: procedures of typed declarations and statements. */

export type ScpType = 'integer' | 'string' | 'boolean';

/** Where a node starts in the source (1-based). */
export interface At {
  readonly line: number;
  readonly column: number;
}

export type BinaryOp = '*' | '/' | '+' | '-' | '<' | '>' | '<=' | '>=' | '==' | '!=' | 'and' | 'or';

export type ScpExpr =
  | {
      readonly kind: 'literal';
      readonly type: ScpType;
      readonly value: number | string | boolean;
      readonly at: At;
    }
  | { readonly kind: 'variable'; readonly type: ScpType; readonly name: string; readonly at: At }
  | {
      readonly kind: 'unary';
      readonly type: ScpType;
      readonly op: '-' | '!';
      readonly operand: ScpExpr;
      readonly at: At;
    }
  | {
      readonly kind: 'binary';
      readonly type: ScpType;
      readonly op: BinaryOp;
      readonly left: ScpExpr;
      readonly right: ScpExpr;
      readonly at: At;
    }
  | {
      readonly kind: 'getip';
      readonly type: 'string';
      readonly index: ScpExpr | undefined;
      readonly at: At;
    };

export interface WaitforBranch {
  readonly text: ScpExpr;
  readonly matchcase: boolean;
  /** The label a match jumps to (the `then` form); undefined in the plain form. */
  readonly label: string | undefined;
}

export type PortSetting = 'databits' | 'parity' | 'stopbits';
export type ParityName = 'none' | 'odd' | 'even' | 'mark' | 'space';

export type ScpStatement =
  | { readonly kind: 'assign'; readonly name: string; readonly value: ScpExpr; readonly at: At }
  | { readonly kind: 'label'; readonly name: string; readonly at: At }
  | { readonly kind: 'goto'; readonly label: string; readonly at: At }
  | { readonly kind: 'transmit'; readonly value: ScpExpr; readonly raw: boolean; readonly at: At }
  | {
      readonly kind: 'waitfor';
      readonly branches: readonly WaitforBranch[];
      readonly until: ScpExpr | undefined;
      readonly at: At;
    }
  | { readonly kind: 'delay'; readonly seconds: ScpExpr; readonly at: At }
  | { readonly kind: 'getip'; readonly index: ScpExpr | undefined; readonly at: At }
  | { readonly kind: 'set-ipaddr'; readonly value: ScpExpr; readonly at: At }
  | {
      readonly kind: 'set-port';
      readonly setting: 'databits' | 'stopbits';
      readonly value: ScpExpr;
      readonly at: At;
    }
  | { readonly kind: 'set-parity'; readonly parity: ParityName; readonly at: At }
  | { readonly kind: 'set-keyboard'; readonly on: boolean; readonly at: At }
  | {
      readonly kind: 'if';
      readonly condition: ScpExpr;
      readonly then: readonly ScpStatement[];
      readonly otherwise: readonly ScpStatement[];
      readonly at: At;
    }
  | {
      readonly kind: 'while';
      readonly condition: ScpExpr;
      readonly body: readonly ScpStatement[];
      readonly at: At;
    }
  | { readonly kind: 'halt'; readonly at: At }
  | { readonly kind: 'call'; readonly proc: string; readonly at: At };

export interface ScpDeclaration {
  readonly name: string;
  readonly type: ScpType;
  readonly init: ScpExpr | undefined;
  readonly at: At;
}

export interface ScpProc {
  /** Lower case: names are case-insensitive. */
  readonly name: string;
  readonly declarations: readonly ScpDeclaration[];
  readonly body: readonly ScpStatement[];
  readonly at: At;
}

export interface ScpProgram {
  readonly source: string;
  readonly procs: ReadonlyMap<string, ScpProc>;
  readonly main: ScpProc;
}
