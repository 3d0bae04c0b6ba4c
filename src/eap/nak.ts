/** What a Nak or an Expanded Nak asks for (RFC 3748 §5.3), for the authenticator's method choice. */
import {
  EapType,
  EXPANDED_NAK,
  parseExpandedNak,
  parseNak,
  type EapMessage,
  type ExpandedType,
} from '../wire/eap.js';

export interface Desired {
  readonly type: number;
  readonly expanded?: ExpandedType;
}

/** The types a Nak or Expanded Nak asks for; undefined when the packet is no Nak. */
export function nakList(
  packet: EapMessage,
): { ok: true; desired: readonly Desired[] } | { ok: false; code: string } | undefined {
  if (packet.type === EapType.Nak) {
    const list = parseNak(packet.typeData);
    if (!list.ok) return { ok: false, code: list.failure.code };
    return { ok: true, desired: list.value.filter((t) => t !== 0).map((type) => ({ type })) };
  }
  const expanded = packet.expanded;
  if (
    packet.type === EapType.Expanded &&
    expanded !== undefined &&
    expanded.vendorId === EXPANDED_NAK.vendorId &&
    expanded.vendorType === EXPANDED_NAK.vendorType
  ) {
    const list = parseExpandedNak(packet.typeData);
    if (!list.ok) return { ok: false, code: list.failure.code };
    // IETF types appear with vendor 0 and their legacy number; others stay expanded.
    const desired = list.value
      .filter((t) => !(t.vendorId === 0 && t.vendorType === 0))
      .map((t): Desired =>
        t.vendorId === 0 && t.vendorType < EapType.Expanded
          ? { type: t.vendorType }
          : { type: EapType.Expanded, expanded: t },
      );
    return { ok: true, desired };
  }
  return undefined;
}
