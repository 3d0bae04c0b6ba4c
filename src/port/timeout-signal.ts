/**
 * The few members of `AbortSignal` that `Receiver` uses, so a core can cancel a
 * receive on its own timer without `AbortController` (not a core global).
 */
import type { AbortSignalLike } from '../runtime/index.js';
export class TimeoutSignal {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = 'timeout';
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }

  asSignal(): AbortSignalLike {
    return this;
  }
}
