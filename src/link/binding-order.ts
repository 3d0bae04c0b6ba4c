/**
 * The adapter's bindings as a group: the lookahead the adapter indicates
 * (the largest any binding asked for, at most the MTU), the check on a
 * lookahead a binding asks for, and the optional reorder by decayed
 * acceptance rate (`reorderEvery`, `reorderDecay`; docs/link.md says what
 * it is worth).
 */
import type { Binding } from './binding.js';

export function checkLookahead(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > 65535) {
    throw new RangeError(`Lookahead must be an integer from 0 to 65535: got ${bytes}`);
  }
}

/** The largest lookahead any binding asked for, at most `mtu`. */
export function largestLookahead(bindings: readonly Binding[], mtu: number): number {
  let largest = 0;
  for (const binding of bindings) largest = Math.max(largest, binding.lookahead);
  return Math.min(largest, mtu);
}

/**
 * The bindings ordered by their acceptance rate, decayed: each period's rate
 * (accepted / indicated since the last reorder) is blended into the score
 * with weight 1 - `keep`, so the order follows recent traffic. Every
 * binding still sees every frame its filters pass; the order only decides
 * which sees it first (whose work, and replies, start first). Starts each
 * binding's next period. A new array: the adapter's is copy on write.
 */
export function reorderBindings(bindings: readonly Binding[], keep: number): Binding[] {
  for (const binding of bindings) {
    if (binding.periodIndicated > 0) {
      const rate = binding.periodAccepted / binding.periodIndicated;
      binding.acceptanceScore = binding.acceptanceScore * keep + rate * (1 - keep);
    }
    binding.periodIndicated = 0;
    binding.periodAccepted = 0;
  }
  // Array.prototype.sort is stable: ties keep the current order.
  return [...bindings].sort((a, b) => b.acceptanceScore - a.acceptanceScore);
}
