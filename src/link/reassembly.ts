/**
 * Bounded fragment reassembly (RFC 791 §3.2 and RFC 815 for IPv4; the same
 * shape serves IPv6's Fragment header). Fragments are kept per datagram key
 * (the family's identifying fields) as copies of their payloads with their
 * offsets; a datagram is complete when the last fragment (no "more") has
 * arrived and the pieces cover every byte before its end. Limits, each with
 * a default and a counter for what it refused:
 *
 * - `maxDatagrams` (16) datagrams in progress: a fragment of a new one past
 *   that evicts one in progress (`evicted`): a dropped one (overlap, bytes,
 *   size) first, else the oldest. Refusing the newcomer instead would let 16
 *   junk first fragments every timeout block reassembly for everyone;
 * - `maxPerSource` (4) datagrams in progress from one source address (the
 *   `source` given to `add`): a fifth evicts that source's oldest
 *   (`evicted`), so one source cannot take the table;
 * - `maxSourceBytes` (half of `maxBytes`) of fragment payload held for one
 *   source: a fragment past it evicts that source's oldest other datagrams
 *   (`evicted`);
 * - `maxBytes` (256 KiB) of fragment payload held in all: a fragment past
 *   it evicts the oldest datagram of the source holding the most bytes
 *   (`evicted`; as Linux's frag evictor frees memory), so one source (or a
 *   few) filling the budget cannot block reassembly for the others. Only
 *   when the fragment's own datagram stands in the way is it refused and
 *   that datagram dropped (`refusedBytes`);
 * - `maxPayload` (the family's, for a header of `baseHeaderLength`; less by
 *   what the first fragment's header has beyond that): a fragment reaching
 *   past it, or a first fragment whose header would take a held piece past
 *   it, drops its datagram (`tooLarge`), so the datagram put back together
 *   never outgrows its 16-bit length field;
 * - `maxPieces` (64) fragments held per datagram: one more drops the
 *   datagram (`tooManyPieces`). Each piece costs a copy and an object, and
 *   each fragment is checked against every piece held, so without it 8-byte
 *   fragments cost many times `maxBytes` in memory and quadratic time. 64
 *   carries 65,535 bytes in fragments of 1,024 bytes or more (an IPv4 MTU of
 *   1,500 needs 45, IPv6's minimum of 1,280 needs 54);
 * - `timeoutMs` (30 s on the injected clock): a datagram not complete by
 *   then is dropped (`timeouts`). If its first fragment had arrived (and it
 *   was not dropped for another reason), `onExpired` is told, with the
 *   `context` given to `add` for that fragment and the first fragment
 *   itself, so the binding can send ICMP Time Exceeded code 1 (RFC 792,
 *   RFC 1122 §3.3.2, RFC 8200 §4.5); a first fragment added without a
 *   context (one the rules forbid answering) is never reported.
 *
 * A fragment that overlaps one already held, or a piece beyond the end the
 * last fragment sets, drops the whole datagram (`overlaps`), and the key is
 * remembered until its timeout (or its eviction) so later pieces are
 * dropped too (`discarded`; the same after `refusedBytes`/`tooLarge`/
 * `tooManyPieces`;
 * RFC 5722 does this for IPv6, and it closes the overlapping-
 * fragment attacks for IPv4 as well); an exact duplicate is ignored
 * (`duplicates`). A fragment that is not the last and whose length is not a
 * multiple of 8 is malformed (`badFragments`). Every timer is cancelled by
 * `close()`.
 */
import { positiveInteger, type Clock, type Timer } from '../runtime/index.js';

export interface ReassemblyLimits {
  /** Datagrams being reassembled at once. Default 16. */
  readonly maxDatagrams?: number;
  /** Datagrams in progress from one source address. Default 4. */
  readonly maxPerSource?: number;
  /** Fragment payload bytes held in all. Default 262,144. */
  readonly maxBytes?: number;
  /** Fragment payload bytes held for one source address. Default half of `maxBytes` (131,072). */
  readonly maxSourceBytes?: number;
  /** Fragments held per datagram. Default 64. */
  readonly maxPieces?: number;
  /** Milliseconds a datagram may take to complete. Default 30,000. */
  readonly timeoutMs?: number;
}

