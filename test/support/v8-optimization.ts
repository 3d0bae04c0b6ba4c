/**
 * V8 optimisation status for regression tests that must not be timing tests:
 * "is this function still optimised after a full GC?". Uses V8's natives
 * syntax (`%GetOptimizationStatus`), enabled at run time with
 * `v8.setFlagsFromString`, and the `gc` function `--expose-gc` would give,
 * taken from a fresh context. The natives are compiled by `vm` after the
 * flag is set (TypeScript cannot spell them).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext, runInThisContext } from 'node:vm';

setFlagsFromString('--allow-natives-syntax');
setFlagsFromString('--expose-gc');

type Natives = (f: unknown) => number;
const natives = (body: string) => runInThisContext(`(function (f) { ${body} })`) as Natives;
const status = natives('return %GetOptimizationStatus(f);');
const prepare = natives('%PrepareFunctionForOptimization(f);');
const optimizeNext = natives('%OptimizeFunctionOnNextCall(f);');

/** A full, non-incremental garbage collection. */
export const fullGc = runInNewContext('gc') as () => void;

/** V8's OptimizationStatus bit for "has optimized code attached" (src/runtime/runtime.h). */
const OPTIMIZED = 1 << 4;

export function isOptimized(f: (...args: never[]) => unknown): boolean {
  return (status(f) & OPTIMIZED) !== 0;
}

/**
 * Optimises `f` with TurboFan, synchronously: `call` (which must call `f`)
 * runs `warmUp` times for type feedback, then once more after
 * `%OptimizeFunctionOnNextCall`.
 */
export function optimize(f: (...args: never[]) => unknown, call: () => void, warmUp = 100): void {
  prepare(f);
  for (let i = 0; i < warmUp; i++) call();
  optimizeNext(f);
  call();
}

/** The raw OptimizationStatus bits, for failure messages. */
export function optimizationStatus(f: (...args: never[]) => unknown): string {
  return status(f).toString(2);
}
