/**
 * Reading a limit from options: every bounded queue, table and cache in
 * netrx takes its bound this way, so a bad one fails the same way
 * everywhere (a RangeError naming the option) and a missing one takes the
 * documented default.
 */

/** `value`, or `fallback` when it is undefined; throws RangeError unless the result is an integer >= 1. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 1) {
    throw new RangeError(`${name} must be a positive integer: got ${result}`);
  }
  return result;
}
