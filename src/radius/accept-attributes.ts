/**
 * What an Access-Accept carries from the session result or the provider,
 * beside EAP-Message and User-Name: MS-MPPE-Send/Recv-Key salt-encrypted
 * with distinct salts (RFC 2548 §2.4.2), MS-MPPE-Encryption-Policy/Types
 * beside them, EAP-Key-Name (RFC 4072 §6.2) and the user's Tunnel-* reply
 * items (RFC 3580 §3.31).
 */
import {
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  encodeVendorSpecific,
  isVendorAttribute,
  type AuthAttribute,
} from '../eap/index.js';
import type { Crypto } from '../runtime/index.js';
import { RadiusAttributeType } from './dictionary.js';
import type { RadiusAttribute } from './packet.js';
import { encryptMppeKey } from './signing.js';

/** Provider attributes copied into Access-Accept: Tunnel-Type, Tunnel-Medium-Type, Tunnel-Private-Group-Id. */
const REPLY_ITEM_TYPES = new Set<number>([
  RadiusAttributeType.TunnelType,
  RadiusAttributeType.TunnelMediumType,
  RadiusAttributeType.TunnelPrivateGroupId,
]);

export function acceptAttributes(
  crypto: Crypto,
  from: readonly AuthAttribute[],
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
  policy: { readonly policy: number; readonly types: number } | false,
): RadiusAttribute[] {
  const attributes: RadiusAttribute[] = [];
  let keys = 0;
  for (const attribute of from) {
    if (
      !isVendorAttribute(attribute) &&
      attribute.type === RadiusAttributeType.EapKeyName &&
      attribute.value.length > 0 &&
      attribute.value.length <= 253
    ) {
      // The method's Session-Id (RFC 4072 §6.2, RFC 5247): EAP-TLS and the tunnels have one.
      attributes.push({ type: RadiusAttributeType.EapKeyName, value: attribute.value });
      continue;
    }
    if (
      !isVendorAttribute(attribute) &&
      REPLY_ITEM_TYPES.has(attribute.type) &&
      attribute.value.length > 0 &&
      attribute.value.length <= 253
    ) {
      // The user's reply items (the users file's VLAN assignment, RFC 3580 §3.31).
      attributes.push({ type: attribute.type, value: attribute.value });
      continue;
    }
    if (!isVendorAttribute(attribute) || attribute.vendorId !== MICROSOFT_VENDOR_ID) continue;
    if (
      attribute.vendorType !== MicrosoftAttributeType.MsMppeSendKey &&
      attribute.vendorType !== MicrosoftAttributeType.MsMppeRecvKey
    )
      continue;
    const salt = crypto.randomBytes(2);
    salt[0] = (salt[0] as number) | 0x80;
    // Send and Recv must not share a salt (RFC 2548 §2.4.2): the second differs in its low bit.
    if (attribute.vendorType === MicrosoftAttributeType.MsMppeRecvKey)
      salt[1] = (salt[1] as number) | 1;
    else salt[1] = (salt[1] as number) & 0xfe;
    const value = encryptMppeKey(crypto, attribute.value, secret, requestAuthenticator, salt);
    attributes.push({
      type: RadiusAttributeType.VendorSpecific,
      value: encodeVendorSpecific({ ...attribute, value }),
    });
    keys++;
  }
  if (keys > 0 && policy !== false) {
    // As FreeRADIUS's mschap module: Encryption-Allowed, RC4-40or128-bit-Allowed by default (RFC 2548 §2.4.4, §2.4.5).
    for (const [vendorType, n] of [
      [MicrosoftAttributeType.MsMppeEncryptionPolicy, policy.policy],
      [MicrosoftAttributeType.MsMppeEncryptionTypes, policy.types],
    ] as const) {
      attributes.push({
        type: RadiusAttributeType.VendorSpecific,
        value: encodeVendorSpecific({
          type: RadiusAttributeType.VendorSpecific,
          vendorId: MICROSOFT_VENDOR_ID,
          vendorType,
          value: Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff),
        }),
      });
    }
  }
  return attributes;
}
