/**
 * The RADIUS dictionary netrx knows: the standard attributes (RFC 2865,
 * 2866, 2869, 3162, 3579, 5080, 5997) and the Microsoft vendor set (vendor
 * 311, RFC 2548), with FreeRADIUS's names and data types, so traces,
 * accounting records and tests can speak in names. Values are decoded for
 * people (`formatValue`); the codec itself works on numbers and bytes.
 */
import { toHex } from '../bytes/index.js';
import { formatIpv4Address } from '../wire/ipv4.js';
import { integerValue } from './packet.js';

export type AttributeDataType = 'text' | 'string' | 'integer' | 'ipaddr' | 'date' | 'octets';

export interface AttributeDefinition {
  readonly name: string;
  readonly type: number;
  readonly dataType: AttributeDataType;
}

/** Attribute numbers the server and client use by name. */
export const RadiusAttributeType = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  NasPort: 5,
  ServiceType: 6,
  FramedMtu: 12,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  AcctStatusType: 40,
  AcctSessionId: 44,
  EventTimestamp: 55,
  ChapChallenge: 60,
  NasPortType: 61,
  EapMessage: 79,
  MessageAuthenticator: 80,
  OriginalPacketCode: 101,
  EapKeyName: 102,
  TunnelType: 64,
  TunnelMediumType: 65,
  TunnelPassword: 69,
  TunnelPrivateGroupId: 81,
} as const;

/** Acct-Status-Type values (RFC 2866 §5.1). */
export const AcctStatusType = {
  Start: 1,
  Stop: 2,
  InterimUpdate: 3,
  AccountingOn: 7,
  AccountingOff: 8,
} as const;

const standard: readonly [number, string, AttributeDataType][] = [
  [1, 'User-Name', 'text'],
  [2, 'User-Password', 'string'],
  [3, 'CHAP-Password', 'octets'],
  [4, 'NAS-IP-Address', 'ipaddr'],
  [5, 'NAS-Port', 'integer'],
  [6, 'Service-Type', 'integer'],
  [7, 'Framed-Protocol', 'integer'],
  [8, 'Framed-IP-Address', 'ipaddr'],
  [9, 'Framed-IP-Netmask', 'ipaddr'],
  [10, 'Framed-Routing', 'integer'],
  [11, 'Filter-Id', 'text'],
  [12, 'Framed-MTU', 'integer'],
  [13, 'Framed-Compression', 'integer'],
  [14, 'Login-IP-Host', 'ipaddr'],
  [15, 'Login-Service', 'integer'],
  [16, 'Login-TCP-Port', 'integer'],
  [18, 'Reply-Message', 'text'],
  [19, 'Callback-Number', 'text'],
  [20, 'Callback-Id', 'text'],
  [22, 'Framed-Route', 'text'],
  [23, 'Framed-IPX-Network', 'ipaddr'],
  [24, 'State', 'octets'],
  [25, 'Class', 'octets'],
  [26, 'Vendor-Specific', 'octets'],
  [27, 'Session-Timeout', 'integer'],
  [28, 'Idle-Timeout', 'integer'],
  [29, 'Termination-Action', 'integer'],
  [30, 'Called-Station-Id', 'text'],
  [31, 'Calling-Station-Id', 'text'],
  [32, 'NAS-Identifier', 'text'],
  [33, 'Proxy-State', 'octets'],
  [34, 'Login-LAT-Service', 'text'],
  [35, 'Login-LAT-Node', 'text'],
  [36, 'Login-LAT-Group', 'octets'],
  [37, 'Framed-AppleTalk-Link', 'integer'],
  [38, 'Framed-AppleTalk-Network', 'integer'],
  [39, 'Framed-AppleTalk-Zone', 'text'],
  [40, 'Acct-Status-Type', 'integer'],
  [41, 'Acct-Delay-Time', 'integer'],
  [42, 'Acct-Input-Octets', 'integer'],
  [43, 'Acct-Output-Octets', 'integer'],
  [44, 'Acct-Session-Id', 'text'],
  [45, 'Acct-Authentic', 'integer'],
  [46, 'Acct-Session-Time', 'integer'],
  [47, 'Acct-Input-Packets', 'integer'],
  [48, 'Acct-Output-Packets', 'integer'],
  [49, 'Acct-Terminate-Cause', 'integer'],
  [50, 'Acct-Multi-Session-Id', 'text'],
  [51, 'Acct-Link-Count', 'integer'],
  [52, 'Acct-Input-Gigawords', 'integer'],
  [53, 'Acct-Output-Gigawords', 'integer'],
  [55, 'Event-Timestamp', 'date'],
  [60, 'CHAP-Challenge', 'octets'],
  [61, 'NAS-Port-Type', 'integer'],
  [62, 'Port-Limit', 'integer'],
  [63, 'Login-LAT-Port', 'text'],
  [64, 'Tunnel-Type', 'octets'],
  [65, 'Tunnel-Medium-Type', 'octets'],
  [69, 'Tunnel-Password', 'octets'],
  [77, 'Connect-Info', 'text'],
  [79, 'EAP-Message', 'octets'],
  [80, 'Message-Authenticator', 'octets'],
  [81, 'Tunnel-Private-Group-Id', 'octets'],
  [85, 'Acct-Interim-Interval', 'integer'],
  [87, 'NAS-Port-Id', 'text'],
  [88, 'Framed-Pool', 'text'],
  [95, 'NAS-IPv6-Address', 'octets'],
  [101, 'Error-Cause', 'integer'],
  [102, 'EAP-Key-Name', 'octets'],
];

