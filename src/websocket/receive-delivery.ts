/**
 * The delivery half of a handle's receive path (receive-path.ts decodes
 * frames and drives it): hands a message's bytes, in order, to the receive
 * operation, and holds the state of the message being received.
 *
 * Three ways to hand data out, chosen by the operation: into the caller's
 * buffer (the decoder unmasks straight into it; a full buffer or the end of
 * what has arrived completes the operation as a fragment); as views of the
 * chunk, piece by piece (websocket.dll's NULL buffer); or, with
 * `assembleMessages`, as whole messages (a view when the message came in
 * one frame inside one chunk, otherwise one buffer that grows with what
 * arrives, or, with `retainLentChunks`, the lent pieces held and gathered
 * once into an exact-size buffer: a header's announced length reserves
 * nothing either way). Text is checked as UTF-8 piece by piece. The end of
 * a message, a violation and the end of receiving are reported to the host
 * here too, so that every indication leaves through one place.
 *
 * An abstract base class rather than a part of its own: the decoder's loop
 * and delivery share the message's state on every frame, and one object
 * keeps a connection's receive state in one allocation.
 */
import { ProtocolError } from '../runtime/index.js';
import { CloseCode } from '../wire/websocket/index.js';
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import type { BufferType } from './actions.js';
import type { ResolvedProperties } from './properties.js';
import { HeldPieces, MAX_HELD, MAX_HELD_INFLATED, assemblySize } from './receive-held.js';
import type { InflateStage } from './receive-inflate.js';
import {
  closeIndication,
  indication,
  type Indication,
  type ReceiveHost,
  type ReceiveOperation,
  type ReceivePathOptions,
} from './receive-types.js';
import type { TextCheck } from './receive-utf8.js';

export abstract class ReceiveDelivery<Owner> {
  protected readonly properties: ResolvedProperties;
  private readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined;
  protected readonly allocate: (size: number) => Uint8Array;
  protected readonly owner: Owner;
  protected readonly host: ReceiveHost<Owner>;
  /** Compressed frames held and inflated in steps (permessage-deflate only). */
  protected inflateStage: InflateStage | undefined;

  // The message being received.
  protected text = false;
  protected compressed = false;
  protected size = 0;
  /** UTF-8 checking, made on the first text message. */
  protected textCheck: TextCheck | undefined;
  /** The data frame being received is its message's last. */
  protected frameFin = false;
  // Message assembly (assembleMessages, no caller buffer).
  protected assembly: Uint8Array = EMPTY_BYTES;
  protected assembled = 0;
  /**
   * Pieces of lent chunks (or stable inflated output) held until the
   * message ends, then gathered once (`retainLentChunks`); made on first need.
   */
  protected held: HeldPieces | undefined;
  /** Whether the chunk being decoded was lent by a host that never reuses it. */
  protected lent = false;
  /** Bytes this step may still inflate or gather (`receiveStepBytes`). */
  protected budget = Number.POSITIVE_INFINITY;
  /** The last step stopped at its budget with work left (`receivePending`). */
  workPending = false;
  /** A pong or close to indicate once partial data has been handed out. */
  protected deferred: Indication | undefined;
  /** The close, failure or end of stream that ended receiving, once indicated. */
  protected terminal: Indication | undefined;

  constructor(options: ReceivePathOptions, owner: Owner, host: ReceiveHost<Owner>) {
    this.properties = options.properties;
    this.isUtf8 = options.isUtf8;
    this.allocate = options.allocate ?? ((size) => new Uint8Array(size));
    this.owner = owner;
    this.host = host;
  }

  /**
   * Bytes held for the message being received: compressed bytes of an
   * incomplete frame, inflated or lent pieces, the assembly buffer.
   */
  get heldBytes(): number {
    return (this.inflateStage?.heldBytes ?? 0) + (this.held?.heldBytes ?? 0) + this.assembly.length;
  }

  /** Bytes of the message held as pieces (not yet gathered). */
  private get heldPieceBytes(): number {
    return this.held?.bytes ?? 0;
  }

