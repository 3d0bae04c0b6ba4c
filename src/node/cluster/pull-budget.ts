/**
 * A reader's bytes in flight, shared by all its hosts (review16c N12).
 *
 * Each claimed host's consumer asks for at most PULL_WINDOW_BYTES ahead
 * (1 MiB, pull-pipeline.ts), so without a shared bound a glob reader's
 * client memory grew as hosts × the window, unbounded in the number of
 * hosts the glob claims. With it, a reader's bytes in flight are at most
 * min(hosts × PULL_WINDOW_BYTES, budget): 3 MiB at 3 hosts, 8 MiB (the
 * default budget) from 8 hosts on, 32 hosts getting 2 requests each. Here every pull request takes its bytes from the reader's
 * budget before it goes out and gives them back as messages arrive (or
 * as the server ends the request with bytes unused), so what the server
 * may still send the reader, across every host, never exceeds
 * `totalBytes`; and what waits in the pull window is part of what was
 * asked, since the window asks for nothing more while anything waits.
 *
 * Fair: a request that does not fit waits in a first-come queue, and one
 * freed byte goes to the head of the queue, never to a later asker; so a
 * busy host whose request drains and asks again queues behind the hosts
 * already waiting, and every host with a request queued gets one in turn.
 * A request waits at the server until messages fill it or its `expires`:
 * one sent while the budget is scarce (`scarce`: nothing left after it, or
 * others waiting) expires after SCARCE_EXPIRES_MS (pull-pipeline.ts), so a
 * host with nothing to send gives its bytes back within that.
 *
 * No I/O, no clock: the pipelines drive it.
 */

import { PULLS_IN_FLIGHT } from './pull-pipeline.js';
import { PULL_WINDOW_BYTES } from './pull-window.js';

/** A reader's default bound: 64 requests of 128 KiB, e.g. 8 hosts at a full window, or 32 at two each. */
export const READER_PULL_BYTES = 8 * 1024 * 1024;

/** The least `pullBudgetBytes`: one default pull request (128 KiB). */
export const MIN_READER_PULL_BYTES = Math.floor(PULL_WINDOW_BYTES / PULLS_IN_FLIGHT);

/** A reader's budget (`pullBudgetBytes`), checked to hold at least one default request. */
export function readerPullBudget(bytes: number = READER_PULL_BYTES): PullBudget {
  const request = MIN_READER_PULL_BYTES;
  if (!Number.isSafeInteger(bytes) || bytes < request) {
    throw new RangeError(`pullBudgetBytes must be an integer of at least ${request}: got ${bytes}`);
  }
  return new PullBudget(bytes);
}

/** Called once the bytes asked for are reserved for the waiter. */
export type Granted = () => void;

export class PullBudget {
  readonly totalBytes: number;
  private free: number;
  private readonly waiting: { readonly bytes: number; readonly granted: Granted }[] = [];
  private granting = false;

  constructor(totalBytes: number = READER_PULL_BYTES) {
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 1) {
      throw new RangeError(
        `the pull budget must be a positive integer of bytes: got ${totalBytes}`,
      );
    }
    this.totalBytes = totalBytes;
    this.free = totalBytes;
  }

  /** Bytes taken and not given back (what the server may still send, at most). */
  get outstanding(): number {
    return this.totalBytes - this.free;
  }

  /**
   * True when a request of `bytes` would find none left after it, or others
   * wait: a request sent now should not wait long at the server for
   * messages (an idle host would hold bytes a busy one waits for).
   */
  scarce(bytes: number): boolean {
    return this.waiting.length > 0 || this.free < bytes;
  }

  /** Requests queued for bytes. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Takes `bytes` now when they are free and nobody waits before; else
   * queues `granted`, called once they are reserved, and returns false.
   */
  take(bytes: number, granted: Granted): boolean {
    if (bytes > this.totalBytes) {
      throw new RangeError(
        `a request of ${bytes} bytes exceeds the pull budget ${this.totalBytes}`,
      );
    }
    if (this.waiting.length === 0 && bytes <= this.free) {
      this.free -= bytes;
      return true;
    }
    this.waiting.push({ bytes, granted });
    return false;
  }

  /** Bytes back (received, or unused at a request's end): they go to the waiters in turn. */
  give(bytes: number): void {
    if (bytes <= 0) return;
    this.free = Math.min(this.totalBytes, this.free + bytes);
    this.grant();
  }

  /** Withdraws a queued request (its pipeline stopped or closed its gate); false if not queued. */
  cancel(granted: Granted): boolean {
    const at = this.waiting.findIndex((w) => w.granted === granted);
    if (at < 0) return false;
    this.waiting.splice(at, 1);
    // It may have been the head that kept smaller requests behind it waiting.
    this.grant();
    return true;
  }

  /** Reserves bytes for the waiters, first come first, while the head fits. */
  private grant(): void {
    // A waiter's `granted` may give bytes back or ask again: the outer loop goes on.
    if (this.granting) return;
    this.granting = true;
    try {
      for (;;) {
        const head = this.waiting[0];
        if (head === undefined || head.bytes > this.free) break;
        this.waiting.shift();
        this.free -= head.bytes;
        head.granted();
      }
    } finally {
      this.granting = false;
    }
  }
}
