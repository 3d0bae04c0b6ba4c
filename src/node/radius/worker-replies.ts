/**
 * Questions a RADIUS worker pool (worker-pool.ts) asks its workers and
 * waits for, by number: each is answered once, or given up after its
 * timeout (a worker that is stuck or gone must not hold the caller).
 */
export class WorkerReplies<T> {
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: T) => void>();

  /**
   * Posts a question under a fresh id (`post`); resolves with `answered` of
   * the answer, or with `timedOut()` after `timeoutMs`. `answered` runs
   * as the answer arrives, before any later message of that worker.
   */
  ask<R>(
    post: (id: number) => void,
    timeoutMs: number,
    answered: (answer: T) => R,
    timedOut: () => R,
  ): Promise<R> {
    return new Promise<R>((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(timedOut());
      }, timeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answered(answer));
      });
      post(id);
    });
  }

  /** A worker's answer to question `id` (ignored once given up). */
  answer(id: number, answer: T): void {
    this.waiting.get(id)?.(answer);
    this.waiting.delete(id);
  }
}
