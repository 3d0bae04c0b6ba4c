import type { Clock } from '../runtime/index.js';

/**
 * Many ports at once: the scheduler behind `netrx chat --port A --port B …`
 * and `--ports FILE`. It runs one task per item with at most `concurrency`
 * in flight, never lets one task's failure stop the others (a task that
 * throws is an outcome like any other), and hands the outcomes back in the
 * order of the input — to `onOutcome` as soon as every earlier item has
 * finished, so a caller can print results while later ports still run, and
 * as the resolved array. Durations come from the injected clock.
 */
export interface ManyOptions<T, R> {
  /** Tasks in flight at once (an integer ≥ 1). */
  readonly concurrency: number;
  readonly clock: Clock;
  /** Called once per item, in input order. */
  readonly onOutcome?: (outcome: ManyOutcome<T, R>) => void;
}

export type ManyOutcome<T, R> = {
  readonly item: T;
  /** The item's position in the input. */
  readonly index: number;
  /** Clock time from the task's start to its end. */
  readonly durationMs: number;
} & ({ readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown });

/** The default of `--concurrency`. */
export const DEFAULT_PORT_CONCURRENCY = 64;

export async function runMany<T, R>(
  items: readonly T[],
  task: (item: T, index: number) => Promise<R>,
  options: ManyOptions<T, R>,
): Promise<ManyOutcome<T, R>[]> {
  const { concurrency, clock, onOutcome } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer of at least 1, got ${concurrency}`);
  }
  const outcomes: (ManyOutcome<T, R> | undefined)[] = new Array<undefined>(items.length);
  let next = 0;
  let reported = 0;
  const report = () => {
    for (; reported < items.length; reported++) {
      const outcome = outcomes[reported];
      if (outcome === undefined) return;
      onOutcome?.(outcome);
    }
  };
  const one = async (index: number): Promise<void> => {
    const item = items[index] as T;
    const startedAt = clock.now();
    let outcome: ManyOutcome<T, R>;
    try {
      const value = await task(item, index);
      outcome = { item, index, durationMs: clock.now() - startedAt, ok: true, value };
    } catch (error) {
      outcome = { item, index, durationMs: clock.now() - startedAt, ok: false, error };
    }
    outcomes[index] = outcome;
    report();
  };
  const worker = async (): Promise<void> => {
    while (next < items.length) await one(next++);
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(concurrency, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  return outcomes as ManyOutcome<T, R>[];
}

/**
 * The exit code of a run over many ports: the worst one's, where worst is
 * the highest (chat: 0 done < 1 bad script < 2 I/O < 3 timeout < 4 + n
 * ABORT n; `netrx scp`: 0 done < 1 failed < 2 unopened < 3 halt). 0 for no
 * ports.
 */
export function worstExitCode(codes: Iterable<number>): number {
  let worst = 0;
  for (const code of codes) if (code > worst) worst = code;
  return worst;
}
