/**
 * Memory for the message being received. Mostly: the pieces of one message
 * held as views until it ends (`retainLentChunks`
 * for lent reads, `DeflateCodec.stableOutput` for inflated output), then
 * gathered once into an exact-size buffer, in steps bounded by a byte
 * budget, or handed out as they are (`ReceiveOperation.pieces`). Made on a
 * connection's first such message (an idle connection holds none of it).
 */
import { EMPTY_BYTES } from '../wire/websocket/empty.js';

/** The shared empty list while nothing is held. Frozen: a push onto it throws. */
const NO_PIECES = Object.freeze([]) as unknown as Uint8Array[];
/** What held inflated views may pin beyond twice the bytes they hold (one codec slab). */
const PIN_SLACK = 1024 * 1024;

/** At most this many pieces of one message are held (`retainLentChunks`); past it they are copied. */
export const MAX_HELD = 256;
/**
 * Inflated pieces of one message held as views (a 64 MiB message inflates
 * into a few hundred slab pieces); past it they are copied.
 */
export const MAX_HELD_INFLATED = 8192;
/** The smallest assembly buffer made (so tiny pieces do not regrow it at every byte). */
const MIN_ASSEMBLY = 1024;

/**
 * The size to grow a message's assembly buffer to when it must hold `need`
 * bytes that have arrived (it holds `current`). It doubles, so a message
 * never holds more than twice (at the jump below, four times) the bytes
 * received so far, never what a header announces. Once the last frame's
 * header has fixed the final size (`finalSize`) and a quarter of it is
 * here, it jumps to that size: one growth less for large messages, and no
 * slack at the end.
 */
export function assemblySize(
  need: number,
  current: number,
  finalSize: number | undefined,
  maxMessageSize: number,
): number {
  if (finalSize !== undefined && finalSize <= 4 * need) return finalSize;
  const doubled = Math.max(need, current * 2, MIN_ASSEMBLY);
  return Math.max(need, Math.min(doubled, finalSize ?? maxMessageSize));
}

/** One gathering step: the budget left, and the message once whole. */
export interface GatherStep {
  readonly budget: number;
  readonly whole: Uint8Array | undefined;
}

export class HeldPieces {
  private list: Uint8Array[] = NO_PIECES;
  /** Bytes held (not yet gathered). */
  bytes = 0;
  /** Memory the held views pin (their buffers' sizes; an overestimate when two share one). */
  private pinned = 0;
  /** The message being gathered, in steps. */
  private gathering: Uint8Array | undefined;
  private gatheredBytes = 0;
  private gatherIndex = 0;

  get count(): number {
    return this.list.length;
  }

  get isGathering(): boolean {
    return this.gathering !== undefined;
  }

  /** Bytes held plus the message buffer being gathered. */
  get heldBytes(): number {
    return this.bytes + (this.gathering?.length ?? 0);
  }

  /**
   * Keeps `piece`: merged with the last one when they follow each other in
   * one buffer (inflated pieces in the codec's slab), else as a view, or as
   * a copy when a view would pin too much. A view pins its whole chunk: a
   * plain piece under half of its chunk is copied, so what is held stays
   * about the bytes that arrived (a deliberate copy of a small piece).
   * Inflated pieces share the codec's output slabs (up to 1 MiB, with other
   * connections' output): they are held as views while the slabs they pin
   * stay under twice what is held plus 1 MiB, and copied past that.
   */
  add(piece: Uint8Array, compressed: boolean, allocate: (size: number) => Uint8Array): void {
    if (this.list === NO_PIECES) this.list = [];
    const last = this.list.at(-1);
    if (
      last !== undefined &&
      last.buffer === piece.buffer &&
      last.byteOffset + last.byteLength === piece.byteOffset
    ) {
      this.list[this.list.length - 1] = new Uint8Array(
        piece.buffer,
        last.byteOffset,
        last.byteLength + piece.byteLength,
      );
    } else if (
      compressed
        ? this.pinned + piece.buffer.byteLength > 2 * (this.bytes + piece.length) + PIN_SLACK
        : piece.byteLength * 2 < piece.buffer.byteLength
    ) {
      const kept = allocate(piece.length);
      kept.set(piece);
      this.list.push(kept);
    } else {
      this.list.push(piece);
      this.pinned += piece.buffer.byteLength;
    }
    this.bytes += piece.length;
  }

  /** The held pieces as they are (the message ends here); nothing is held after. */
  take(): Uint8Array[] {
    const pieces = this.list;
    this.clear();
    return pieces;
  }

  /** Copies everything held into `target` at `at`; returns the bytes copied. */
  drainInto(target: Uint8Array, at: number): number {
    let n = 0;
    for (const p of this.list) {
      target.set(p, at + n);
      n += p.length;
    }
    this.clear();
    return n;
  }

  /** Starts gathering what is held into one buffer of exactly that size. */
  startGather(allocate: (size: number) => Uint8Array): void {
    this.gathering = allocate(this.bytes);
    this.gatheredBytes = 0;
    this.gatherIndex = 0;
  }

  /**
   * Copies held pieces into the message buffer, at most `budget` bytes: a
   * 64 MiB message is gathered over many short steps, not one long copy.
   * Each piece is let go once copied, so what is held stays about one
   * message.
   */
  gatherSome(budget: number): GatherStep {
    const whole = this.gathering as Uint8Array;
    const held = this.list;
    // One pass over the pieces, each at most once per step: the loop ends
    // whatever the budget says (a mutated budget check once spun here).
    for (let i = this.gatherIndex; i < held.length; i++) {
      const p = held[i] as Uint8Array;
      // The budget may be spent (0) or overspent by an inflate (negative).
      const n = Math.min(p.length, Math.max(0, budget));
      if (n > 0) {
        whole.set(n === p.length ? p : p.subarray(0, n), this.gatheredBytes);
        this.gatheredBytes += n;
        this.bytes -= n;
        budget -= n;
      }
      if (n < p.length) {
        // Out of budget inside this piece: the rest next step.
        held[i] = p.subarray(n);
        this.gatherIndex = i;
        return { budget, whole: undefined };
      }
      held[i] = EMPTY_BYTES;
    }
    this.clear();
    return { budget, whole };
  }

  clear(): void {
    this.list = NO_PIECES;
    this.bytes = 0;
    this.pinned = 0;
    this.gathering = undefined;
  }
}
