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
 * every frame first, the dropped ones with their reason (pcap writing, and
 * the packet-capture provider, `openPacketCaptureProvider`, which turns
 * them into trace events filtered per listener by the filter data of
 * MSFT_NetEventPacketCaptureProvider). `indicate`
 * never throws: bindings, taps and release callbacks are isolated, counted
 * and traced. A frame indicated from inside a handler or a tap (loopback)
 * gets an indication of its own, one per nesting depth, so the outer one
 * stays valid; nesting is bounded (`maxNesting`). A burst may carry packet
 * descriptors, and one marked `resources` makes itself and the rest of the
 * burst must-copy. With `debugPoisonViews` each binding gets a copy that is
 * overwritten after its call, so a binding that kept a view fails its tests.
 *
 * Each adapter has the controlled port of IEEE 802.1X (`controlledPort`):
 * open by default; per MAC, it lets only EAPOL to the PAE group address or
 * to the adapter through from a MAC until an authenticator authorises it
 * (`PortControl`), and, with directions `both`, sends nothing but EAPOL and
 * group-addressed frames to such a MAC.
 *
 * On top of that model sit the stack's own bindings, each an ordinary
 * `Protocol` with its EtherType list and packet filter: ARP (RFC 826 merge
 * rule, gratuitous ARP, a bounded neighbour cache with RFC 4861 states on an
 * injected clock), IPv4 (own addresses, echo, UDP demultiplexing, rate-limited
 * ICMP errors, bounded reassembly and fragmentation on send, a routing table
 * with a default gateway) and IPv6 (EUI-64 link-local, DAD, Neighbor
 * Discovery, echo, UDP, routes through routers). Each stack belongs to one
 * segment: untagged traffic or one VLAN. UDP sockets receive through the
 * posted-receive model of netrx/receive, with a bounded queue per socket.
 * `createStack` binds all of them on one adapter. Untrusted frames never
 * throw: they are dropped, counted by reason and traced; rejecting a frame
 * for another host allocates nothing, and a reply is one allocation.
 */
export {
  Adapter,
  FRAME_DROP_REASONS,
  SEND_DROP_REASONS,
  type AdapterOptions,
  type AdapterStats,
  type BindingHandle,
  type BindingOptions,
  type BindingStats,
  type FrameDropReason,
  type IndicateOptions,
  type Protocol,
  type ReceiveDescriptor,
  type ReceiveTap,
  type SendDropReason,
  type TransmitTap,
} from './adapter.js';
export {
  ControlledPort,
  DEFAULT_MAX_AUTHORIZED,
  type ControlledDirections,
  type ControlledPortMode,
  type ControlledPortOptions,
  type ControlledPortStats,
  type PortControl,
} from './controlled-port.js';
export { LINK_PROVIDER, LinkEvent, LinkKeyword } from './events.js';
export { Indication, type OutOfBand, type RetainedFrame } from './indication.js';
export {
  classifyDestination,
  Destination,
  PacketFilter,
  type DestinationKind,
} from './packet-filter.js';
export {
  ArpBinding,
  ETHERTYPE_ARP,
  type ArpBindingOptions,
  type ArpDropReason,
  type ArpStats,
} from './arp-binding.js';
export { BindingEvent, BindingKeyword } from './binding-events.js';
export {
  openCaptureTap,
  type CaptureDirection,
  type CaptureListener,
  type CaptureTap,
} from './capture-tap.js';
export {
  PACKET_CAPTURE_PROVIDER_GUID,
  PACKET_CAPTURE_PROVIDER_NAME,
  PacketFragmentReceived,
  PacketFragmentSent,
  openPacketCaptureProvider,
  type PacketCaptureProvider,
  type PacketCaptureStats,
} from './packet-capture-provider.js';
export {
  DEFAULT_TRUNCATION_LENGTH,
  MIN_TRUNCATION_LENGTH,
  compilePacketFilter,
  type CompiledPacketFilter,
  type PacketCaptureFilter,
} from './packet-capture-filter.js';
export {
  ETHERTYPE_IPV4,
  Ipv4Binding,
  type Ipv4AddressConfig,
  type Ipv4BindingOptions,
  type Ipv4DropReason,
  type Ipv4Limits,
  type Ipv4SendDropReason,
  type Ipv4Stats,
} from './ipv4-binding.js';
export {
  ETHERTYPE_IPV6,
  Ipv6Binding,
  ipv6Key,
  linkLocalFromMac,
  type Ipv6AddressInfo,
  type Ipv6AddressState,
  type Ipv6BindingOptions,
  type Ipv6DropReason,
  type Ipv6Limits,
  type Ipv6SendDropReason,
  type Ipv6Stats,
} from './ipv6-binding.js';
export type { MldOptions, MldReportOptions } from './ipv6-mld.js';
export {
  NeighborCache,
  type NeighborCacheHooks,
  type NeighborCacheLimits,
  type NeighborCacheStats,
  type NeighborEntry,
  type NeighborSendResult,
  type NeighborState,
} from './neighbor-cache.js';
export {
  createStack,
  type Stack,
  type StackAddress,
  type StackLimits,
  type StackOptions,
  type StackRoute,
  type StackStats,
} from './stack.js';
export { Ipv4Routes, Ipv6Routes, type RouteInfo } from './routes.js';
export { Reassembly, type ReassemblyLimits, type ReassemblyStats } from './reassembly.js';
export { TokenBucket } from './token-bucket.js';
/** A MAC at an offset as one 48-bit number: the key eapol's session tables use too. */
export { macNumber } from './mac.js';
export {
  UdpSocket,
  UdpSockets,
  type UdpBindOptions,
  type UdpMeta,
  type UdpSendResult,
  type UdpSocketStats,
  type UdpSocketsOptions,
  type UdpTransport,
} from './udp-socket.js';
