/**
 * netrx/testing: the kit netrx's own tests use, exported so that users can
 * test their code the same way: a virtual clock that moves only when told to
 * (no sleeps, no flakes), and an in-memory wire joining two link adapters
 * that delivers only when the test flushes it, and builders for real frames
 * (ARP, IPv4, IPv6, ICMP, UDP, 802.1Q tags) to script a peer, and a stack
 * harness (a link stack on one end of the wire, the peer's side scripted). More pairs (ports, engines)
 * arrive with their modules; `createEapPair` joins an EAP peer and
 * authenticator in memory. No Node APIs here.
 */
export { VirtualClock } from './virtual-clock.js';
export { createLinkPair, type LinkPair, type LinkPairOptions } from './link-pair.js';
export {
  createStackHarness,
  vlanTagged,
  type StackHarness,
  type StackHarnessOptions,
} from './stack-harness.js';
export {
  arpPacket,
  ethernetFrame,
  icmpv4Echo,
  icmpv6Message,
  ipv4Datagram,
  ipv6Packet,
  udp4,
  udp6,
  type Ipv4DatagramOptions,
} from './frames.js';
export {
  HandleDriver,
  connectHandles,
  type DriverOptions,
  type ReceivedPiece,
  type WebSocketPair,
} from './websocket-pair.js';
export { createPortPair, type PortPair, type PortPeer } from './port-pair.js';
export {
  createEapPair,
  type EapDirection,
  type EapPair,
  type EapPairOptions,
  type EapWireRecord,
} from './eap-pair.js';
