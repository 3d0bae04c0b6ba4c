import type { At, ScpExpr, ScpProc, ScpStatement } from './ast.js';

/**
 * A procedure flattened to instructions with jumps, so `goto` may leave (or
 * enter) an `if` or `while` block exactly as a label-based interpreter would.
 */
export type Instruction =
  | { readonly op: 'do'; readonly statement: ScpStatement }
  | { readonly op: 'jump'; target: number; readonly label?: string }
  | { readonly op: 'unless'; readonly condition: ScpExpr; target: number; readonly at: At }
  | {
      readonly op: 'waitfor';
      readonly statement: Extract<ScpStatement, { kind: 'waitfor' }>;
      readonly targets: (number | undefined)[];
    };

export interface CompiledProc {
  readonly proc: ScpProc;
  readonly code: readonly Instruction[];
}

export function compileProc(proc: ScpProc): CompiledProc {
  const code: Instruction[] = [];
  const labels = new Map<string, number>();
  const gotos: { instruction: { target: number }; label: string }[] = [];
  const waits: { instruction: Extract<Instruction, { op: 'waitfor' }> }[] = [];
  const emit = (statements: readonly ScpStatement[]) => {
    for (const statement of statements) {
      switch (statement.kind) {
        case 'label':
          labels.set(statement.name, code.length);
          break;
        case 'goto': {
          const instruction = { op: 'jump' as const, target: -1, label: statement.label };
          gotos.push({ instruction, label: statement.label });
          code.push(instruction);
          break;
        }
        case 'if': {
          const test = {
            op: 'unless' as const,
            condition: statement.condition,
            target: -1,
            at: statement.at,
          };
          code.push(test);
          emit(statement.then);
          if (statement.otherwise.length > 0) {
            const skip = { op: 'jump' as const, target: -1 };
            code.push(skip);
            test.target = code.length;
            emit(statement.otherwise);
            skip.target = code.length;
          } else test.target = code.length;
          break;
        }
        case 'while': {
          const top = code.length;
          const test = {
            op: 'unless' as const,
            condition: statement.condition,
            target: -1,
            at: statement.at,
          };
          code.push(test);
          emit(statement.body);
          code.push({ op: 'jump', target: top });
          test.target = code.length;
          break;
        }
        case 'waitfor': {
          const instruction = {
            op: 'waitfor' as const,
            statement,
            targets: [] as (number | undefined)[],
          };
          waits.push({ instruction });
          code.push(instruction);
          break;
        }
        default:
          code.push({ op: 'do', statement });
      }
    }
  };
  emit(proc.body);
  // The parser has checked every label exists; an unknown one (a hand-built
  // program) ends the procedure.
  for (const { instruction, label } of gotos) instruction.target = labels.get(label) ?? code.length;
  for (const { instruction } of waits) {
    for (const branch of instruction.statement.branches) {
      instruction.targets.push(
        branch.label === undefined ? undefined : (labels.get(branch.label) ?? code.length),
      );
    }
  }
  return { proc, code };
}
