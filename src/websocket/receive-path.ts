/**
 * The receive half of a handle: turns the decoder's frame events into the
 * indications one receive operation completes with.
 *
 * Three ways to hand data out, chosen by the operation: into the caller's
 * buffer (the decoder unmasks straight into it; a full buffer or the end of
 * what has arrived completes the operation as a fragment); as views of the
 * chunk, piece by piece (websocket.dll's NULL buffer); or, with
 * `assembleMessages`, as whole messages (a view when the message came in
 * one frame inside one chunk, otherwise one buffer that grows with what
 * arrives, or, with `retainLentChunks`, the lent pieces held and gathered
 * once into an exact-size buffer: a header's announced length reserves
 * nothing either way). Control frames
 * never interrupt a message: pings are answered through the host, pongs and
 * the close are indicated after any partial data has been handed out.
 */
import { ProtocolError, type NetrxError } from '../runtime/index.js';
import {
  CloseCode,
  FrameDecoder,
  Opcode,
  ReservedBit,
  Utf8Validator,
  parseClosePayload,
  type MaskFunction,
  type MaskIntoFunction,
  type FrameEvent,
  type FrameHeader,
} from '../wire/websocket/index.js';
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import { maskersFor, type Maskers } from '../wire/websocket/frame.js';
import type { BufferType, CloseStatus } from './actions.js';
import type { PerMessageInflateResult } from './permessage-deflate.js';
import type { ResolvedProperties } from './properties.js';

/**
 * The shared empty list `pending` holds while nothing is pending (no array
 * per connection). Frozen: a push onto it throws instead of leaking into
 * every connection.
 */
const NO_PIECES = Object.freeze([]) as unknown as Uint8Array[];
/** The smallest assembly buffer made (so tiny pieces do not regrow it at every byte). */
const MIN_ASSEMBLY = 1024;
/** At most this many pieces of one message are held (`retainLentChunks`); past it they are copied. */
const MAX_HELD = 256;
/**
 * Inflated pieces of one message held as views (a 64 MiB message inflates
 * into a few hundred slab pieces); past it they are copied.
 */
const MAX_HELD_INFLATED = 8192;
/**
 * DEFLATE expands at most ~1032:1 (RFC 1951: a 258-byte match in 2 bits),
 * so a compressed piece of `budget / MAX_DEFLATE_RATIO` bytes cannot
 * inflate to much more than the step's budget.
 */
const MAX_DEFLATE_RATIO = 1032;
/** The smallest compressed piece inflated at once under a budget (inflates to ≤ ~1 MiB). */
const MIN_INFLATE_PIECE = 1024;
/** What held inflated views may pin beyond twice the bytes they hold (one codec slab). */
const PIN_SLACK = 1024 * 1024;

/** What a receive operation completes with. */
export interface Indication {
  readonly bufferType: BufferType;
  readonly buffer: Uint8Array;
  /** A binary message handed out as its held pieces (`ReceiveOperation.pieces`); `buffer` is then empty. */
  readonly buffers?: readonly Uint8Array[];
  readonly close: CloseStatus | undefined;
  readonly error: NetrxError | undefined;
}

export interface ReceiveOperation {
  /** The caller's buffer, or undefined for component memory. */
  readonly buffer: Uint8Array | undefined;
  readonly context: unknown;
  /**
   * Without a buffer: an uncompressed binary message held as pieces of lent
   * chunks is handed out as those pieces, not gathered.
   */
  readonly pieces?: boolean;
  /** Bytes of `buffer` filled so far. */
  filled: number;
}

/** Decompression as the receive path needs it (a `PerMessageDeflateSession`). */
export interface MessageInflater {
  inflate(piece: Uint8Array, last: boolean): PerMessageInflateResult;
  /** Inflated chunks are never rewritten, so they may be held as views (`DeflateCodec.stableOutput`). */
  readonly stableOutput?: boolean;
}

/**
 * What the receive path asks of its handle. One object serves every handle
 * (the handle is passed in), so these calls stay off the handle's public
 * surface and cost no memory per connection.
 */
export interface ReceiveHost<Owner> {
  /** A ping arrived: queue a pong with this (copied) payload. */
  receivedPing(owner: Owner, payload: Uint8Array): void;
  /** A valid close arrived. */
  receivedClose(owner: Owner, status: CloseStatus): void;
  /** The peer broke the protocol: send a close with `error.closeCode`. */
  receivedViolation(owner: Owner, error: ProtocolError): void;
  /** A whole message arrived (for traces and statistics). */
  receivedMessage(owner: Owner, text: boolean, size: number): void;
}

