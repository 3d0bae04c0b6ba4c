/**
 * A protocol bound to an adapter: what it implements (`Protocol`, NDIS
 * ProtocolReceive / ProtocolReceiveComplete), how it is bound
 * (`BindingOptions`), its handle (`BindingHandle`, NdisOpenAdapter's
 * result) and the adapter's per-binding state.
 */
import { Indication, type FrameMeta } from './indication.js';
import { MulticastList, PacketFilter } from './packet-filter.js';

/** What a bound protocol implements (NDIS ProtocolReceive / ProtocolReceiveComplete). */
export interface Protocol {
  /** Decide quickly: return `'accepted'` after copying what you need, or `'not-accepted'`. */
  receive(indication: Indication): 'accepted' | 'not-accepted';
  /** Deferred work, once per burst of indications (ProtocolReceiveComplete). */
  receiveComplete?(): void;
}

export interface BindingOptions {
  /** For statistics and traces. */
  readonly name: string;
  /** Bytes of lookahead wanted (OID_GEN_CURRENT_LOOKAHEAD). Default 128. */
  readonly lookahead?: number;
  /** NDIS packet-filter bits. Default Directed | Broadcast. */
  readonly packetFilter?: number;
  /** Only frames of these EtherTypes are indicated; absent means all. */
  readonly etherTypes?: readonly number[];
  /** Multicast MAC addresses wanted with the Multicast filter bit. */
  readonly multicast?: readonly Uint8Array[];
}

export interface BindingStats {
  readonly name: string;
  /** Frames indicated to the binding (they passed its filters). */
  readonly indicated: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Frames its packet filter or EtherType list kept from it. */
  readonly filtered: number;
  readonly transfers: number;
  readonly retains: number;
  /** Calls to `receive` or `receiveComplete` that threw: a throwing `receive` counts as not accepted. */
  readonly handlerErrors: number;
}

/** A protocol's handle on an adapter (NdisOpenAdapter's result). */
export interface BindingHandle {
  readonly name: string;
  setLookahead(bytes: number): void;
  setPacketFilter(filter: number): void;
  addMulticast(mac: Uint8Array): void;
  removeMulticast(mac: Uint8Array): void;
  /** Sends a whole frame through the adapter; false if its controlled port held it back. */
  send(frame: Uint8Array): boolean;
  stats(): BindingStats;
  /** Unbinds; idempotent. A binding closed during an indication gets no more calls. */
  close(): void;
}

/** @internal The adapter's state for one binding. */
export class Binding {
  /** One per nesting depth of `indicate`, made the first time a depth is reached. */
  private readonly indications: Indication[] = [new Indication()];
  readonly multicast = new MulticastList();
  etherTypes: ReadonlySet<number> | undefined;
  lookahead: number;
  packetFilter: number;
  open = true;
  pendingComplete = false;
  indicated = 0;
  accepted = 0;
  rejected = 0;
  filtered = 0;
  handlerErrors = 0;
  /** Indicated and accepted since the last reorder, and the decayed acceptance rate. */
  periodIndicated = 0;
  periodAccepted = 0;
  acceptanceScore = 0;

  constructor(
    readonly protocol: Protocol,
    readonly name: string,
    options: BindingOptions,
  ) {
    this.lookahead = options.lookahead ?? 128;
    this.packetFilter = options.packetFilter ?? PacketFilter.Directed | PacketFilter.Broadcast;
    this.etherTypes = options.etherTypes === undefined ? undefined : new Set(options.etherTypes);
    for (const mac of options.multicast ?? []) this.multicast.add(mac);
  }

  /** The binding's indication for nesting depth `depth`, bound to `frame` and `meta`. */
  begin(depth: number, frame: Uint8Array, meta: FrameMeta): Indication {
    let indication = this.indications[depth];
    if (indication === undefined) this.indications[depth] = indication = new Indication();
    indication.begin(frame, meta);
    return indication;
  }

  stats(): BindingStats {
    let transfers = 0;
    let retains = 0;
    for (const indication of this.indications) {
      transfers += indication.transfers;
      retains += indication.retains;
    }
    return {
      name: this.name,
      indicated: this.indicated,
      accepted: this.accepted,
      rejected: this.rejected,
      filtered: this.filtered,
      transfers,
      retains,
      handlerErrors: this.handlerErrors,
    };
  }
}
