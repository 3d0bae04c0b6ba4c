/**
 * CPU time per item (process.cpuUsage: user + system, this process only) of
 * several runs, interleaved round by round, medians: on a machine other
 * jobs load, wall-clock rates measure the neighbours too, CPU time much
 * less, and interleaving spreads what is left over every run alike.
 */
export function cpuPerItemInterleaved(
  runs: readonly ((n: number) => void)[],
  n: number,
  options: { readonly rounds: number; readonly warmUp: number },
): number[] {
  const sample = (run: (n: number) => void): number => {
    globalThis.gc?.();
    const before = process.cpuUsage();
    run(n);
    const used = process.cpuUsage(before);
    return ((used.user + used.system) * 1000) / n; // µs → ns per item
  };
  for (const run of runs) run(options.warmUp); // the JIT
  const samples = runs.map((): number[] => []);
  for (let round = 0; round < options.rounds; round++)
    runs.forEach((run, i) => samples[i]?.push(sample(run)));
  return samples.map((v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] ?? 0);
}