export interface ReceivePathOptions {
  readonly role: 'client' | 'server';
  readonly properties: ResolvedProperties;
  readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined;
  readonly mask: MaskFunction | undefined;
  readonly maskInto?: MaskIntoFunction | undefined;
  readonly allocate: ((size: number) => Uint8Array) | undefined;
}

export class ReceivePath<Owner> {
  private decoder: FrameDecoder;
  private readonly properties: ResolvedProperties;
  private readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined;
  /** One shared object for the injected mask functions (not two fields per connection). */
  private readonly maskers: Maskers;
  private readonly allocate: (size: number) => Uint8Array;
  private readonly owner: Owner;
  private readonly host: ReceiveHost<Owner>;
  private inflater: MessageInflater | undefined;
  /** Inflated pieces may be held as views until the message ends. */
  private holdInflated = false;

  // The message being received.
  private text = false;
  private compressed = false;
  private fragments = 0;
  private size = 0;
  /** Made on the first text message that arrives in pieces. */
  private utf8: Utf8Validator | undefined;
  private utf8Fresh = true;
  // The frame being received.
  private control: FrameHeader | undefined;
  private dataFrame = false;
  private frameFin = false;
  // Message assembly (assembleMessages, no caller buffer).
  private assembly: Uint8Array = EMPTY_BYTES;
  private assembled = 0;
  /** Pieces of lent chunks held until the message ends, then gathered once (`retainLentChunks`). */
  private held: Uint8Array[] = NO_PIECES;
  private heldPieceBytes = 0;
  /** Memory the held views pin (their buffers' sizes; an overestimate when two share one). */
  private pinnedBytes = 0;
  /** Whether the chunk being decoded was lent by a host that never reuses it. */
  private lent = false;
  // Inflated bytes not handed out yet; the last one ends the message when `pendingEnds`.
  private pending: Uint8Array[] = NO_PIECES;
  private pendingEnds = false;
  /**
   * The compressed payload of the data frame arriving, held until the frame
   * is complete (as ws does): a frame that never finishes arriving costs
   * the bytes that came, never what they inflate to (a zip-bomb prefix).
   */
  private compressedIn: Uint8Array[] = NO_PIECES;
  private compressedBytes = 0;
  /** The held frame has all arrived: inflate it; `compressedEnds`: it ends the message. */
  private compressedReady = false;
  private compressedEnds = false;
  /** The message being gathered from held pieces, in steps (`receiveStepBytes`). */
  private gathering: Uint8Array | undefined;
  private gatheredBytes = 0;
  private gatherIndex = 0;
  /** Bytes this step may still inflate or gather (`receiveStepBytes`). */
  private budget = Number.POSITIVE_INFINITY;
  /** The last step stopped at its budget with work left (`receivePending`). */
  workPending = false;
  /** A pong or close to indicate once partial data has been handed out. */
  private deferred: Indication | undefined;
  /** The close, failure or end of stream that ended receiving, once indicated. */
  private terminal: Indication | undefined;
  private endOfStream = false;

  constructor(options: ReceivePathOptions, owner: Owner, host: ReceiveHost<Owner>) {
    this.properties = options.properties;
    this.isUtf8 = options.isUtf8;
    this.maskers = maskersFor(options.mask, options.maskInto);
    this.allocate = options.allocate ?? ((size) => new Uint8Array(size));
    this.owner = owner;
    this.host = host;
    this.decoder = this.makeDecoder(options.role, false);
  }

  private makeDecoder(role: 'client' | 'server', deflate: boolean): FrameDecoder {
    return new FrameDecoder({
      maxPayloadLength: this.properties.maxMessageSize,
      reservedBits: deflate ? ReservedBit.Rsv1 : 0,
      expectMasked: this.properties.disableMasking ? undefined : role === 'server',
      mask: this.maskers.mask,
      ...(this.maskers.maskInto === undefined ? {} : { maskInto: this.maskers.maskInto }),
    });
  }

  /** Turns on permessage-deflate (RSV1 allowed on first frames). Before any data only. */
  enableDeflate(role: 'client' | 'server', inflater: MessageInflater): void {
    this.inflater = inflater;
    this.holdInflated = inflater.stableOutput === true;
    this.decoder = this.makeDecoder(role, true);
  }

