/**
 * The compressed side of receiving (permessage-deflate): the payload of a
 * compressed data frame is held until the frame is complete (as ws does),
 * so a frame that never finishes arriving costs the bytes that came, never
 * what they inflate to (a zip-bomb prefix); then it is inflated piece by
 * piece under a byte budget, and the inflated chunks wait in `pending` to
 * be handed out. Made when deflate is negotiated (other connections hold
 * none of it).
 */
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import type { PerMessageInflateResult } from './permessage-deflate.js';

/** Frozen shared empty list: a push onto it throws instead of leaking. */
const NO_PIECES = Object.freeze([]) as unknown as Uint8Array[];
/**
 * DEFLATE expands at most ~1032:1 (RFC 1951: a 258-byte match in 2 bits),
 * so a compressed piece of `budget / MAX_DEFLATE_RATIO` bytes cannot
 * inflate to much more than the step's budget.
 */
const MAX_DEFLATE_RATIO = 1032;
/** The smallest compressed piece inflated at once under a budget (inflates to ≤ ~1 MiB). */
const MIN_INFLATE_PIECE = 1024;

/** Decompression as the receive path needs it (a `PerMessageDeflateSession`). */
export interface MessageInflater {
  inflate(piece: Uint8Array, last: boolean): PerMessageInflateResult;
  /** Inflated chunks are never rewritten, so they may be held as views (`DeflateCodec.stableOutput`). */
  readonly stableOutput?: boolean;
}

type InflateFailure = Extract<PerMessageInflateResult, { ok: false }>['failure'];

export class InflateStage {
  /** Inflated pieces may be held as views until the message ends. */
  readonly holdInflated: boolean;
  private compressedIn: Uint8Array[] = NO_PIECES;
  private compressedBytes = 0;
  /** The held frame has all arrived: inflate it; `ends`: it ends the message. */
  ready = false;
  private ends = false;
  // Inflated bytes not handed out yet; the last one ends the message when `pendingEnds`.
  private pending: Uint8Array[] = NO_PIECES;
  private pendingEnds = false;
  /** Whether the piece `takePending` returned last ends the message. */
  takenEnds = false;

  constructor(private readonly inflater: MessageInflater) {
    this.holdInflated = inflater.stableOutput === true;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Compressed bytes of the frame arriving plus inflated bytes not handed out. */
  get heldBytes(): number {
    let pending = 0;
    for (const p of this.pending) pending += p.length;
    return this.compressedBytes + pending;
  }

  /**
   * Keeps a piece of a compressed frame until the frame is complete. A view
   * when it is the whole frame (inflated before the next read) or most of
   * a lent chunk; otherwise a copy (the handle's receive buffer is reused
   * by the next read, and a view of a small piece would pin its chunk).
   */
  hold(
    piece: Uint8Array,
    frameEnds: boolean,
    lent: boolean,
    allocate: (size: number) => Uint8Array,
  ): void {
    if (piece.length === 0) return;
    let kept = piece;
    const whole = frameEnds && this.compressedBytes === 0;
    if (!whole && !(lent && piece.byteLength * 2 >= piece.buffer.byteLength)) {
      kept = allocate(piece.length);
      kept.set(piece);
    }
    if (this.compressedIn === NO_PIECES) this.compressedIn = [];
    this.compressedIn.push(kept);
    this.compressedBytes += kept.length;
  }

  /** The frame held has all arrived; `ends`: it is the message's last. */
  frameComplete(ends: boolean): void {
    this.ready = true;
    this.ends = ends;
  }

  /**
   * Inflates the next piece of the complete frame held, at most what
   * `budget` allows (a piece of budget / 1032 bytes, at least 1 KiB, cannot
   * inflate to much more). The output goes to `pending`. Returns the budget
   * left, or the failure.
   */
  inflateSome(budget: number): number | InflateFailure {
    const head = this.compressedIn[0];
    let piece = EMPTY_BYTES;
    if (head !== undefined) {
      const size = Math.max(MIN_INFLATE_PIECE, Math.floor(budget / MAX_DEFLATE_RATIO));
      if (head.length > size) {
        piece = head.subarray(0, size);
        this.compressedIn[0] = head.subarray(size);
      } else {
        piece = head;
        this.compressedIn.shift();
      }
      this.compressedBytes -= piece.length;
    }
    const frameDone = this.compressedBytes === 0;
    const end = frameDone && this.ends;
    if (frameDone) {
      this.compressedIn = NO_PIECES;
      this.ready = false;
      this.ends = false;
      // A continuation frame with nothing in it, not the last: nothing to inflate.
      if (piece.length === 0 && !end) return budget;
    }
    const inflated = this.inflater.inflate(piece, end);
    if (!inflated.ok) return inflated.failure;
    if (inflated.chunks.length > 0) {
      this.pending = inflated.chunks.slice();
      this.pendingEnds = end;
    } else if (end) {
      this.pending = [EMPTY_BYTES];
      this.pendingEnds = true;
    }
    return budget - inflated.length;
  }

  /**
   * The next inflated bytes to hand out, at most `room` of them (the rest
   * stays first in line); `takenEnds` says whether they end the message.
   */
  takePending(room: number): Uint8Array {
    const piece = this.pending[0] as Uint8Array;
    if (piece.length > room) {
      this.pending[0] = piece.subarray(room);
      this.takenEnds = false;
      return piece.subarray(0, room);
    }
    const lastPiece = this.pending.length === 1;
    this.pending.shift();
    this.takenEnds = lastPiece && this.pendingEnds;
    if (this.pending.length === 0) {
      this.pending = NO_PIECES;
      this.pendingEnds = false;
    }
    return piece;
  }

  clear(): void {
    this.pending = NO_PIECES;
    this.pendingEnds = false;
    this.compressedIn = NO_PIECES;
    this.compressedBytes = 0;
    this.ready = false;
    this.ends = false;
  }
}