export interface ReassemblyStats {
  readonly inProgress: number;
  readonly bytes: number;
  readonly reassembled: number;
  readonly timeouts: number;
  readonly overlaps: number;
  readonly duplicates: number;
  /** Datagrams in progress dropped to make room for a new one (table full, or its source at `maxPerSource`). */
  readonly evicted: number;
  readonly refusedBytes: number;
  readonly tooLarge: number;
  /** Datagrams dropped for a fragment past `maxPieces`. */
  readonly tooManyPieces: number;
  readonly badFragments: number;
  /** Pieces of a datagram already dropped (for an overlap, bytes or size), until its timeout. */
  readonly discarded: number;
}

/** Why `add` did not complete a datagram (or `complete` when it did). */
export type FragmentOutcome =
  | 'complete'
  | 'pending'
  | 'overlap'
  | 'duplicate'
  | 'refused-buffers'
  | 'refused-bytes'
  | 'too-large'
  | 'too-many-pieces'
  | 'bad-fragment'
  | 'discarded';

interface Piece {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

class Pending {
  constructor(readonly source: string) {}
  pieces: Piece[] = [];
  bytes = 0;
  /** The largest end of a piece held. */
  end = 0;
  /** Payload length, known once the last fragment arrived; -1 before. */
  total = -1;
  /** The first fragment's header (a copy), once it arrived. */
  header: Uint8Array | undefined;
  /** What the caller gave with the first fragment, for `onExpired`. */
  context: unknown;
  /** Dropped for an overlap: later pieces are dropped too until the timer fires. */
  poisoned = false;
  timer: Timer | undefined;
}

/** The binding drop reason (IPv4 and IPv6 share them) for each way `add` refuses a fragment. */
export const FRAGMENT_DROPS = {
  overlap: 'fragment-overlap',
  'refused-buffers': 'reassembly-full',
  'refused-bytes': 'reassembly-full',
  'too-large': 'fragment-too-large',
  'too-many-pieces': 'fragment-too-many',
  'bad-fragment': 'bad-fragment',
  discarded: 'fragment-discarded',
} as const satisfies Record<Exclude<FragmentOutcome, 'complete' | 'pending' | 'duplicate'>, string>;

/** A datagram that timed out after its first fragment arrived: that fragment, and its context. */
export interface ExpiredFirstFragment {
  readonly header: Uint8Array;
  /** The first fragment's payload. */
  readonly payload: Uint8Array;
  readonly context: unknown;
}

/** The payload put back together, and the first fragment's header. */
export interface Reassembled {
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
}

/** See the file comment. */
export class Reassembly {
  readonly maxDatagrams: number;
  readonly maxPerSource: number;
  readonly maxBytes: number;
  readonly maxSourceBytes: number;
  readonly maxPieces: number;
  readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly maxPayload: number;
  private readonly baseHeaderLength: number;
  /** In arrival order (Map order), so the first is the oldest. */
  private readonly pending = new Map<string, Pending>();
  private readonly perSource = new Map<string, number>();
  /** Fragment payload bytes held per source. */
  private readonly sourceBytes = new Map<string, number>();
  private held = 0;
  private closed = false;
  private counters = {
    reassembled: 0,
    timeouts: 0,
    overlaps: 0,
    duplicates: 0,
    evicted: 0,
    refusedBytes: 0,
    tooLarge: 0,
    tooManyPieces: 0,
    badFragments: 0,
    discarded: 0,
  };
  /** The datagram `add` completed last. */
  last: Reassembled | undefined;

  /**
   * `maxPayload` is the most payload a datagram may have when the header
   * given to `add` for its first fragment is `baseHeaderLength` bytes long
   * (IPv4: 65,515 for 20; IPv6: 65,535 for 48, the fixed header and the
   * Fragment header); each byte more of first header lowers it by one.
   */
  constructor(
    clock: Clock,
    maxPayload: number,
    limits: ReassemblyLimits = {},
    baseHeaderLength = 0,
    private readonly onExpired?: (first: ExpiredFirstFragment) => void,
  ) {
    this.clock = clock;
    this.maxPayload = maxPayload;
    this.baseHeaderLength = baseHeaderLength;
    this.maxDatagrams = positiveInteger('Reassembly maxDatagrams', limits.maxDatagrams, 16);
    this.maxPerSource = positiveInteger('Reassembly maxPerSource', limits.maxPerSource, 4);
    this.maxBytes = positiveInteger('Reassembly maxBytes', limits.maxBytes, 256 * 1024);
    this.maxSourceBytes = positiveInteger(
      'Reassembly maxSourceBytes',
      limits.maxSourceBytes,
      Math.max(1, Math.floor(this.maxBytes / 2)),
    );
    this.maxPieces = positiveInteger('Reassembly maxPieces', limits.maxPieces, 64);
    this.timeoutMs = positiveInteger('Reassembly timeoutMs', limits.timeoutMs, 30_000);
  }

