import { NetrxError } from '../runtime/index.js';
import type { DestinationKind } from './packet-filter.js';

/** Per-frame data the adapter knows beyond the bytes (NDIS out-of-band data). */
export interface OutOfBand {
  /** Receive time in the adapter clock's milliseconds. */
  readonly timestamp?: number;
  /** Checksums the adapter (or the kernel behind it) already verified. */
  readonly checksumVerified?: {
    readonly ipv4?: boolean;
    readonly udp?: boolean;
    readonly tcp?: boolean;
  };
  /** An 802.1Q tag the adapter removed before indicating (VLAN offload). */
  readonly vlan?: { readonly id: number; readonly priority: number };
}

/** A frame a binding kept past its indication; `release` hands it back (idempotent). */
export interface RetainedFrame {
  /** The whole frame, header included. */
  readonly bytes: Uint8Array;
  readonly oob: OutOfBand;
  release(): void;
}

const NO_OOB: OutOfBand = Object.freeze({});

/** @internal Shared among the retains of one frame: the adapter's buffer returns when the last lets go. */
export class FrameReference {
  refs = 1;
  constructor(private readonly onRelease: (() => void) | undefined) {}
  drop(): void {
    if (--this.refs === 0) this.onRelease?.();
  }
}

/**
 * @internal What the adapter decoded about the frame being indicated, shared
 * by every binding's `Indication` for that frame. The adapter keeps one per
 * nesting depth (a frame indicated from inside a `receive` or a tap gets the
 * next one), so a nested indication never touches the outer frame's state.
 */
export class FrameMeta {
  headerSize = 0;
  lookaheadSize = 0;
  packetSize = 0;
  etherType = 0;
  vlanId = -1;
  vlanTpid = 0;
  destination: DestinationKind = 3;
  fullPacket = true;
  mustCopy = false;
  oob: OutOfBand = NO_OOB;
  /** The indicator's release callback for this frame. */
  release: (() => void) | undefined;
  /** Made by the first retain of this frame; undefined while nobody retained it. */
  shared: FrameReference | undefined;

  /** `onReleased(release)` runs when the last retain of a frame lets go. */
  constructor(private readonly onReleased: (release: (() => void) | undefined) => void) {}

  /** The frame's reference for a retain, made on the first one (the accept path may allocate). */
  referenceForRetain(): FrameReference {
    if (this.shared === undefined) {
      const release = this.release;
      this.shared = new FrameReference(() => this.onReleased(release));
    }
    return this.shared;
  }

  /** Forgets the frame, so a finished indication keeps nothing alive. */
  clear(): void {
    this.release = undefined;
    this.shared = undefined;
    this.oob = NO_OOB;
  }
}

const NO_META = new FrameMeta(() => undefined);

/**
 * What a bound protocol sees during `receive` (NDIS `ProtocolReceive`): the
 * header and lookahead as read-only views valid only during the call, the
 * packet size, and `transferData` for the rest. The object is reused for the
 * binding's every indication at one nesting depth, so rejecting a frame
 * allocates nothing: read the pre-decoded `etherType`, or `byteAt`/`u16At`,
 * and return. A frame indicated from inside `receive` (a loopback reply) is
 * given to another `Indication`, so this one stays valid until `receive`
 * returns. Its fields are the adapter's: read-only getters, so assigning one
 * throws a TypeError.
 */
export class Indication {
  private meta: FrameMeta = NO_META;
  private frame: Uint8Array = new Uint8Array(0);
  private active = false;
  private transferred = false;
  /** @internal */ transfers = 0;
  /** @internal */ retains = 0;
  private headerView: Uint8Array | undefined;
  private lookaheadView: Uint8Array | undefined;

  /** Bytes in the header (14, or 18/22 with 802.1Q tags). */
  get headerSize(): number {
    return this.meta.headerSize;
  }
  /** Bytes of packet data after the header available in `lookahead`. */
  get lookaheadSize(): number {
    return this.meta.lookaheadSize;
  }
  /** Bytes of packet data after the header, padding and any FCS included (NDIS PacketSize). */
  get packetSize(): number {
    return this.meta.packetSize;
  }
  /** The EtherType after any VLAN tags. */
  get etherType(): number {
    return this.meta.etherType;
  }
  /** The innermost 802.1Q VLAN id, or -1. */
  get vlanId(): number {
    return this.meta.vlanId;
  }
  /** The TPID of the innermost in-band tag (0x8100 C-tag, 0x88a8 S-tag), or 0 when untagged. */
  get vlanTpid(): number {
    return this.meta.vlanTpid;
  }
  get destination(): DestinationKind {
    return this.meta.destination;
  }
  /** True when the lookahead holds the whole packet (a full-packet indication). */
  get fullPacket(): boolean {
    return this.meta.fullPacket;
  }
  /** True when the adapter is short of buffers (NDIS_STATUS_RESOURCES): `retain` is refused, copy instead. */
  get mustCopy(): boolean {
    return this.meta.mustCopy;
  }
  get oob(): OutOfBand {
    return this.meta.oob;
  }

  /** @internal Called by the adapter before each call to the binding. */
  begin(frame: Uint8Array, meta: FrameMeta): void {
    this.frame = frame;
    this.meta = meta;
    this.active = true;
    this.transferred = false;
    this.headerView = undefined;
    this.lookaheadView = undefined;
  }

