/**
 * A first-in first-out ring of at most `capacity` entries that never blocks
 * and never grows past its bound: `push` on a full queue refuses the new entry
 * (tail drop, as LREC's Lost Event Count does) and counts it, so nothing
 * already accepted is ever lost.
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;
  /** Entries refused because the queue was full. */
  dropped = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Queue capacity must be a positive integer: got ${capacity}`);
    }
    this.capacity = capacity;
    // Grows on demand up to `capacity`, so a large bound costs nothing until used.
    this.slots = [];
  }

  get length(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count === this.capacity;
  }

  /** Appends `entry`; returns false (and counts a drop) when the queue is full. */
  push(entry: T): boolean {
    if (this.count === this.capacity) {
      this.dropped++;
      return false;
    }
    let tail = this.head + this.count;
    if (tail >= this.capacity) tail -= this.capacity;
    this.slots[tail] = entry;
    this.count++;
    return true;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const entry = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
    return entry;
  }

  /** Replaces the oldest entry (used to keep the rest of a partly read item). */
  replaceHead(entry: T): void {
    if (this.count === 0) throw new RangeError('Cannot replace the head of an empty queue');
    this.slots[this.head] = entry;
  }

  /** Removes every entry and returns how many there were. */
  clear(): number {
    const removed = this.count;
    while (this.count > 0) this.shift();
    this.head = 0;
    return removed;
  }
}
