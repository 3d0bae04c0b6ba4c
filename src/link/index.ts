/**
 * netrx/link: the NDIS receive model (seed 004, `ProtocolReceive`).
 *
 * An `Adapter` (the miniport) indicates received frames. Every protocol bound
 * to it with `openBinding` gets equal access: its `receive` sees the header
 * and the lookahead as read-only views valid only during the call and returns
 * `'accepted'` or `'not-accepted'` quickly; a rejection costs O(1) and
 * allocates nothing (the `Indication` object is reused, and the EtherType is
 * decoded once per frame). The adapter delivers a lookahead of at least
 * min(the largest any binding asked for, the packet); when that is short of
 * the packet, `transferData` copies the rest, once per indication and only
 * during it. `receiveComplete` runs once per burst, for deferred work, and
 * copes with a frame indicated while it runs. Full-packet indications may be
 * kept with `retain` (reference counted, `release` hands the buffer back),
 * unless the adapter indicated with `mustCopy` (NDIS_STATUS_RESOURCES).
 *
 * Frames are untrusted: a runt or a giant is dropped, counted and traced;
 * padding and FCS are left in place (NDIS removes nothing), so each protocol
 * uses its own length field; frames may come out of order or twice. Taps see
 * every frame first (pcap writing, the capture provider). With
 * `debugPoisonViews` each binding gets a copy that is overwritten after its
 * call, so a binding that kept a view fails its tests.
 */
export {
  Adapter,
  type AdapterOptions,
  type AdapterStats,
  type BindingHandle,
  type BindingOptions,
  type BindingStats,
  type IndicateOptions,
  type Protocol,
} from './adapter.js';
export { LINK_PROVIDER, LinkEvent, LinkKeyword } from './events.js';
export { Indication, type OutOfBand, type RetainedFrame } from './indication.js';
export {
  classifyDestination,
  Destination,
  PacketFilter,
  type DestinationKind,
} from './packet-filter.js';
