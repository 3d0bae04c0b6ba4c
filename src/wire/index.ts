/**
 * netrx/wire: typed views and parse/emit for every format netrx speaks.
 *
 * Two shapes per format, after smoltcp: a *view* over a `Uint8Array` with
 * getters named after the RFC's fields, setters for building in place, and
 * `checked`/`unchecked` constructors (checked validates lengths once so the
 * getters cannot read out of bounds; unchecked trusts the caller); and a plain
 * *header object* produced by `parse` and written back by `emit`, so that
 * parse∘emit is the identity. Decoders of untrusted bytes never throw: they
 * return a `Decoded<T>` whose failure carries a stable code. Unknown protocol
 * numbers are kept as numbers so they round-trip. No Node APIs here.
 */
export {
  decoded,
  decodeFailed,
  type Decoded,
  type DecodeFailed,
  type DecodeFailure,
} from './result.js';
// Link-layer formats: checksum, Ethernet, ARP, IPv4/ICMPv4, IPv6/ICMPv6, UDP, VXLAN, EAPOL.
// `parseX` returns `{ header, payload }` (payload ends at the format's own length field,
// so link padding is dropped); ARP and ICMP are whole messages and return the message.
// A checksum the format owns entirely (IPv4 header, ICMPv4, ICMPv6 given its addresses)
// is verified by parse and computed by emit; UDP's stays a raw header field.
export {
  onesComplementSum,
  sumBytes,
  foldChecksum,
  finishChecksum,
  internetChecksum,
  verifyInternetChecksum,
  updateChecksum,
  updateChecksum32,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
} from './checksum.js';
export {
  EtherType,
  ETHERNET_HEADER_LENGTH,
  VLAN_TAG_LENGTH,
  MAX_VLAN_TAGS,
  BROADCAST_MAC,
  EthernetFrame,
  ethernetHeaderLength,
  parseEthernet,
  emitEthernet,
  parseMac,
  formatMac,
  isBroadcastMac,
  isMulticastMac,
  isLocalMac,
  macEquals,
  type EthernetHeader,
  type VlanTag,
} from './ethernet.js';
export {
  ArpOperation,
  ArpHardwareType,
  ARP_FIXED_LENGTH,
  ARP_ETHERNET_IPV4_LENGTH,
  ArpPacket,
  arpHeaderLength,
  parseArp,
  emitArp,
  type ArpHeader,
} from './arp.js';
export { IpProtocol } from './ip-protocol.js';
export {
  IPV4_MIN_HEADER_LENGTH,
  IPV4_MAX_HEADER_LENGTH,
  IPV4_BROADCAST,
  Ipv4OptionType,
  Ipv4Packet,
  ipv4HeaderLength,
  parseIpv4,
  emitIpv4,
  walkIpv4Options,
  parseIpv4Address,
  formatIpv4Address,
  ipv4AddressFromBytes,
  ipv4AddressToBytes,
  isIpv4Multicast,
  ipv4MulticastMac,
  type Ipv4Header,
  type Ipv4Option,
} from './ipv4.js';
export {
  Icmpv4Type,
  Icmpv4UnreachableCode,
  Icmpv4TimeExceededCode,
  ICMPV4_HEADER_LENGTH,
  Icmpv4Packet,
  icmpv4MessageLength,
  parseIcmpv4,
  emitIcmpv4,
  quoteIpv4Datagram,
  type Icmpv4Message,
} from './icmpv4.js';
export {
  IPV6_HEADER_LENGTH,
  IPV6_MAX_EXTENSION_HEADERS,
  Ipv6Packet,
  ipv6HeaderLength,
  parseIpv6,
  emitIpv6,
  isIpv6ExtensionHeader,
  walkIpv6Extensions,
  parseIpv6Address,
  formatIpv6Address,
  isIpv6LinkLocal,
  isIpv6Multicast,
  isIpv6Unspecified,
  isIpv6SolicitedNode,
  ipv6AddressEquals,
  solicitedNodeMulticast,
  ipv6MulticastMac,
  type Ipv6Header,
  type Ipv6ExtensionHeader,
  type Ipv6ExtensionWalk,
  type Ipv6FragmentInfo,
} from './ipv6.js';
export {
  Icmpv6Type,
  Icmpv6UnreachableCode,
  NdOptionType,
  ICMPV6_HEADER_LENGTH,
  Icmpv6Packet,
  icmpv6MessageLength,
  parseIcmpv6,
  emitIcmpv6,
  parseNdOptions,
  emitNdOptions,
  ndOptionsLength,
  type Icmpv6Message,
  type Icmpv6Addresses,
  type NdOption,
} from './icmpv6.js';
export {
  UDP_HEADER_LENGTH,
  UdpDatagram,
  udpHeaderLength,
  parseUdp,
  emitUdp,
  type UdpHeader,
} from './udp.js';
export {
  VXLAN_PORT,
  VXLAN_HEADER_LENGTH,
  VXLAN_FLAG_I,
  VxlanPacket,
  vxlanHeaderLength,
  parseVxlan,
  emitVxlan,
  type VxlanHeader,
} from './vxlan.js';
export {
  EAPOL_ETHERTYPE,
  PAE_GROUP_ADDRESS,
  EAPOL_HEADER_LENGTH,
  EapolPacketType,
  EapolPacket,
  eapolHeaderLength,
  parseEapol,
  emitEapol,
  isPaeGroupAddress,
  decodeEapolPdu,
  emitEapolFrame,
  EAPOL_MAX_VERSION,
  EAPOL_FRAME_BODY_OFFSET,
  type EapolHeader,
  type EapolPdu,
} from './eapol.js';
export * from './pcap/index.js';
export * from './websocket/index.js';
export * from './lrec/index.js';
export {
  EapCode,
  EapType,
  EAP_HEADER_LENGTH,
  EAP_TYPED_HEADER_LENGTH,
  EAP_EXPANDED_HEADER_LENGTH,
  EAP_MAX_LENGTH,
  EXPANDED_NAK,
  EXPANDED_NAK_VENDOR_TYPE,
  isEapMessage,
  parseEap,
  emitEap,
  encodeEap,
  eapPacketLength,
  parseNak,
  parseExpandedNak,
  nakTypeData,
  expandedNakTypeData,
  type EapMessage,
  type EapResult,
  type EapPacket,
  type ExpandedType,
} from './eap.js';
export * from './dcerpc/index.js';
