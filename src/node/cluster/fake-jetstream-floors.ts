/**
 * The fake JetStream's floor stream (subjects `netrxfloor.…`, review16e
 * L3): limits retention with `max_msgs_per_subject: 1` and discard old, as
 * `wantedFloorStream` makes it on nats-server, so each host's newest floor
 * replaces the one before and nothing else is ever evicted.
 */

/** One floor as stored (its sequence is the whole fake floor stream's). */
export interface StoredFloor {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly seq: number;
}

export class FakeFloorStream {
  private readonly floors = new Map<string, StoredFloor>();
  private seq = 0;
  /** Floors stored, the ones replaced since included. */
  stored = 0;

  /** Floors retained: one per subject. */
  get length(): number {
    return this.floors.size;
  }

  /** What stream info counts. */
  get held(): readonly StoredFloor[] {
    return [...this.floors.values()];
  }

  /** Stores a copy of `data` as `subject`'s only message (the one before goes: discard old). */
  store(subject: string, data: Uint8Array): void {
    this.stored++;
    this.floors.set(subject, { subject, data: data.slice(), seq: ++this.seq });
  }

  /** The floor stored on `subject`, if any. */
  lastMessage(subject: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.floors.get(subject)?.data.slice());
  }
}