  /**
   * Adds the fragment `payload` (a view; copied when kept) at byte `offset`
   * of datagram `key`; `header` is the fragment's own header, kept from the
   * first fragment; `source` is the sender's address, for `maxPerSource`
   * (the key when not given); `context` is kept with the first fragment for
   * `onExpired` (undefined: never report it). On `complete`, `last` holds
   * the datagram.
   */
  add(
    key: string,
    offset: number,
    more: boolean,
    payload: Uint8Array,
    header: Uint8Array,
    source: string = key,
    context?: unknown,
  ): FragmentOutcome {
    if (this.closed) return 'refused-buffers';
    const end = offset + payload.length;
    if ((more && payload.length % 8 !== 0) || (more && payload.length === 0)) {
      this.counters.badFragments++;
      return 'bad-fragment';
    }
    let entry = this.pending.get(key);
    if (end > this.maxPayload) {
      this.counters.tooLarge++;
      if (entry !== undefined) this.poison(entry);
      return 'too-large';
    }
    if (entry === undefined) {
      this.makeRoom(source);
      entry = new Pending(source);
      const created = entry;
      created.timer = this.clock.setTimer(this.timeoutMs, () => this.expire(key, created));
      this.pending.set(key, entry);
      this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    }
    if (entry.poisoned) {
      this.counters.discarded++;
      return 'discarded';
    }
    // The first fragment's header is the reassembled datagram's: it counts too.
    const firstHeader = offset === 0 ? header.length : entry.header?.length;
    const extraHeader = Math.max(0, (firstHeader ?? this.baseHeaderLength) - this.baseHeaderLength);
    if (Math.max(end, entry.end) + extraHeader > this.maxPayload) {
      this.counters.tooLarge++;
      this.poison(entry);
      return 'too-large';
    }
    for (const piece of entry.pieces) {
      const pieceEnd = piece.offset + piece.bytes.length;
      if (offset < pieceEnd && piece.offset < end) {
        if (piece.offset === offset && pieceEnd === end) {
          this.counters.duplicates++;
          return 'duplicate';
        }
        this.counters.overlaps++;
        this.poison(entry);
        return 'overlap';
      }
    }
    if (!more) {
      // A piece already held past this end cannot belong to the datagram
      // (RFC 791 §3.2: the last fragment sets the length). Without this the
      // byte count below could match with pieces outside [0, end).
      if (
        (entry.total >= 0 && entry.total !== end) ||
        entry.pieces.some((p) => p.offset + p.bytes.length > end)
      ) {
        this.counters.overlaps++;
        this.poison(entry);
        return 'overlap';
      }
      entry.total = end;
    }
    if (entry.total >= 0 && end > entry.total) {
      this.counters.overlaps++;
      this.poison(entry);
      return 'overlap';
    }
    if (entry.pieces.length >= this.maxPieces) {
      this.counters.tooManyPieces++;
      this.poison(entry);
      return 'too-many-pieces';
    }
    if (!this.roomFor(entry, payload.length)) {
      this.counters.refusedBytes++;
      this.poison(entry);
      return 'refused-bytes';
    }
    // Deliberate copies: the fragment is an indication view, and the header is kept.
    entry.pieces.push({ offset, bytes: payload.slice() });
    entry.bytes += payload.length;
    entry.end = Math.max(entry.end, end);
    this.held += payload.length;
    this.sourceBytes.set(source, (this.sourceBytes.get(source) ?? 0) + payload.length);
    if (offset === 0) {
      entry.header = header.slice();
      entry.context = context;
    }
    if (entry.total < 0 || entry.bytes !== entry.total || entry.header === undefined) {
      return 'pending';
    }
    // No overlaps, every piece inside [0, total), and the byte count matches:
    // the pieces cover [0, total).
    const whole = new Uint8Array(entry.total);
    for (const piece of entry.pieces) whole.set(piece.bytes, piece.offset);
    this.last = { header: entry.header, payload: whole };
    this.remove(key, entry);
    this.counters.reassembled++;
    return 'complete';
  }

