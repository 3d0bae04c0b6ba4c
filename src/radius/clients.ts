/**
 * The NASes a server answers (FreeRADIUS's `clients.conf`): each declared by
 * an address or a prefix (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`) with
 * its own secret and strictness. A source matches the longest prefix that
 * contains it; an IPv4-mapped IPv6 source (`::ffff:a.b.c.d`) is looked up
 * as IPv4. Sources that match nothing are unknown clients.
 */
import { parseIpv4Address } from '../wire/ipv4.js';
import { parseIpv6Address } from '../wire/ipv6.js';

export interface RadiusClientOptions {
  /** An address or `address/prefix-length`, IPv4 or IPv6. */
  readonly address: string;
  readonly secret: string | Uint8Array;
  /** For traces and accounting records; default the address. */
  readonly name?: string;
  /**
   * Refuse Access-Requests without a valid Message-Authenticator, EAP or not
   * (BlastRADIUS, CVE-2024-3596); default true. Requests carrying EAP-Message
   * and Status-Server always need one (RFC 3579, RFC 5997).
   */
  readonly requireMessageAuthenticator?: boolean | 'auto';
  /** Refuse a Message-Authenticator that is not the first attribute (strict); default false. */
  readonly requireMessageAuthenticatorFirst?: boolean;
  /**
   * With Message-Authenticator not required: drop Access-Requests carrying
   * Proxy-State but no Message-Authenticator (a NAS sends no Proxy-State;
   * BlastRADIUS forges it). `'auto'` (default), as FreeRADIUS 3.2.5: the
   * first Access-Request decides: without Proxy-State the client is a NAS
   * and the limit applies from then on; with one it is a proxy and it does not.
   */
  readonly limitProxyState?: boolean | 'auto';
  /** EAP conversations this client may have in progress at once; default the server's `maxSessionsPerClient`. */
  readonly maxSessions?: number;
}

export interface RadiusClientEntry {
  readonly name: string;
  readonly secret: Uint8Array;
  /**
   * `'auto'`, as FreeRADIUS 3.2.5 `require_message_authenticator = auto`:
   * the first Access-Request decides; if it carries a valid
   * Message-Authenticator, every later one must.
   */
  readonly requireMessageAuthenticator: boolean | 'auto';
  readonly requireMessageAuthenticatorFirst: boolean;
  readonly limitProxyState: boolean | 'auto';
  readonly maxSessions: number | undefined;
}

interface Prefix {
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly entry: RadiusClientEntry;
}

const encoder = new TextEncoder();

/** An address as 4 or 16 bytes; IPv4-mapped IPv6 becomes 4. Undefined when not an address. */
export function addressBytes(text: string): Uint8Array | undefined {
  const v4 = parseIpv4Address(text);
  if (v4 !== undefined)
    return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff);
  const v6 = parseIpv6Address(text.replace(/%.*$/, ''));
  if (v6 === undefined) return undefined;
  const mapped = v6.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff));
  return mapped ? v6.slice(12) : v6;
}

function matches(prefix: Prefix, address: Uint8Array): boolean {
  if (prefix.bytes.length !== address.length) return false;
  const whole = prefix.length >>> 3;
  for (let i = 0; i < whole; i++) if (prefix.bytes[i] !== address[i]) return false;
  const bits = prefix.length & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (((prefix.bytes[whole] as number) ^ (address[whole] as number)) & mask) === 0;
}

/** Source addresses whose lookup is remembered (the memo is emptied when full). */
const MAX_REMEMBERED = 1024;

/**
 * One client entry from its options (the address is only its default name):
 * what the table holds per prefix, and what a transport that identifies
 * clients otherwise (RadSec, by certificate) hands the server in
 * `RadiusEndpoint.client`. Throws TypeError/RangeError on a bad option.
 */
export function radiusClientEntry(client: RadiusClientOptions): RadiusClientEntry {
  const secret =
    typeof client.secret === 'string' ? encoder.encode(client.secret) : client.secret.slice();
  if (secret.length === 0)
    throw new TypeError(`RADIUS client ${client.address} needs a non-empty secret`);
  if (
    client.maxSessions !== undefined &&
    !(Number.isSafeInteger(client.maxSessions) && client.maxSessions > 0)
  ) {
    throw new RangeError(`RADIUS client ${client.address}: maxSessions must be a positive integer`);
  }
  return {
    name: client.name ?? client.address,
    secret,
    requireMessageAuthenticator: client.requireMessageAuthenticator ?? true,
    requireMessageAuthenticatorFirst: client.requireMessageAuthenticatorFirst ?? false,
    limitProxyState: client.limitProxyState ?? 'auto',
    maxSessions: client.maxSessions,
  };
}

export class RadiusClientTable {
  private readonly prefixes: Prefix[] = [];
  /** Lookups by source address text (null: unknown client), so a request does not parse its address again. */
  private readonly remembered = new Map<string, RadiusClientEntry | null>();

  constructor(clients: readonly RadiusClientOptions[]) {
    for (const client of clients) this.add(client);
  }

  add(client: RadiusClientOptions): void {
    const [addressText = '', lengthText] = client.address.split('/');
    const bytes = addressBytes(addressText);
    if (bytes === undefined) {
      throw new TypeError(
        `RADIUS client address ${JSON.stringify(client.address)} is not an IP address or prefix`,
      );
    }
    const max = bytes.length * 8;
    const length =
      lengthText === undefined
        ? max
        : /^\d{1,3}$/.test(lengthText)
          ? Number(lengthText)
          : Number.NaN;
    if (!(length >= 0 && length <= max)) {
      throw new RangeError(
        `RADIUS client prefix length must be 0..${max}: ${JSON.stringify(client.address)}`,
      );
    }
    this.prefixes.push({ bytes, length, entry: radiusClientEntry(client) });
    // Longest prefix first, so the first match is the most specific.
    this.prefixes.sort((a, b) => b.length - a.length);
    this.remembered.clear();
  }

  /** The client a source address belongs to, or undefined for an unknown client. */
  lookup(address: string): RadiusClientEntry | undefined {
    const known = this.remembered.get(address);
    if (known !== undefined) return known ?? undefined;
    const bytes = addressBytes(address);
    const entry =
      bytes === undefined
        ? undefined
        : this.prefixes.find((prefix) => matches(prefix, bytes))?.entry;
    // Bounded: a flood of spoofed sources empties the memo, it never grows past the limit.
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
    this.remembered.set(address, entry ?? null);
    return entry;
  }

  get size(): number {
    return this.prefixes.length;
  }
}