  /** @internal Called by the adapter when the binding's call returned (or threw). */
  end(): void {
    this.active = false;
    this.headerView = undefined;
    this.lookaheadView = undefined;
  }

  /** The header bytes; valid only during the call. */
  get header(): Uint8Array {
    this.check('read the header');
    return (this.headerView ??= this.frame.subarray(0, this.meta.headerSize));
  }

  /** The lookahead bytes (packet data after the header); valid only during the call. */
  get lookahead(): Uint8Array {
    this.check('read the lookahead');
    const headerSize = this.meta.headerSize;
    return (this.lookaheadView ??= this.frame.subarray(
      headerSize,
      headerSize + this.meta.lookaheadSize,
    ));
  }

  /**
   * The header byte at `offset`, or -1 past the header. No allocation: a
   * reply reads the requester's MAC with it rather than through `header`,
   * whose view cost one object per indication (link-review3 F2).
   */
  headerByteAt(offset: number): number {
    // The Indication object is reused for the next frame: a stale holder
    // would otherwise read that frame's bytes instead of failing.
    if (!this.active) this.expired('read a header byte');
    if (offset < 0 || offset >= this.meta.headerSize) return -1;
    return this.frame[offset] as number;
  }

  /** The lookahead byte at `offset`, or -1 past the lookahead. No allocation. */
  byteAt(offset: number): number {
    if (!this.active) this.expired('read a lookahead byte');
    if (offset < 0 || offset >= this.meta.lookaheadSize) return -1;
    return this.frame[this.meta.headerSize + offset] as number;
  }

  /** The big-endian u16 of the lookahead at `offset`, or -1 past the lookahead. */
  u16At(offset: number): number {
    if (!this.active) this.expired('read a lookahead u16');
    if (offset < 0 || offset + 2 > this.meta.lookaheadSize) return -1;
    const at = this.meta.headerSize + offset;
    return ((this.frame[at] as number) << 8) | (this.frame[at + 1] as number);
  }

  /** The big-endian u32 of the lookahead at `offset`, or -1 past the lookahead. */
  u32At(offset: number): number {
    if (!this.active) this.expired('read a lookahead u32');
    if (offset < 0 || offset + 4 > this.meta.lookaheadSize) return -1;
    const at = this.meta.headerSize + offset;
    return (
      (this.frame[at] as number) * 0x1000000 +
      (((this.frame[at + 1] as number) << 16) |
        ((this.frame[at + 2] as number) << 8) |
        (this.frame[at + 3] as number))
    );
  }

  /**
   * NdisTransferData: copies `length` bytes of packet data starting at
   * `offset` (relative to the end of the header, like the lookahead) into
   * `into` at `intoOffset`, and returns how many were copied (fewer when the
   * packet ends first). Allowed once per indication and only during it; a
   * second call, or one after `receive` returned, throws
   * `ERR_LINK_TRANSFER_TWICE` / `ERR_LINK_INDICATION_EXPIRED`.
   */
  transferData(offset: number, length: number, into: Uint8Array, intoOffset = 0): number {
    this.check('transfer data');
    if (this.transferred) {
      throw new NetrxError(
        'ERR_LINK_TRANSFER_TWICE',
        'Cannot transfer data twice in one indication (NdisTransferData is once per indication)',
      );
    }
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 0) {
      throw new RangeError(
        `Transfer offset and length must be integers >= 0: got ${offset}, ${length}`,
      );
    }
    if (!Number.isInteger(intoOffset) || intoOffset < 0 || intoOffset > into.length) {
      throw new RangeError(
        `Transfer destination offset must be within the buffer: got ${intoOffset}`,
      );
    }
    this.transferred = true;
    this.transfers++;
    // The packet may be longer than the bytes the adapter has (a truncated capture record).
    const { headerSize, packetSize } = this.meta;
    const limit = Math.min(headerSize + packetSize, this.frame.length);
    const start = Math.min(headerSize + offset, limit);
    const end = Math.min(start + length, limit);
    const count = Math.min(end - start, into.length - intoOffset);
    into.set(this.frame.subarray(start, start + count), intoOffset);
    return count;
  }

  /**
   * Keeps the whole frame past this call (full-packet indications): returns
   * a reference the binding must `release`. Refused with `ERR_LINK_MUST_COPY`
   * when the adapter indicated with resources low (NDIS_STATUS_RESOURCES) or
   * with only a lookahead.
   */
  retain(): RetainedFrame {
    this.check('retain the frame');
    const meta = this.meta;
    if (meta.mustCopy || !meta.fullPacket) {
      throw new NetrxError(
        'ERR_LINK_MUST_COPY',
        meta.mustCopy
          ? 'Cannot retain the frame: the adapter is short of buffers (NDIS_STATUS_RESOURCES); copy it'
          : 'Cannot retain a lookahead indication; copy or transfer the data',
      );
    }
    const reference = meta.referenceForRetain();
    reference.refs++;
    this.retains++;
    let released = false;
    return {
      bytes: this.frame.subarray(0, meta.headerSize + meta.packetSize),
      oob: meta.oob,
      release: () => {
        if (released) return;
        released = true;
        reference.drop();
      },
    };
  }

  private check(action: string): void {
    if (!this.active) this.expired(action);
  }

  // Kept out of line so the hot accessors stay a single branch when active.
  private expired(action: string): never {
    throw new NetrxError(
      'ERR_LINK_INDICATION_EXPIRED',
      `Cannot ${action}: the indication is over (its views are valid only during receive)`,
    );
  }
}
