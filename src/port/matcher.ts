/**
 * Incremental literal matching: each `LiteralMatcher` is a Knuth-Morris-Pratt
 * automaton over bytes, fed one byte at a time, that says when the bytes fed
 * so far end with its pattern. Work is O(1) amortised per byte and memory is
 * the pattern plus its failure table: no window is kept and nothing is ever
 * rescanned, so a pattern split across any chunking is found, and a flood of
 * unmatched input costs no memory.
 */
export class LiteralMatcher {
  readonly pattern: Uint8Array;
  private readonly failure: Uint16Array | Uint32Array;
  private state = 0;

  constructor(pattern: Uint8Array) {
    this.pattern = pattern;
    const m = pattern.length;
    this.failure = m < 0xffff ? new Uint16Array(m) : new Uint32Array(m);
    let k = 0;
    for (let i = 1; i < m; i++) {
      const byte = pattern[i] as number;
      while (k > 0 && pattern[k] !== byte) k = this.failure[k - 1] as number;
      if (pattern[k] === byte) k++;
      this.failure[i] = k;
    }
  }

  /** Forgets the bytes fed so far. */
  reset(): void {
    this.state = 0;
  }

  /**
   * Feeds one byte; true when the input now ends with the pattern (an empty
   * pattern is always matched). Later matches may overlap earlier ones.
   */
  step(byte: number): boolean {
    const pattern = this.pattern;
    const m = pattern.length;
    if (m === 0) return true;
    let k = this.state;
    while (k > 0 && pattern[k] !== byte) k = this.failure[k - 1] as number;
    if (pattern[k] === byte) k++;
    if (k === m) {
      this.state = this.failure[m - 1] as number;
      return true;
    }
    this.state = k;
    return false;
  }
}

/**
 * Several literals at once, first in the stream wins; two that complete on
 * the same byte go to the one listed first.
 */
export class MultiMatcher {
  private readonly matchers: LiteralMatcher[];

  constructor(patterns: readonly Uint8Array[]) {
    this.matchers = patterns.map((pattern) => new LiteralMatcher(pattern));
  }

  reset(): void {
    for (const matcher of this.matchers) matcher.reset();
  }

  /**
   * Feeds `chunk`; returns the first hit as the pattern's index and the offset
   * just past its last byte in `chunk`, or undefined. After a hit the bytes
   * from `end` on have not been fed: feed them again (or keep them) as needed.
   */
  feed(chunk: Uint8Array): { readonly index: number; readonly end: number } | undefined {
    const matchers = this.matchers;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      let hit = -1;
      for (let p = 0; p < matchers.length; p++) {
        if ((matchers[p] as LiteralMatcher).step(byte) && hit < 0) hit = p;
      }
      if (hit >= 0) return { index: hit, end: i + 1 };
    }
    return undefined;
  }
}