const microsoft: readonly [number, string, AttributeDataType][] = [
  [1, 'MS-CHAP-Response', 'octets'],
  [2, 'MS-CHAP-Error', 'string'],
  [3, 'MS-CHAP-CPW-1', 'octets'],
  [4, 'MS-CHAP-CPW-2', 'octets'],
  [5, 'MS-CHAP-LM-Enc-PW', 'octets'],
  [6, 'MS-CHAP-NT-Enc-PW', 'octets'],
  [7, 'MS-MPPE-Encryption-Policy', 'integer'],
  [8, 'MS-MPPE-Encryption-Types', 'integer'],
  [9, 'MS-RAS-Vendor', 'integer'],
  [10, 'MS-CHAP-Domain', 'string'],
  [11, 'MS-CHAP-Challenge', 'octets'],
  [12, 'MS-CHAP-MPPE-Keys', 'octets'],
  [13, 'MS-BAP-Usage', 'integer'],
  [14, 'MS-Link-Utilization-Threshold', 'integer'],
  [15, 'MS-Link-Drop-Time-Limit', 'integer'],
  [16, 'MS-MPPE-Send-Key', 'octets'],
  [17, 'MS-MPPE-Recv-Key', 'octets'],
  [18, 'MS-RAS-Version', 'string'],
  [19, 'MS-Old-ARAP-Password', 'octets'],
  [20, 'MS-New-ARAP-Password', 'octets'],
  [21, 'MS-ARAP-PW-Change-Reason', 'integer'],
  [22, 'MS-Filter', 'octets'],
  [23, 'MS-Acct-Auth-Type', 'integer'],
  [24, 'MS-Acct-EAP-Type', 'integer'],
  [25, 'MS-CHAP2-Response', 'octets'],
  [26, 'MS-CHAP2-Success', 'octets'],
  [27, 'MS-CHAP2-CPW', 'octets'],
  [28, 'MS-Primary-DNS-Server', 'ipaddr'],
  [29, 'MS-Secondary-DNS-Server', 'ipaddr'],
  [30, 'MS-Primary-NBNS-Server', 'ipaddr'],
  [31, 'MS-Secondary-NBNS-Server', 'ipaddr'],
];

function table(
  rows: readonly [number, string, AttributeDataType][],
): ReadonlyMap<number, AttributeDefinition> {
  return new Map(rows.map(([type, name, dataType]) => [type, { type, name, dataType }]));
}

/** The standard attributes by number. */
export const STANDARD_ATTRIBUTES = table(standard);
/** Vendor 311's sub-attributes by number. */
export const MICROSOFT_ATTRIBUTES = table(microsoft);
/** Vendor dictionaries by Vendor-Id. */
export const VENDOR_ATTRIBUTES: ReadonlyMap<
  number,
  ReadonlyMap<number, AttributeDefinition>
> = new Map([[311, MICROSOFT_ATTRIBUTES]]);

const byName = new Map<
  string,
  { readonly vendorId: number; readonly definition: AttributeDefinition }
>();
for (const definition of STANDARD_ATTRIBUTES.values())
  byName.set(definition.name, { vendorId: 0, definition });
for (const definition of MICROSOFT_ATTRIBUTES.values())
  byName.set(definition.name, { vendorId: 311, definition });

/** An attribute by its FreeRADIUS name; vendorId 0 for the standard ones. */
export function attributeByName(
  name: string,
): { readonly vendorId: number; readonly definition: AttributeDefinition } | undefined {
  return byName.get(name);
}

/** The name of an attribute, `Attr-N` (or `Vendor-V-Attr-N`) when unknown, as FreeRADIUS prints them. */
export function attributeName(type: number, vendorId = 0): string {
  if (vendorId === 0) return STANDARD_ATTRIBUTES.get(type)?.name ?? `Attr-${type}`;
  return VENDOR_ATTRIBUTES.get(vendorId)?.get(type)?.name ?? `Vendor-${vendorId}-Attr-${type}`;
}

const text = new TextDecoder('utf-8', { fatal: false });

/** A value for people: text as text, integers and addresses as numbers, the rest as 0x hex. */
export function formatValue(
  dataType: AttributeDataType | undefined,
  value: Uint8Array,
): string | number {
  switch (dataType) {
    case 'text':
      return text.decode(value);
    case 'integer':
    case 'date':
      return integerValue(value) ?? `0x${toHex(value)}`;
    case 'ipaddr':
      return value.length === 4 ? formatIpv4Address(value) : `0x${toHex(value)}`;
    default:
      return `0x${toHex(value)}`;
  }
}
