/**
 * NDIS packet filter bits (OID_GEN_CURRENT_PACKET_FILTER), with their NDIS
 * values so configurations read the same as on Windows.
 */
export const PacketFilter = {
  Directed: 0x01,
  Multicast: 0x02,
  AllMulticast: 0x04,
  Broadcast: 0x08,
  Promiscuous: 0x20,
} as const;

/** What kind of destination a frame has, decided once per frame by the adapter. */
export const Destination = { Directed: 0, Multicast: 1, Broadcast: 2, Other: 3 } as const;
export type DestinationKind = (typeof Destination)[keyof typeof Destination];

/** Classifies the destination MAC at `frame[0..6)` against `ownMac` without allocating. */
export function classifyDestination(frame: Uint8Array, ownMac: Uint8Array): DestinationKind {
  const first = frame[0] as number;
  if ((first & 1) !== 0) {
    for (let i = 0; i < 6; i++) if (frame[i] !== 0xff) return Destination.Multicast;
    return Destination.Broadcast;
  }
  for (let i = 0; i < 6; i++) if (frame[i] !== ownMac[i]) return Destination.Other;
  return Destination.Directed;
}

/**
 * Whether a binding with `filter` (and `multicast`, its multicast address
 * list as 48-bit numbers) wants a frame of `kind` whose destination is `frame[0..6)`.
 */
export function filterPasses(
  filter: number,
  kind: DestinationKind,
  frame: Uint8Array,
  multicast: ReadonlySet<number>,
): boolean {
  if ((filter & PacketFilter.Promiscuous) !== 0) return true;
  switch (kind) {
    case Destination.Directed:
      return (filter & PacketFilter.Directed) !== 0;
    case Destination.Broadcast:
      return (filter & PacketFilter.Broadcast) !== 0;
    case Destination.Multicast:
      if ((filter & PacketFilter.AllMulticast) !== 0) return true;
      return (filter & PacketFilter.Multicast) !== 0 && multicast.has(macNumber(frame, 0));
    default:
      return false;
  }
}

/** A MAC address at `bytes[at..at+6)` as a 48-bit number (exact in a double). */
export function macNumber(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) * 0x10000 +
      ((bytes[at + 1] as number) << 8) +
      (bytes[at + 2] as number)) *
      0x1000000 +
    (((bytes[at + 3] as number) << 16) |
      ((bytes[at + 4] as number) << 8) |
      (bytes[at + 5] as number))
  );
}
