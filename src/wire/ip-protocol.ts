/**
 * IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), shared by
 * the IPv4 Protocol field (RFC 791 §3.1) and the IPv6 Next Header field
 * (RFC 8200 §3), which draw from the same registry. Unknown values stay plain
 * numbers so they round-trip.
 */
export const IpProtocol = {
  HopByHop: 0,
  Icmp: 1,
  Igmp: 2,
  Tcp: 6,
  Udp: 17,
  Ipv6: 41,
  Ipv6Route: 43,
  Ipv6Fragment: 44,
  Esp: 50,
  Ah: 51,
  Icmpv6: 58,
  Ipv6NoNextHeader: 59,
  Ipv6DestinationOptions: 60,
  Sctp: 132,
} as const;
export type IpProtocol = (typeof IpProtocol)[keyof typeof IpProtocol];
