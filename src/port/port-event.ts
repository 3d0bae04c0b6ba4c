/**
 * The `hEvent` of `RasReceiveBuffer`: a manual-reset event the port signals
 * when a posted receive completes (data, timeout or disconnect). `wait()` is
 * the idiomatic form of `WaitForSingleObject`; `isSet` can be polled.
 * `receiveBuffer` resets the event it is given before posting.
 */
export class PortEvent {
  private signaled = false;
  private waiters: (() => void)[] = [];

  get isSet(): boolean {
    return this.signaled;
  }

  set(): void {
    if (this.signaled) return;
    this.signaled = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  reset(): void {
    this.signaled = false;
  }

  /** Resolves once the event is set (at once if it already is). */
  wait(): Promise<void> {
    if (this.signaled) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