  /** Makes room in the assembly buffer for `length` more bytes that have arrived. */
  private reserve(length: number): void {
    const need = this.assembled + length;
    if (need <= this.assembly.length) return;
    const finalSize = !this.compressed && this.frameFin ? this.size : undefined;
    const size = assemblySize(
      need,
      this.assembly.length,
      finalSize,
      this.properties.maxMessageSize,
    );
    const grown = this.allocate(size);
    grown.set(this.assembly.subarray(0, this.assembled));
    this.assembly = grown;
  }

  /**
   * Hands `piece` (message bytes, in order) to the operation. `inAssembly`:
   * the piece was decoded into the assembly buffer, right after what it holds.
   */
  protected deliver(
    piece: Uint8Array,
    end: boolean,
    op: ReceiveOperation,
    inAssembly = false,
  ): Indication | undefined {
    if (this.text && !this.properties.disableUtf8Verification) {
      const bad = this.checkUtf8(piece, end);
      if (bad !== undefined) return bad;
    }
    // Uncompressed sizes were counted from the frame headers; inflated ones count here.
    if (this.compressed) this.size += piece.length;
    if (op.buffer !== undefined) {
      // Uncompressed data was decoded straight into the buffer; inflated data is copied.
      if (this.compressed) {
        op.buffer.set(piece, op.filled);
      }
      op.filled += piece.length;
      if (end) return this.finish(op.buffer.subarray(0, this.take(op)));
      if (op.filled === op.buffer.length) return this.flush(op);
      return undefined;
    }
    if (!this.properties.assembleMessages) {
      if (end) return this.finish(piece);
      return piece.length === 0 ? undefined : indication(this.fragmentType(), piece);
    }
    // A plain message that comes as one piece (one frame in one chunk) is
    // handed out as it is: a view of the chunk, no copy. Inflated bytes are
    // copied (a codec may reuse that memory, unless it says `stableOutput`),
    // and with a stable codec held like lent pieces and gathered once.
    if (end && this.assembled === 0 && this.heldPieceBytes === 0 && !this.compressed) {
      return this.finish(piece);
    }
    const holdable = this.compressed ? this.inflateStage?.holdInflated === true : this.lent;
    const maxHeld = this.compressed ? MAX_HELD_INFLATED : MAX_HELD;
    const asPieces = op.pieces === true && !this.text && !this.compressed;
    if (
      holdable &&
      this.assembled === 0 &&
      (this.held?.count ?? 0) < maxHeld &&
      (asPieces || !this.sizedAndQuarterHere(piece.length, end))
    ) {
      return this.hold(piece, end, asPieces);
    }
    // Growing instead of holding: past MAX_HELD, a piece that cannot be held,
    // or a plain message whose last frame's header fixed its size and a
    // quarter of which is here. That buffer is allocated once, at the final
    // size (`reserve`); what is held is copied in, and the rest of the
    // message is decoded straight into it (unmasked while copied, `step`),
    // each read while it is still in cache, instead of being unmasked in
    // place and gathered at the end.
    if (this.heldPieceBytes > 0) this.unhold(piece.length);
    if (!inAssembly) {
      this.reserve(piece.length);
      this.assembly.set(piece, this.assembled);
    }
    this.assembled += piece.length;
    if (!end) return undefined;
    const whole =
      this.assembled === this.assembly.length
        ? this.assembly
        : this.assembly.subarray(0, this.assembled);
    this.assembly = EMPTY_BYTES;
    this.assembled = 0;
    return this.finish(whole);
  }

  /**
   * A plain message whose last frame's header has fixed its size, a quarter
   * of which is here with this piece (that is not its end): time to stop
   * holding and allocate the message.
   */
  private sizedAndQuarterHere(pieceLength: number, end: boolean): boolean {
    return (
      !this.compressed &&
      !end &&
      this.frameFin &&
      this.size <= 4 * (this.heldPieceBytes + pieceLength)
    );
  }

