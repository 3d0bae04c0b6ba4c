/**
 * The TLS engine seam: what a TLS-based EAP method (EAP-TLS, later PEAP and
 * TTLS) needs from a TLS implementation, so the methods stay sans-I/O. The
 * method feeds the engine the TLS records it reassembled from EAP packets,
 * waits for the engine to settle (`whenSettled`: Node's `tls` answers a few
 * event-loop turns later; a synchronous engine calls back at once), takes
 * the records to send and fragments them. Certificates, CAs and name checks
 * are the engine's configuration (netrx/node's `createNodeTlsEngineFactory`);
 * the engine reports the outcome (`state`, `error`) and exports keys.
 */

export type TlsRole = 'client' | 'server';

export type TlsEngineState = 'handshaking' | 'established' | 'failed' | 'closed';

/** Why an engine failed, for traces and people. */
export interface TlsEngineError {
  /** A stable short code: the OpenSSL/Node code (`CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`) or netrx's. */
  readonly code: string;
  readonly reason: string;
  /** The TLS AlertDescription (RFC 8446 §6) a peer should send for it, when the engine sent none itself. */
  readonly alert?: number;
}

/** The other side's leaf certificate, as the method may report or check it. */
export interface TlsPeerCertificate {
  readonly subject: string;
  readonly commonName: string | undefined;
  /** `DNS:name`, `email:…` entries. */
  readonly subjectAltNames: readonly string[];
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly serialNumber: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint256: string;
  /** Extended key usage OIDs (absent extension: empty). */
  readonly extendedKeyUsage: readonly string[];
}

export interface TlsEngine {
  readonly role: TlsRole;
  readonly state: TlsEngineState;
  /** 'TLSv1.2', 'TLSv1.3' once negotiated. */
  readonly protocol: string | undefined;
  /** Whether the handshake resumed an earlier session (TLS 1.2 session ID or ticket, TLS 1.3 PSK). */
  readonly resumed?: boolean;
  /**
   * Whether this engine's sessions can be resumed later (its factory shares
   * ticket keys): then the records it writes after the handshake (TLS 1.3
   * NewSessionTickets) are worth a round trip to deliver.
   */
  readonly resumable?: boolean;
  /**
   * Client role: the handshake resumed a session whose earlier EAP
   * authentication's phase 2 succeeded (`markPhase2Succeeded` was called on
   * the engine that made or last resumed it). A PEAP peer may then accept a
   * server that skips phase 2 (hostapd, wpa_supplicant). False for a full
   * handshake, and for a session whose phase 2 failed or never ran.
   */
  readonly resumedAfterPhase2?: boolean;
  /** Client role: this session's phase 2 succeeded; a later resumption of it may skip phase 2. */
  markPhase2Succeeded?(): void;
  readonly error: TlsEngineError | undefined;
  /**
   * Once established: the negotiated cipher suite (its standard name) and,
   * client role, the key exchange group the server chose (`X25519`,
   * `prime256v1`, …; undefined when the engine cannot tell). For logs and
   * benchmarks that compare like with like.
   */
  readonly negotiated?: { readonly cipher: string; readonly group: string | undefined };
  /** TLS records received from the other side. The engine copies what it keeps. */
  feed(records: Uint8Array): void;
  /** Application data to send inside the tunnel (the TLS 1.3 commitment message, PEAP/TTLS). */
  writeApplicationData(data: Uint8Array): void;
  /** Calls `settled` once, when everything fed or written so far has been processed. */
  whenSettled(settled: () => void): void;
  /** The TLS records produced since the last call (empty if none). */
  takeOutput(): Uint8Array;
  /** Application data received since the last call (empty if none). */
  takeApplicationData(): Uint8Array;
  /** RFC 5705 / RFC 8446 §7.5 exporter. Throws unless `established`. */
  exportKeyingMaterial(label: string, length: number, context?: Uint8Array): Uint8Array;
  peerCertificate(): TlsPeerCertificate | undefined;
  /** Releases the engine; no callbacks follow. */
  close(): void;
}

/** Makes one engine per EAP session. */
export interface TlsEngineFactory {
  create(role: TlsRole): TlsEngine;
}