  /**
   * `lent`: the chunk is the host's own memory (`completeAction(ctx, chunk)`),
   * not a view of the handle's receive buffer, which the next read reuses.
   */
  push(chunk: Uint8Array, lent = false): void {
    this.lent = lent && this.properties.retainLentChunks;
    this.decoder.push(chunk);
  }

  /** The transport reported end of stream. */
  pushEndOfStream(): void {
    this.endOfStream = true;
  }

  /** Fails receiving from outside (keep-alive timeout, abort). */
  terminate(indication: Indication): void {
    if (this.terminal === undefined) this.terminal = indication;
    this.deferred = undefined;
  }

  /**
   * Bytes held for the message being received: compressed bytes of an
   * incomplete frame, inflated or lent pieces, the assembly buffer.
   */
  get heldBytes(): number {
    let pending = 0;
    for (const p of this.pending) pending += p.length;
    return (
      this.compressedBytes +
      this.heldPieceBytes +
      this.assembly.length +
      (this.gathering?.length ?? 0) +
      pending
    );
  }

  /**
   * The next indication for `op`, or undefined when more bytes are needed
   * or (`workPending`) when the step used its budget with work left.
   */
  step(op: ReceiveOperation): Indication | undefined {
    // A close waits in `deferred` until partial data is out; after that it repeats.
    if (this.terminal !== undefined && this.deferred === undefined) return this.terminal;
    this.budget = this.properties.receiveStepBytes;
    this.workPending = false;
    for (;;) {
      if (this.deferred !== undefined) {
        if (op.filled > 0) return this.flush(op);
        const d = this.deferred;
        this.deferred = undefined;
        return d;
      }
      if (this.pending.length > 0) {
        const done = this.drainPending(op);
        if (done !== undefined) return done;
        if (this.workPending) return undefined;
        continue;
      }
      if (this.gathering !== undefined) {
        const done = this.gatherSome();
        if (done !== undefined) return done;
        return undefined; // out of budget (workPending)
      }
      if (this.compressedReady) {
        const done = this.inflateSome();
        if (done !== undefined) return done;
        if (this.workPending) return undefined;
        continue;
      }
      // Plain payload bytes are decoded (unmasked while copied) straight into
      // the caller's buffer, or into the room the assembly buffer has.
      let into: Uint8Array | undefined;
      let inAssembly = false;
      if (this.dataFrame && !this.compressed) {
        if (op.buffer !== undefined) into = op.buffer.subarray(op.filled);
        else if (this.assembled < this.assembly.length) {
          into = this.assembly.subarray(this.assembled);
          inAssembly = true;
        }
      }
      const event = this.decoder.next(into);
      if (event === undefined) {
        if (op.filled > 0) return this.flush(op);
        if (this.endOfStream) return this.end(connectionLost());
        return undefined;
      }
      const done = this.onEvent(event, op, inAssembly);
      if (done !== undefined) return done;
    }
  }

  /** `inAssembly`: a payload was decoded into the assembly buffer's room (`next(into)`). */
  private onEvent(
    event: FrameEvent,
    op: ReceiveOperation,
    inAssembly: boolean,
  ): Indication | undefined {
    if (event.type === 'header') return this.onHeader(event.header);
    if (event.type === 'error') {
      const f = event.failure;
      return this.fail(wireCode(f.code), f.message, f.closeCode);
    }
    if (this.control !== undefined) return this.onControl(this.control, event.data);
    const end = event.last && this.frameFin;
    if (event.last) this.dataFrame = false;
    if (!this.compressed) return this.deliver(event.data, end, op, inAssembly);
    this.holdCompressed(event.data, event.last);
    if (event.last) {
      this.compressedReady = true;
      this.compressedEnds = end;
    }
    return undefined;
  }

  /**
   * Keeps a piece of a compressed frame until the frame is complete. A view
   * when it is the whole frame (inflated before the next read) or most of
   * a lent chunk; otherwise a copy (the handle's receive buffer is reused
   * by the next read, and a view of a small piece would pin its chunk).
   */
  private holdCompressed(piece: Uint8Array, frameEnds: boolean): void {
    if (piece.length === 0) return;
    let kept = piece;
    const whole = frameEnds && this.compressedBytes === 0;
    if (!whole && !(this.lent && piece.byteLength * 2 >= piece.buffer.byteLength)) {
      kept = this.allocate(piece.length);
      kept.set(piece);
    }
    if (this.compressedIn === NO_PIECES) this.compressedIn = [];
    this.compressedIn.push(kept);
    this.compressedBytes += kept.length;
  }

