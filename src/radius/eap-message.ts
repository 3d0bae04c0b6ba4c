/**
 * EAP over RADIUS (RFC 3579 §3.1): an EAP packet travels in consecutive
 * EAP-Message attributes of at most 253 octets each, concatenated by the
 * receiver. One empty EAP-Message is the NAS's "EAP-Start". The concatenation
 * must be exactly one EAP packet (its Length equals what arrived).
 */
import { decodeFailed, decoded, type Decoded } from '../wire/result.js';
import { RadiusAttributeType } from './dictionary.js';
import { RADIUS_MAX_VALUE, type RadiusAttribute, type RadiusPacket } from './packet.js';

/** Splits an EAP packet into EAP-Message attributes of at most 253 octets (views, no copy). */
export function eapMessageAttributes(eap: Uint8Array): RadiusAttribute[] {
  if (eap.length === 0) return [{ type: RadiusAttributeType.EapMessage, value: eap }];
  const out: RadiusAttribute[] = [];
  for (let at = 0; at < eap.length; at += RADIUS_MAX_VALUE) {
    out.push({
      type: RadiusAttributeType.EapMessage,
      value: eap.subarray(at, at + RADIUS_MAX_VALUE),
    });
  }
  return out;
}

/** What a packet's EAP-Message attributes hold. */
export type EapCarried =
  | { readonly kind: 'none' }
  | { readonly kind: 'start' }
  | { readonly kind: 'eap'; readonly bytes: Uint8Array };

/**
 * Reassembles the EAP packet. Failure codes: `eap-not-consecutive`
 * (another attribute between two EAP-Messages), `eap-length-mismatch` (the
 * EAP Length is not the concatenated size).
 */
export function carriedEap(packet: RadiusPacket): Decoded<EapCarried> {
  let first = -1;
  let last = -1;
  let total = 0;
  const { attributes } = packet;
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes[i] as RadiusAttribute;
    if (attribute.type !== RadiusAttributeType.EapMessage) continue;
    if (first < 0) first = i;
    else if (last !== i - 1) {
      return decodeFailed('eap-not-consecutive', 'EAP-Message attributes are not consecutive');
    }
    last = i;
    total += attribute.value.length;
  }
  if (first < 0) return decoded({ kind: 'none' });
  if (total === 0) return decoded({ kind: 'start' });
  let bytes: Uint8Array;
  if (first === last) bytes = (attributes[first] as RadiusAttribute).value;
  else {
    // Deliberate copy: a fragmented EAP packet is not contiguous on the wire.
    const joined = new Uint8Array(total);
    let at = 0;
    for (let i = first; i <= last; i++) {
      const value = (attributes[i] as RadiusAttribute).value;
      joined.set(value, at);
      at += value.length;
    }
    bytes = joined;
  }
  const length = bytes.length >= 4 ? ((bytes[2] as number) << 8) | (bytes[3] as number) : -1;
  if (length !== total) {
    return decodeFailed('eap-length-mismatch', `EAP Length ${length} but ${total} octets arrived`);
  }
  return decoded({ kind: 'eap', bytes });
}
