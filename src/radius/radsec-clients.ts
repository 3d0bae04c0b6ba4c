/**
 * Which RadSec client (RFC 6614) a TLS peer is. Every peer has already
 * shown a certificate that chains to the configured CA (the transport
 * refuses the rest); this table decides which declared client it is, and
 * so which entry (name, limits) the RADIUS server applies to its requests.
 *
 * A client is declared by any of: a source address or prefix, the
 * certificate's subject CN, one of its DNS subjectAltNames (an exact name,
 * or `*.example.net` for any one label below), its SHA-256 fingerprint.
 * Every criterion a client gives must hold; the first declared client
 * whose criteria all hold wins (as radsecproxy's `client` blocks with
 * `matchCertificateAttribute`; FreeRADIUS matches TLS clients by address
 * only). A client with no criterion at all matches every certificate of the
 * CA. A peer that matches nothing is refused (`unknown-certificate`).
 *
 * The shared secret is `radsec` (RFC 6614 §2.3); Message-Authenticator is
 * not required on PAP Access-Requests by default because TLS already
 * protects every packet (what BlastRADIUS needs); EAP and Status-Server
 * still need it, as on UDP.
 */
import { addressBytes, radiusClientEntry, type RadiusClientEntry } from './clients.js';
import { RadiusClientTable } from './clients.js';

/** The fixed RadSec shared secret (RFC 6614 §2.3). */
export const RADSEC_SECRET = 'radsec';

export interface RadSecClientOptions {
  /** For traces and accounting records. */
  readonly name: string;
  /** Source address or prefix the connection must come from; default any. */
  readonly address?: string;
  /** The certificate's subject CN must be this (case-insensitive). */
  readonly commonName?: string;
  /** One of the certificate's DNS subjectAltNames must be this (or match `*.suffix`). */
  readonly dnsName?: string;
  /** The certificate's SHA-256 fingerprint, hex (colons and case ignored). */
  readonly fingerprint256?: string;
  /** Default `radsec`; some deployments set another (FreeRADIUS lets them). */
  readonly secret?: string;
  /** Message-Authenticator on every Access-Request; default false over TLS (EAP always needs it). */
  readonly requireMessageAuthenticator?: boolean;
  /** Connections this client may hold at once; default the listener's `maxConnectionsPerClient`. */
  readonly maxConnections?: number;
  /** EAP conversations this client may have at once; default the server's. */
  readonly maxSessions?: number;
}

/** What the transport knows about a TLS peer once its certificate is verified. */
export interface RadSecPeer {
  readonly address: string;
  readonly commonName: string | undefined;
  readonly dnsNames: readonly string[];
  /** Hex, any case, colons allowed. */
  readonly fingerprint256: string;
}

export interface RadSecClientMatch {
  readonly entry: RadiusClientEntry;
  readonly options: RadSecClientOptions;
}

interface Declared {
  readonly options: RadSecClientOptions;
  readonly entry: RadiusClientEntry;
  /** A table of the one prefix, when an address is given. */
  readonly source: RadiusClientTable | undefined;
  readonly fingerprint: string | undefined;
}

function normalFingerprint(text: string): string {
  return text.replace(/:/g, '').toLowerCase();
}

function dnsMatches(pattern: string, names: readonly string[]): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) {
    const suffix = p.slice(1); // ".example.net"
    return names.some((n) => {
      const name = n.toLowerCase();
      return (
        name.endsWith(suffix) &&
        !name.slice(0, -suffix.length).includes('.') &&
        name.length > suffix.length
      );
    });
  }
  return names.some((n) => n.toLowerCase() === p);
}

export class RadSecClientTable {
  private readonly declared: Declared[] = [];

  constructor(clients: readonly RadSecClientOptions[]) {
    for (const client of clients) this.add(client);
  }

  add(client: RadSecClientOptions): void {
    if (client.name === '') throw new TypeError('a RadSec client needs a name');
    if (
      client.fingerprint256 !== undefined &&
      !/^[0-9a-f]{64}$/.test(normalFingerprint(client.fingerprint256))
    ) {
      throw new TypeError(`RadSec client ${client.name}: fingerprint256 must be 32 octets of hex`);
    }
    if (
      client.address !== undefined &&
      addressBytes(client.address.split('/')[0] ?? '') === undefined
    ) {
      throw new TypeError(
        `RadSec client ${client.name}: ${JSON.stringify(client.address)} is not an IP address or prefix`,
      );
    }
    if (
      client.maxConnections !== undefined &&
      !(Number.isSafeInteger(client.maxConnections) && client.maxConnections > 0)
    ) {
      throw new RangeError(
        `RadSec client ${client.name}: maxConnections must be a positive integer`,
      );
    }
    const entry = radiusClientEntry({
      address: client.address ?? 'radsec',
      name: client.name,
      secret: client.secret ?? RADSEC_SECRET,
      requireMessageAuthenticator: client.requireMessageAuthenticator ?? false,
      // TLS authenticates every packet: no forged Proxy-State to guard against.
      limitProxyState: false,
      ...(client.maxSessions === undefined ? {} : { maxSessions: client.maxSessions }),
    });
    this.declared.push({
      options: client,
      entry,
      source:
        client.address === undefined
          ? undefined
          : new RadiusClientTable([{ address: client.address, secret: RADSEC_SECRET }]),
      fingerprint:
        client.fingerprint256 === undefined ? undefined : normalFingerprint(client.fingerprint256),
    });
  }

  /** The first declared client the peer satisfies, or undefined (refuse it). */
  lookup(peer: RadSecPeer): RadSecClientMatch | undefined {
    const fingerprint = normalFingerprint(peer.fingerprint256);
    for (const d of this.declared) {
      const o = d.options;
      if (d.source !== undefined && d.source.lookup(peer.address) === undefined) continue;
      if (d.fingerprint !== undefined && d.fingerprint !== fingerprint) continue;
      if (
        o.commonName !== undefined &&
        o.commonName.toLowerCase() !== (peer.commonName ?? '').toLowerCase()
      )
        continue;
      if (o.dnsName !== undefined && !dnsMatches(o.dnsName, peer.dnsNames)) continue;
      return { entry: d.entry, options: o };
    }
    return undefined;
  }

  get size(): number {
    return this.declared.length;
  }
}