  /**
   * Inflates the next piece of the complete frame held in `compressedIn`,
   * at most what the step's budget allows (a piece of budget / 1032 bytes,
   * at least 1 KiB, cannot inflate to much more). The output goes to
   * `pending`; undefined unless the connection failed.
   */
  private inflateSome(): Indication | undefined {
    if (this.budget <= 0) {
      this.workPending = true;
      return undefined;
    }
    const head = this.compressedIn[0];
    let piece = EMPTY_BYTES;
    if (head !== undefined) {
      const size = Math.max(MIN_INFLATE_PIECE, Math.floor(this.budget / MAX_DEFLATE_RATIO));
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
    const end = frameDone && this.compressedEnds;
    if (frameDone) {
      this.compressedIn = NO_PIECES;
      this.compressedReady = false;
      this.compressedEnds = false;
      // A continuation frame with nothing in it, not the last: nothing to inflate.
      if (piece.length === 0 && !end) return undefined;
    }
    const inflated = (this.inflater as MessageInflater).inflate(piece, end);
    if (!inflated.ok) {
      const f = inflated.failure;
      return this.fail(wireCode(f.code), f.message, f.closeCode);
    }
    this.budget -= inflated.length;
    if (inflated.chunks.length > 0) {
      this.pending = inflated.chunks.slice();
      this.pendingEnds = end;
    } else if (end) {
      this.pending = [EMPTY_BYTES];
      this.pendingEnds = true;
    }
    return undefined;
  }

  private onHeader(header: FrameHeader): Indication | undefined {
    if ((header.opcode & 0x8) !== 0) {
      this.control = header;
      return undefined;
    }
    this.control = undefined;
    this.dataFrame = true;
    this.frameFin = header.fin;
    const { maxFragments, maxMessageSize } = this.properties;
    if (header.opcode !== Opcode.Continuation) {
      this.text = header.opcode === Opcode.Text;
      this.compressed = header.rsv1;
      this.fragments = 1;
      this.size = 0;
      this.utf8Fresh = true;
    } else if (++this.fragments > maxFragments) {
      return this.fail(
        'ERR_WS_TOO_MANY_FRAGMENTS',
        `A message spans more than ${maxFragments} frames`,
        CloseCode.MessageTooBig,
      );
    }
    if (this.compressed) return undefined;
    const length = header.payloadLength;
    if (this.size + length > maxMessageSize) {
      return this.fail(
        'ERR_WS_MESSAGE_TOO_BIG',
        `A message of more than ${maxMessageSize} bytes (${this.size} received, a frame of ${length} announced)`,
        CloseCode.MessageTooBig,
      );
    }
    // Nothing is reserved from the announced length (issue 8, defect 3): the
    // assembly buffer grows with the bytes that arrive (`reserve`).
    this.size += length;
    return undefined;
  }

  /**
   * Makes room in the assembly buffer for `length` more bytes that have
   * arrived. It doubles, so a message never holds more than twice (at the
   * jump below, four times) the bytes received so far, never what a header
   * announces. Once the last frame's header has fixed the final size and a
   * quarter of it is here, it jumps to that size: one growth less for large
   * messages, and no slack at the end.
   */
  private reserve(length: number): void {
    const need = this.assembled + length;
    if (need <= this.assembly.length) return;
    const finalSize = !this.compressed && this.frameFin ? this.size : undefined;
    const doubled = Math.max(need, this.assembly.length * 2, MIN_ASSEMBLY);
    const size =
      finalSize !== undefined && finalSize <= 4 * need
        ? finalSize
        : Math.max(need, Math.min(doubled, finalSize ?? this.properties.maxMessageSize));
    const grown = this.allocate(size);
    grown.set(this.assembly.subarray(0, this.assembled));
    this.assembly = grown;
  }

  private onControl(header: FrameHeader, payload: Uint8Array): Indication | undefined {
    this.control = undefined;
    switch (header.opcode) {
      case Opcode.Ping:
        this.host.receivedPing(this.owner, payload.slice());
        return undefined;
      case Opcode.Pong:
        this.deferred = indication('ping-pong', payload.slice());
        return undefined;
      default: {
        const parsed = parseClosePayload(payload, {
          verifyUtf8: !this.properties.disableUtf8Verification,
        });
        if (!parsed.ok) {
          const f = parsed.failure;
          return this.fail(wireCode(f.code), f.message, f.closeCode);
        }
        const status = { code: parsed.value.code, reason: parsed.value.reason };
        this.host.receivedClose(this.owner, status);
        const close: Indication = {
          bufferType: 'close',
          buffer: EMPTY_BYTES,
          close: status,
          error: undefined,
        };
        this.terminal = close;
        this.deferred = close;
        return undefined;
      }
    }
  }

  /**
   * Hands `piece` (message bytes, in order) to the operation. `inAssembly`:
   * the piece was decoded into the assembly buffer, right after what it holds.
   */
  private deliver(
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
    const holdable = this.compressed ? this.holdInflated : this.lent;
    const maxHeld = this.compressed ? MAX_HELD_INFLATED : MAX_HELD;
    const asPieces = op.pieces === true && !this.text && !this.compressed;
    if (
      holdable &&
      this.assembled === 0 &&
      this.held.length < maxHeld &&
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
   */
  private hold(piece: Uint8Array, end: boolean, asPieces: boolean): Indication | undefined {
    if (end && this.held.length === 0) {
      // One inflated piece (plain ones returned earlier): a view when it is
      // most of its memory, else one copy, never two.
      if (piece.byteLength * 2 >= piece.buffer.byteLength) return this.finish(piece);
      const copy = this.allocate(piece.length);
      copy.set(piece);
      return this.finish(copy);
    }
    if (this.held === NO_PIECES) this.held = [];
    const last = this.held.at(-1);
    if (
      last !== undefined &&
      last.buffer === piece.buffer &&
      last.byteOffset + last.byteLength === piece.byteOffset
    ) {
      // Inflated pieces follow each other in the codec's slab: one view.
      this.held[this.held.length - 1] = new Uint8Array(
        piece.buffer,
        last.byteOffset,
        last.byteLength + piece.byteLength,
      );
    } else if (
      this.compressed
        ? this.pinnedBytes + piece.buffer.byteLength >
          2 * (this.heldPieceBytes + piece.length) + PIN_SLACK
        : piece.byteLength * 2 < piece.buffer.byteLength
    ) {
      // A view pins its whole chunk: a piece under half of its chunk is held
      // as a copy, so what is held stays about the bytes that arrived (a
      // deliberate copy of a small piece). Inflated pieces share the codec's
      // output slabs (up to 1 MiB, with other connections' output): they are
      // held as views while the slabs they pin stay under twice what is held
      // plus 1 MiB, and copied past that.
      const kept = this.allocate(piece.length);
      kept.set(piece);
      this.held.push(kept);
    } else {
      this.held.push(piece);
      this.pinnedBytes += piece.buffer.byteLength;
    }
    this.heldPieceBytes += piece.length;
    if (!end) return undefined;
    if (asPieces) return this.finishPieces();
    this.gathering = this.allocate(this.heldPieceBytes);
    this.gatheredBytes = 0;
    this.gatherIndex = 0;
    return this.gatherSome();
  }

  /**
   * Copies held pieces into the message buffer, at most the step's budget
   * (`receiveStepBytes`): a 64 MiB message is gathered over many short
   * steps, not one long copy. Each piece is let go once copied, so what is
   * held stays about one message. The message once whole, else undefined
   * (`workPending`).
   */
  private gatherSome(): Indication | undefined {
    const whole = this.gathering as Uint8Array;
    const held = this.held;
    // One pass over the pieces, each at most once per step: the loop ends
    // whatever the budget says (a mutated budget check once spun here).
    for (let i = this.gatherIndex; i < held.length; i++) {
      const p = held[i] as Uint8Array;
      // The budget may be spent (0) or overspent by an inflate (negative).
      const n = Math.min(p.length, Math.max(0, this.budget));
      if (n > 0) {
        whole.set(n === p.length ? p : p.subarray(0, n), this.gatheredBytes);
        this.gatheredBytes += n;
        this.heldPieceBytes -= n;
        this.budget -= n;
      }
      if (n < p.length) {
        // Out of budget inside this piece: the rest next step.
        held[i] = p.subarray(n);
        this.gatherIndex = i;
        this.workPending = true;
        return undefined;
      }
      held[i] = EMPTY_BYTES;
    }
    this.gathering = undefined;
    this.held = NO_PIECES;
    this.heldPieceBytes = 0;
    this.pinnedBytes = 0;
    return this.finish(whole);
  }

  /**
   * Copies what is held into the growing buffer, with room for `extra` more
   * bytes (the piece that made it stop holding).
   */
  private unhold(extra: number): void {
    const held = this.held;
    this.reserve(this.heldPieceBytes + extra);
    this.held = NO_PIECES;
    this.heldPieceBytes = 0;
    this.pinnedBytes = 0;
    for (const p of held) {
      this.assembly.set(p, this.assembled);
      this.assembled += p.length;
    }
  }

  private drainPending(op: ReceiveOperation): Indication | undefined {
    const piece = this.pending[0] as Uint8Array;
    const lastPiece = this.pending.length === 1;
    let part = piece;
    if (op.buffer !== undefined) {
      const room = op.buffer.length - op.filled;
      if (piece.length > room) {
        part = piece.subarray(0, room);
        this.pending[0] = piece.subarray(room);
        return this.deliver(part, false, op);
      }
    }
    this.pending.shift();
    const end = lastPiece && this.pendingEnds;
    if (this.pending.length === 0) {
      this.pending = NO_PIECES;
      this.pendingEnds = false;
    }
    return this.deliver(part, end, op);
  }

  private checkUtf8(piece: Uint8Array, end: boolean): Indication | undefined {
    let valid: boolean;
    if (end && this.utf8Fresh && this.isUtf8 !== undefined) {
      valid = this.isUtf8(piece);
    } else {
      this.utf8Fresh = false;
      const utf8 = (this.utf8 ??= new Utf8Validator());
      valid = utf8.push(piece) && (!end || utf8.end());
    }
    // Nothing to reset after a message that ended valid: `end()` is true only
    // in the validator's initial state, and each message's header sets
    // `utf8Fresh` again (`onHeader`).
    if (valid) return undefined;
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
  private flush(op: ReceiveOperation): Indication {
    const buffer = (op.buffer as Uint8Array).subarray(0, this.take(op));
    return indication(this.fragmentType(), buffer);
  }

  /** Hands out what is held as the message's pieces (`ReceiveOperation.pieces`): no gather. */
  private finishPieces(): Indication {
    const pieces = this.held;
    this.held = NO_PIECES;
    this.heldPieceBytes = 0;
    this.pinnedBytes = 0;
    this.host.receivedMessage(this.owner, this.text, this.size);
    return {
      bufferType: 'binary-message',
      buffer: EMPTY_BYTES,
      buffers: pieces,
      close: undefined,
      error: undefined,
    };
  }

  private finish(buffer: Uint8Array): Indication {
    this.host.receivedMessage(this.owner, this.text, this.size);
    return indication(this.text ? 'utf8-message' : 'binary-message', buffer);
  }

  private fail(code: string, message: string, closeCode: number): Indication {
    const error = new ProtocolError(code, message, 'remote', { closeCode });
    this.host.receivedViolation(this.owner, error);
    return this.end({
      bufferType: 'close',
      buffer: EMPTY_BYTES,
      close: { code: closeCode, reason: '' },
      error,
    });
  }

  private end(terminal: Indication): Indication {
    this.terminal = terminal;
    this.deferred = undefined;
    this.pending = NO_PIECES;
    this.assembly = EMPTY_BYTES;
    this.held = NO_PIECES;
    this.heldPieceBytes = 0;
    this.pinnedBytes = 0;
    this.gathering = undefined;
    this.compressedIn = NO_PIECES;
    this.compressedBytes = 0;
    this.compressedReady = false;
    this.workPending = false;
    return terminal;
  }
}

/** The codec's failure codes (`frame-not-masked`) as netrx error codes (`ERR_WS_FRAME_NOT_MASKED`). */
function wireCode(code: string): string {
  return `ERR_WS_${code.toUpperCase().replace(/-/g, '_')}`;
}

function indication(bufferType: BufferType, buffer: Uint8Array): Indication {
  return { bufferType, buffer, close: undefined, error: undefined };
}

function connectionLost(): Indication {
  return {
    bufferType: 'close',
    buffer: EMPTY_BYTES,
    close: { code: CloseCode.AbnormalClosure, reason: '' },
    error: new ProtocolError(
      'ERR_WS_CONNECTION_LOST',
      'The transport ended before a close frame arrived',
      'remote',
    ),
  };
}
