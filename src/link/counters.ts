/**
 * A count per reason, every reason present and zero, derived from the list
 * of reasons so a reason added to the list cannot be missing from the table
 * (the adapter's drop tables; bindings may use it for theirs).
 */
export function countsByReason<R extends string>(reasons: readonly R[]): Record<R, number> {
  const counts = {} as Record<R, number>;
  for (const reason of reasons) counts[reason] = 0;
  return counts;
}
