/**
 * The newest keys seen, bounded: a ring of `capacity` slots over a set, so
 * membership is O(1) and memory never grows past `capacity` keys. The
 * reader remembers stream sequences (redeliveries) and publisher batch IDs
 * (duplicates stored twice) with it.
 */
export class RecentKeys<K> {
  private readonly members = new Set<K>();
  private readonly ring: K[] = [];
  private next = 0;

  /** `onForget` hears each key the full ring pushes out (not those `delete`d). */
  constructor(
    readonly capacity: number,
    private readonly onForget?: (key: K) => void,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer: got ${capacity}`);
    }
  }

  get size(): number {
    return this.members.size;
  }

  has(key: K): boolean {
    return this.members.has(key);
  }

  /** Remembers `key`; the oldest slot's key is forgotten once the ring is full. */
  add(key: K): void {
    if (this.members.has(key)) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(key);
    } else {
      // A slot whose key was deleted and added again since may free it early: memory only shortens.
      const oldest = this.ring[this.next] as K;
      if (this.members.delete(oldest)) this.onForget?.(oldest);
      this.ring[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    }
    this.members.add(key);
  }

  delete(key: K): void {
    this.members.delete(key);
  }
}
