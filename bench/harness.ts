/**
 * A tiny benchmark harness: each case runs ours and the anchor in the same
 * process, alternating, several rounds, and reports the median rate of each
 * and their ratio (ours / theirs; above 1 means netrx is faster), plus the
 * heap each side held at its peak. Numbers are for docs/performance.md; no
 * test ever fails on them.
 */
export interface Side {
  readonly name: string;
  /** Runs `iterations` operations. */
  readonly run: (iterations: number) => void | Promise<void>;
}

export interface CaseResult {
  readonly name: string;
  readonly ours: {
    readonly name: string;
    readonly opsPerSecond: number;
    readonly heapBytes: number;
  };
  readonly theirs: {
    readonly name: string;
    readonly opsPerSecond: number;
    readonly heapBytes: number;
  };
  readonly ratio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(side: Side, iterations: number): Promise<{ rate: number; heap: number }> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  await side.run(iterations);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const heap = Math.max(0, process.memoryUsage().heapUsed - heapBefore);
  return { rate: iterations / seconds, heap };
}

export async function compare(
  name: string,
  ours: Side,
  theirs: Side,
  iterations: number,
  rounds = 7,
): Promise<CaseResult> {
  await measure(ours, Math.ceil(iterations / 10));
  await measure(theirs, Math.ceil(iterations / 10));
  const a: number[] = [];
  const b: number[] = [];
  const ha: number[] = [];
  const hb: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const x = await measure(ours, iterations);
    const y = await measure(theirs, iterations);
    a.push(x.rate);
    b.push(y.rate);
    ha.push(x.heap);
    hb.push(y.heap);
  }
  const result: CaseResult = {
    name,
    ours: { name: ours.name, opsPerSecond: median(a), heapBytes: median(ha) },
    theirs: { name: theirs.name, opsPerSecond: median(b), heapBytes: median(hb) },
    ratio: median(a) / median(b),
  };
  report(result);
  return result;
}

function human(rate: number): string {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)} M/s` : `${(rate / 1e3).toFixed(1)} k/s`;
}

export function report(result: CaseResult): void {
  process.stdout.write(
    `${result.name.padEnd(44)} ours ${human(result.ours.opsPerSecond).padStart(11)}  ` +
      `${result.theirs.name} ${human(result.theirs.opsPerSecond).padStart(11)}  ` +
      `ratio ${result.ratio.toFixed(2)}x  heap ${(result.ours.heapBytes / 1024).toFixed(0)} KiB vs ${(
        result.theirs.heapBytes / 1024
      ).toFixed(0)} KiB\n`,
  );
}
