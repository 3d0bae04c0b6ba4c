/** Flag readers shared by commands: each turns a bad value into one `UsageError` line. */
import { UsageError } from './command.js';

export function required(flag: string, value: string | boolean | undefined): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`missing ${flag}`);
  return value;
}

export function integer(
  flag: string,
  value: string | boolean | undefined,
  min: number,
  max: number,
): number {
  const text = required(flag, value);
  const number = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= min && number <= max)) {
    throw new UsageError(
      `${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return number;
}
