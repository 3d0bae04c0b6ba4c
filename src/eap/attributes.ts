/**
 * User attributes (`RAS_AUTH_ATTRIBUTE`): what a method hands the framework
 * for `authenticate`, and what it returns on success (MS-MPPE keys). RAS
 * numbers `raatType` as RADIUS numbers its attributes, so these are RADIUS
 * attribute shapes; the RADIUS codec (netrx/radius, later) puts them on the
 * wire, including the RFC 2548 salt encryption of the MPPE keys, which needs
 * the shared secret and the Request Authenticator and so cannot happen here.
 */
import { utf8Bytes } from '../bytes/index.js';

/** `raatType` values used by the framework and the methods (RADIUS numbering, RFC 2865/2548/3579). */
export const AuthAttributeType = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  VendorSpecific: 26,
  State: 24,
  SessionTimeout: 27,
  ChapChallenge: 60,
  EapMessage: 79,
} as const;

/** Microsoft's SMI network management private enterprise code. */
export const MICROSOFT_VENDOR_ID = 311;

/** Microsoft vendor-specific attribute types (RFC 2548). */
export const MicrosoftAttributeType = {
  MsChapResponse: 1,
  MsChapError: 2,
  MsChapChallenge: 11,
  MsMppeEncryptionPolicy: 7,
  MsMppeEncryptionTypes: 8,
  MsMppeSendKey: 16,
  MsMppeRecvKey: 17,
  MsChap2Response: 25,
  MsChap2Success: 26,
} as const;

/** A plain attribute: `raaType` and its value. */
export interface StandardAuthAttribute {
  readonly type: number;
  readonly value: Uint8Array;
}

/** A Vendor-Specific attribute (type 26) holding one vendor sub-attribute (RFC 2865 §5.26 format). */
export interface VendorAuthAttribute {
  readonly type: typeof AuthAttributeType.VendorSpecific;
  readonly vendorId: number;
  readonly vendorType: number;
  /** The sub-attribute's value; for the MPPE keys, the plain key (the RADIUS codec salts it). */
  readonly value: Uint8Array;
}

export type AuthAttribute = StandardAuthAttribute | VendorAuthAttribute;

export function isVendorAttribute(attribute: AuthAttribute): attribute is VendorAuthAttribute {
  return (
    attribute.type === AuthAttributeType.VendorSpecific &&
    (attribute as Partial<VendorAuthAttribute>).vendorId !== undefined
  );
}

/** A User-Name attribute from a string (UTF-8, RFC 2865 §5.1). */
export function userNameAttribute(name: string): StandardAuthAttribute {
  return { type: AuthAttributeType.UserName, value: utf8Bytes(name) };
}

/** The first attribute of `type` (and, for 26, vendor and vendor type). */
export function findAttribute(
  attributes: readonly AuthAttribute[] | undefined,
  type: number,
  vendor?: { readonly vendorId: number; readonly vendorType: number },
): AuthAttribute | undefined {
  if (attributes === undefined) return undefined;
  return attributes.find((attribute) => {
    if (attribute.type !== type) return false;
    if (vendor === undefined) return true;
    return (
      isVendorAttribute(attribute) &&
      attribute.vendorId === vendor.vendorId &&
      attribute.vendorType === vendor.vendorType
    );
  });
}

/**
 * The MPPE keys a key-deriving method returns with `done`/`send-and-done`
 * (RFC 2548 §2.4.2/2.4.3, vendor 311 types 16 and 17), as the method sees
 * them: Send-Key is what this side encrypts with. On the authenticator the
 * RADIUS Access-Accept carries MS-MPPE-Recv-Key = MSK[0..31] and
 * MS-MPPE-Send-Key = MSK[32..63]. Keys are copied: the method may reuse its
 * buffers after the call.
 */
export function mppeKeyAttributes(keys: {
  readonly sendKey: Uint8Array;
  readonly recvKey: Uint8Array;
}): readonly VendorAuthAttribute[] {
  for (const [name, key] of [
    ['sendKey', keys.sendKey],
    ['recvKey', keys.recvKey],
  ] as const) {
    // RFC 2548: Key-Length is one octet, and the whole sub-attribute must fit in 255.
    if (key.length === 0 || key.length > 239) {
      throw new RangeError(`MPPE ${name} must be 1..239 bytes: got ${key.length}`);
    }
  }
  return [
    {
      type: AuthAttributeType.VendorSpecific,
      vendorId: MICROSOFT_VENDOR_ID,
      vendorType: MicrosoftAttributeType.MsMppeSendKey,
      value: keys.sendKey.slice(), // deliberate copy: the attribute outlives the call
    },
    {
      type: AuthAttributeType.VendorSpecific,
      vendorId: MICROSOFT_VENDOR_ID,
      vendorType: MicrosoftAttributeType.MsMppeRecvKey,
      value: keys.recvKey.slice(),
    },
  ];
}

/**
 * The RFC 2865 §5.26 value of a Vendor-Specific attribute: Vendor-Id (4
 * octets), then the vendor's sub-attribute Vendor-Type (1), Vendor-Length (1,
 * counting these two octets) and the value. Throws RangeError past 253 octets
 * (RADIUS's attribute limit) or with out-of-range numbers.
 */
export function encodeVendorSpecific(attribute: VendorAuthAttribute): Uint8Array<ArrayBuffer> {
  const length = 6 + attribute.value.length;
  if (length > 253) {
    throw new RangeError(`Vendor-Specific value of ${length} bytes exceeds RADIUS's 253`);
  }
  if (
    !Number.isInteger(attribute.vendorId) ||
    attribute.vendorId < 0 ||
    attribute.vendorId > 0xffffff
  ) {
    throw new RangeError(`Vendor-Id must be 0..0xffffff: got ${attribute.vendorId}`);
  }
  if (
    !Number.isInteger(attribute.vendorType) ||
    attribute.vendorType < 0 ||
    attribute.vendorType > 0xff
  ) {
    throw new RangeError(`Vendor-Type must be 0..255: got ${attribute.vendorType}`);
  }
  const out = new Uint8Array(length);
  out[1] = attribute.vendorId >>> 16;
  out[2] = (attribute.vendorId >>> 8) & 0xff;
  out[3] = attribute.vendorId & 0xff;
  out[4] = attribute.vendorType;
  out[5] = 2 + attribute.value.length;
  out.set(attribute.value, 6);
  return out;
}

/**
 * The plaintext String of an MS-MPPE-Send/Recv-Key before RFC 2548 §2.4.2's
 * salt encryption: Key-Length (1 octet), the key, zero padding to a multiple
 * of 16. The RADIUS codec encrypts this with a salt it prepends.
 */
export function mppeKeyPlaintext(key: Uint8Array): Uint8Array<ArrayBuffer> {
  const padded = Math.ceil((1 + key.length) / 16) * 16;
  const out = new Uint8Array(padded);
  out[0] = key.length;
  out.set(key, 1);
  return out;
}