  /**
   * Keeps a piece of a lent chunk (`retainLentChunks`) and, at the message's
   * end, gathers what it holds into one exact-size buffer: one allocation
   * and one copy per message, where growing with what arrives costs
   * doublings (a 1 MiB message in 64 KiB reads: buffers of 64 KiB..1 MiB and
   * ~1 MiB of extra copying). Nothing is sized from an announced length.
   * `asPieces`: the pieces are handed out as they are instead.
   */
  private hold(piece: Uint8Array, end: boolean, asPieces: boolean): Indication | undefined {
    const held = (this.held ??= new HeldPieces());
    if (end && held.count === 0) {
      // One inflated piece (plain ones returned earlier): a view when it is
      // most of its memory, else one copy, never two.
      if (piece.byteLength * 2 >= piece.buffer.byteLength) return this.finish(piece);
      const copy = this.allocate(piece.length);
      copy.set(piece);
      return this.finish(copy);
    }
    held.add(piece, this.compressed, this.allocate);
    if (!end) return undefined;
    if (asPieces) return this.finishPieces(held.take());
    held.startGather(this.allocate);
    return this.gatherSome();
  }

  /**
   * Gathers held pieces into the message buffer, at most the step's budget
   * (`receiveStepBytes`). The message once whole, else undefined
   * (`workPending`).
   */
  protected gatherSome(): Indication | undefined {
    const step = (this.held as HeldPieces).gatherSome(this.budget);
    this.budget = step.budget;
    if (step.whole === undefined) {
      this.workPending = true;
      return undefined;
    }
    return this.finish(step.whole);
  }

  /**
   * Copies what is held into the growing buffer, with room for `extra` more
   * bytes (the piece that made it stop holding).
   */
  private unhold(extra: number): void {
    this.reserve(this.heldPieceBytes + extra);
    this.assembled += (this.held as HeldPieces).drainInto(this.assembly, this.assembled);
  }

  /** Hands the next inflated bytes to the operation (no more than its buffer has room for). */
  protected drainPending(stage: InflateStage, op: ReceiveOperation): Indication | undefined {
    const room = op.buffer === undefined ? Number.POSITIVE_INFINITY : op.buffer.length - op.filled;
    const part = stage.takePending(room);
    return this.deliver(part, stage.takenEnds, op);
  }

  private checkUtf8(piece: Uint8Array, end: boolean): Indication | undefined {
    if ((this.textCheck as TextCheck).check(piece, end, this.isUtf8)) return undefined;
    return this.fail(
      'ERR_WS_INVALID_UTF8',
      'A text message is not valid UTF-8',
      CloseCode.InvalidFramePayloadData,
    );
  }

  private take(op: ReceiveOperation): number {
    const n = op.filled;
    op.filled = 0;
    return n;
  }

  private fragmentType(): BufferType {
    return this.text ? 'utf8-fragment' : 'binary-fragment';
  }

  /** Completes `op` with the partial data it holds, as a fragment. */
  protected flush(op: ReceiveOperation): Indication {
    const buffer = (op.buffer as Uint8Array).subarray(0, this.take(op));
    return indication(this.fragmentType(), buffer);
  }

  /** Hands out what is held as the message's pieces (`ReceiveOperation.pieces`): no gather. */
  private finishPieces(pieces: readonly Uint8Array[]): Indication {
    this.host.receivedMessage(this.owner, this.text, this.size);
    return {
      bufferType: 'binary-message',
      buffer: EMPTY_BYTES,
      buffers: pieces,
      close: undefined,
      error: undefined,
    };
  }

  protected finish(buffer: Uint8Array): Indication {
    this.host.receivedMessage(this.owner, this.text, this.size);
    return indication(this.text ? 'utf8-message' : 'binary-message', buffer);
  }

  protected fail(code: string, message: string, closeCode: number): Indication {
    const error = new ProtocolError(code, message, 'remote', { closeCode });
    this.host.receivedViolation(this.owner, error);
    return this.end(closeIndication({ code: closeCode, reason: '' }, error));
  }

  protected end(terminal: Indication): Indication {
    this.terminal = terminal;
    this.deferred = undefined;
    this.assembly = EMPTY_BYTES;
    this.held?.clear();
    this.inflateStage?.clear();
    this.workPending = false;
    return terminal;
  }
}
