/**
 * The reader's pull window (review16 R8): the stream, not the session's
 * queue, is where a slow client's events wait. A message's events go into
 * the session only while the queue has room (`SessionSink.fits`); the rest
 * of that message waits here, and the consumers pull nothing more until it
 * has gone in (`ready`), so unread events stay in the stream (bounded by
 * its limits, where refusals are counted) instead of being tail-dropped
 * and acked. Room comes back when a receive completes (`resume`).
 *
 * Memory: a host's consumer has at most PULL_WINDOW_BYTES asked for and not
 * yet received, and asks for nothing while the window is not ready
 * (pull-pipeline.ts; `consume` would pull ahead whatever the reader's
 * pace), so the waiting list holds at most that per claimed host; and all
 * hosts together at most the reader's `budget` (pull-budget.ts, review16c
 * N12: READER_PULL_BYTES unless the reader is given another).
 */

import { NET_EVENT_DATA_HEADER_LENGTH } from '../../wire/index.js';
import type { PullBudget } from './pull-budget.js';

/**
 * Bytes a host's consumer may hold fetched ahead of the reader (`max_bytes`
 * of its pulls): 1 MiB, in PULLS_IN_FLIGHT requests of 128 KiB. It was
 * 256 KiB (about 30 messages of 8 KiB per host on the way), which left a
 * reader that had caught up behind its publishers for longer (perf16c:
 * docs/performance.md). All hosts together stay within the reader's pull
 * budget (READER_PULL_BYTES, 8 MiB: 8 hosts at a full window; with more,
 * they share it).
 */
export const PULL_WINDOW_BYTES = 1024 * 1024;

/** Tells a consume loop when the reader takes messages again. */
export interface PullGate {
  /** True while the reader takes the next message. */
  ready(): boolean;
  /** Resolves once `ready` may be true again. */
  whenReady(): Promise<void>;
  /** The reader's bytes in flight, shared by its hosts' pulls (review16c N12). */
  readonly budget?: PullBudget | undefined;
}

/** A message part of whose events wait for room in the session's queue. */
export interface WaitingMessage<Entry> {
  readonly host: string;
  readonly data: Uint8Array;
  /** Offset of the next item to hand over. */
  at: number;
  readonly entry: Entry;
}

/**
 * Hands a message's items over from `at`: `offer` returns false when the
 * item must wait (no room), and the walk stops there. Returns true when
 * the message is done (every item handed over or counted).
 */
export type HandOver<Entry> = (waiting: WaitingMessage<Entry>) => boolean;

export class PullWindow<Entry> implements PullGate {
  private readonly waiting: WaitingMessage<Entry>[] = [];
  private wakers: (() => void)[] = [];
  readonly budget: PullBudget | undefined;

  /** `budget`: the bytes all the reader's hosts may have asked for at once (pull-budget.ts). */
  constructor(budget?: PullBudget) {
    this.budget = budget;
  }

  /** Messages pulled whose events are not all in the session yet. */
  get length(): number {
    return this.waiting.length;
  }

  ready(): boolean {
    return this.waiting.length === 0;
  }

  whenReady(): Promise<void> {
    if (this.ready()) return Promise.resolve();
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  /**
   * A new message: handed over now if nothing waits before it (stream
   * order is kept), else it waits behind the others. Returns true if done.
   */
  admit(message: WaitingMessage<Entry>, handOver: HandOver<Entry>): boolean {
    if (this.waiting.length === 0 && handOver(message)) return true;
    this.waiting.push(message);
    return false;
  }

  /** Room came back: hands over waiting messages, oldest first, until one must wait again. */
  resume(handOver: HandOver<Entry>, done: (message: WaitingMessage<Entry>) => void): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0] as WaitingMessage<Entry>;
      if (!handOver(head)) return;
      this.waiting.shift();
      done(head);
    }
    this.wake();
  }

  /** The session closed: what still waits, emptied out (the caller gives it back or counts it). */
  drain(): WaitingMessage<Entry>[] {
    const all = this.waiting.splice(0);
    this.wake();
    return all;
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}

/** Items of an EVENT_BUFFER from `at` on (each one event; a broken tail counts one). */
export function itemsFrom(data: Uint8Array, at: number): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let items = 0;
  while (at < data.length) {
    const size = data.length - at >= NET_EVENT_DATA_HEADER_LENGTH ? view.getUint32(at, true) : 0;
    items++;
    if (size < NET_EVENT_DATA_HEADER_LENGTH || size > data.length - at) break;
    at += size;
  }
  return items;
}
