/**
 * The Windows Dial-Up Scripting Command Language (`.scp`, SCRIPT.TXT 1995)
 * on a netrx `Port`: `parseScp` checks a script (syntax, types, labels,
 * procedures) and reports every problem with its line and column without
 * throwing; `runScp` runs the program with the same port and matching
 * machinery as the chat engine (incremental literal matchers, `unread`, an
 * injected clock); `scpCustomScript` makes it the body of
 * `RasCustomScriptExecute`.
 */
export { parseScp, SCP_LIMITS, SCP_SYSTEM_VARIABLES, type ScpParseResult } from './parser.js';
export { SCP_RESERVED, type ScpSyntaxError } from './lexer.js';
export { translateScp } from './strings.js';
export { runScp, SCP_RUN_LIMITS, type ScpOptions, type ScpResult } from './interpreter.js';
export { scpCustomScript } from './custom.js';
export type { ScpExpr, ScpProc, ScpProgram, ScpStatement, ScpType, WaitforBranch } from './ast.js';
