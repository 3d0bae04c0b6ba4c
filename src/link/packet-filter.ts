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
 * list) wants a frame of `kind` whose destination is `frame[0..6)`.
 */
export function filterPasses(
  filter: number,
  kind: DestinationKind,
  frame: Uint8Array,
  multicast: MulticastList,
): boolean {
  if ((filter & PacketFilter.Promiscuous) !== 0) return true;
  switch (kind) {
    case Destination.Directed:
      return (filter & PacketFilter.Directed) !== 0;
    case Destination.Broadcast:
      return (filter & PacketFilter.Broadcast) !== 0;
    case Destination.Multicast:
      if ((filter & PacketFilter.AllMulticast) !== 0) return true;
      return (filter & PacketFilter.Multicast) !== 0 && multicast.includes(frame, 0);
    default:
      return false;
  }
}

/**
 * A binding's multicast address list (OID_802_3_MULTICAST_LIST). Each MAC is
 * kept as two 24-bit halves, small integers V8 never boxes, so testing a
 * frame against the list allocates nothing (a 48-bit number would be a heap
 * number on every frame). Lists are short; the scan is linear.
 */
export class MulticastList {
  private readonly highs: number[] = [];
  private readonly lows: number[] = [];

  get size(): number {
    return this.highs.length;
  }

  /** Whether the MAC at `bytes[at..at+6)` is listed. No allocation. */
  includes(bytes: Uint8Array, at: number): boolean {
    const high =
      ((bytes[at] as number) << 16) | ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
    const low =
      ((bytes[at + 3] as number) << 16) |
      ((bytes[at + 4] as number) << 8) |
      (bytes[at + 5] as number);
    const highs = this.highs;
    for (let i = 0; i < highs.length; i++)
      if (highs[i] === high && this.lows[i] === low) return true;
    return false;
  }

  add(mac: Uint8Array): void {
    if (this.includes(mac, 0)) return;
    this.highs.push(((mac[0] as number) << 16) | ((mac[1] as number) << 8) | (mac[2] as number));
    this.lows.push(((mac[3] as number) << 16) | ((mac[4] as number) << 8) | (mac[5] as number));
  }

  delete(mac: Uint8Array): boolean {
    const high = ((mac[0] as number) << 16) | ((mac[1] as number) << 8) | (mac[2] as number);
    const low = ((mac[3] as number) << 16) | ((mac[4] as number) << 8) | (mac[5] as number);
    for (let i = 0; i < this.highs.length; i++) {
      if (this.highs[i] === high && this.lows[i] === low) {
        this.highs.splice(i, 1);
        this.lows.splice(i, 1);
        return true;
      }
    }
    return false;
  }
}