  stats(): ReassemblyStats {
    return { ...this.counters, inProgress: this.pending.size, bytes: this.held };
  }

  /** Drops everything and cancels every timer; idempotent. */
  close(): void {
    this.closed = true;
    for (const [key, entry] of [...this.pending]) this.remove(key, entry);
  }

  /** Evicts one datagram in progress if `source` is at its share or the table is full. */
  private makeRoom(source: string): void {
    let victim: [string, Pending] | undefined;
    if ((this.perSource.get(source) ?? 0) >= this.maxPerSource) {
      victim = this.oldest((entry) => entry.source === source);
    } else if (this.pending.size >= this.maxDatagrams) {
      victim = this.oldest(() => true);
    }
    if (victim === undefined) return;
    this.counters.evicted++;
    this.remove(victim[0], victim[1]);
  }

  /**
   * Makes room for `bytes` more in `entry`: evicts its source's other
   * datagrams (oldest first) while the source would pass `maxSourceBytes`,
   * then the oldest datagram of the source holding the most (this fragment
   * counted) while the table would pass `maxBytes`. False when that would
   * take only `entry` itself: the fragment is refused, so the largest holder
   * pays, never a smaller source.
   */
  private roomFor(entry: Pending, bytes: number): boolean {
    const source = entry.source;
    while ((this.sourceBytes.get(source) ?? 0) + bytes > this.maxSourceBytes) {
      const victim = this.oldest(
        (other) => other !== entry && other.source === source && other.bytes > 0,
      );
      if (victim === undefined) return false;
      this.evict(victim);
    }
    while (this.held + bytes > this.maxBytes) {
      // The source holding the most, counting this fragment (on a tie, this source).
      let largest = source;
      let most = (this.sourceBytes.get(source) ?? 0) + bytes;
      for (const [other, holds] of this.sourceBytes) {
        if (holds > most) {
          largest = other;
          most = holds;
        }
      }
      const victim = this.oldest(
        (other) => other !== entry && other.source === largest && other.bytes > 0,
      );
      if (victim === undefined) return false;
      this.evict(victim);
    }
    return true;
  }

  private evict(victim: [string, Pending]): void {
    this.counters.evicted++;
    this.remove(victim[0], victim[1]);
  }

  /** The oldest entry that `matches`, preferring a dropped (poisoned) one. */
  private oldest(matches: (entry: Pending) => boolean): [string, Pending] | undefined {
    let first: [string, Pending] | undefined;
    for (const pair of this.pending) {
      if (!matches(pair[1])) continue;
      if (pair[1].poisoned) return pair;
      first ??= pair;
    }
    return first;
  }

  /** Drops a datagram's pieces but keeps its key until its timer, so later pieces are refused. */
  private poison(entry: Pending): void {
    this.release(entry);
    entry.pieces = [];
    entry.bytes = 0;
    entry.header = undefined;
    entry.poisoned = true;
  }

  private expire(key: string, entry: Pending): void {
    if (this.pending.get(key) !== entry) return;
    if (!entry.poisoned) this.counters.timeouts++;
    entry.timer = undefined;
    const header = entry.header;
    const first = entry.pieces.find((piece) => piece.offset === 0);
    this.remove(key, entry);
    if (
      !entry.poisoned &&
      header !== undefined &&
      first !== undefined &&
      entry.context !== undefined
    ) {
      this.onExpired?.({ header, payload: first.bytes, context: entry.context });
    }
  }

  private remove(key: string, entry: Pending): void {
    entry.timer?.cancel();
    this.release(entry);
    entry.pieces = [];
    entry.bytes = 0;
    this.pending.delete(key);
    const left = (this.perSource.get(entry.source) ?? 1) - 1;
    if (left === 0) this.perSource.delete(entry.source);
    else this.perSource.set(entry.source, left);
  }

  /** Takes `entry`'s bytes off the totals (the caller clears them). */
  private release(entry: Pending): void {
    this.held -= entry.bytes;
    const left = (this.sourceBytes.get(entry.source) ?? 0) - entry.bytes;
    if (left <= 0) this.sourceBytes.delete(entry.source);
    else this.sourceBytes.set(entry.source, left);
  }
}
