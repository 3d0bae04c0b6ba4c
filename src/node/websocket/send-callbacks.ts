/**
 * The callbacks of a connection's sends, run in the order the sends were
 * made.
 *
 * A send's outcome can be known at once (refused over `maxBackpressure`,
 * or the connection is closing) or only later (the socket took the bytes,
 * or the send was cancelled when the connection closed). Each callback
 * waits until every earlier send's callback ran, so a refused send's
 * error never overtakes an earlier send still being written (review of
 * issue 8: ws calls a refused send's callback on the next tick, ahead of
 * earlier sends still in the socket).
 */
import type { SendCallback } from './ready-state.js';

interface PendingSend {
  readonly callback: SendCallback;
  settled: boolean;
  error: Error | undefined;
}

export class SendCallbacks {
  /** By send id; a Map iterates in insertion order, which is send order. */
  private readonly pending = new Map<number, PendingSend>();
  private nextId = 1;
  /** A `process.nextTick` run is scheduled. */
  private runScheduled = false;

  /** Registers a send's callback; the id is the send's context. */
  add(callback: SendCallback): number {
    const id = this.nextId++;
    this.pending.set(id, { callback, settled: false, error: undefined });
    return id;
  }

  /**
   * Registers the callback of a send whose outcome is known now; it runs
   * (never synchronously) once every earlier callback ran.
   */
  addSettled(callback: SendCallback, error: Error | undefined): void {
    this.settle(this.add(callback), error, false);
    this.runLater();
  }

  /** The send `id` finished (`error` undefined: sent); runs what is due now. */
  complete(id: number, error: Error | undefined): void {
    this.settle(id, error, true);
  }

  /**
   * The send `id` did not go out after all: with `error` its callback gets
   * it later, in order; without, the callback is forgotten (the caller got
   * an exception instead).
   */
  fail(id: number, error: Error | undefined): void {
    if (error === undefined) this.pending.delete(id);
    else this.settle(id, error, false);
    this.runLater();
  }

  /** The connection is gone: every unsettled send failed with `error` (callbacks run later). */
  failAll(error: Error): void {
    for (const send of this.pending.values()) {
      if (!send.settled) {
        send.settled = true;
        send.error = error;
      }
    }
    this.runLater();
  }

  private settle(id: number, error: Error | undefined, runNow: boolean): void {
    const send = this.pending.get(id);
    if (send === undefined || send.settled) return;
    send.settled = true;
    send.error = error;
    if (runNow) this.run();
  }

  private runLater(): void {
    if (this.runScheduled) return;
    this.runScheduled = true;
    process.nextTick(() => {
      this.runScheduled = false;
      this.run();
    });
  }

  /** Runs settled callbacks from the oldest until one is still pending. */
  private run(): void {
    for (const [id, send] of this.pending) {
      if (!send.settled) return;
      this.pending.delete(id);
      if (send.error === undefined) send.callback();
      else send.callback(send.error);
    }
  }
}
