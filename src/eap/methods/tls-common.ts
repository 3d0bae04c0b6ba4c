/**
 * What both sides of EAP-TLS and the TLS tunnels (PEAP, later TTLS) share:
 * the options, the method profile (EAP type, version bits, the phase-2
 * handler a tunnel runs once the handshake is done), the outgoing-message
 * state (fragmenter, send capacity), the TLS alert a peer sends for a check
 * the engine made after the handshake, and the keys as user attributes.
 */
import type { EapCode } from '../../wire/eap.js';
import { EapType, EAP_TYPED_HEADER_LENGTH, type EapMessage } from '../../wire/eap.js';
import { mppeKeyAttributes, type AuthAttribute } from '../attributes.js';
import type { EapInput } from '../contract.js';
import type { TlsEngine, TlsEngineFactory } from '../tls/engine.js';
import { encodeTlsTypeData } from '../tls/framing.js';
import { eapTlsKeys, type EapTlsKeys } from '../tls/keys.js';
import type { TlsFragmenter } from '../tls/reassembly.js';
import { TlsReassembler } from '../tls/reassembly.js';

export interface TlsMethodOptions {
  /** Makes the TLS engine of each session (netrx/node: `createNodeTlsEngineFactory`). */
  readonly engines: TlsEngineFactory;
  /** Largest TLS message reassembled from fragments; default 65536. */
  readonly maxMessageLength?: number;
  /** L and the length on unfragmented messages too; default true (FreeRADIUS's `include_length`). */
  readonly lengthOnUnfragmented?: boolean;
}

/**
 * One step of a tunnel's phase 2, as the TLS framing code carries it out:
 * write application data into the tunnel (it goes out as TLS records in
 * EAP fragments), ask the authentication provider (authenticator side), or
 * end the method.
 */
export type TunnelStep =
  | { readonly kind: 'write'; readonly data: Uint8Array }
  | { readonly kind: 'authenticate'; readonly attributes: readonly AuthAttribute[] }
  | {
      readonly kind: 'success';
      readonly reason: string;
      /** The inner identity phase 2 authenticated (reported as User-Name: the Access-Accept's). */
      readonly identity?: string;
    }
  | { readonly kind: 'failure'; readonly reason: string };

/** The authenticator's phase 2: starts once the peer acknowledged the last handshake flight. */
export interface TunnelAuthenticator {
  /** The first inner Request. */
  start(): TunnelStep;
  /** Application data the peer sent through the tunnel (one TLS message's worth). */
  receive(data: Uint8Array): TunnelStep;
  /** The provider's answer to an `authenticate` step. */
  completed(input: EapInput): TunnelStep;
  end(): void;
}

/** The peer's phase 2: answers what the authenticator sends through the tunnel. */
export interface TunnelPeer {
  /**
   * The handshake just finished and the authenticator sent nothing through
   * the tunnel yet: what the peer sends first (TTLS: its AVPs), or undefined
   * to acknowledge and wait (PEAP: the authenticator speaks first).
   */
  start?(): TunnelStep | undefined;
  /** `identifier`: the outer Request's, for inner packets sent without their header. */
  receive(data: Uint8Array, identifier: number): TunnelStep;
  /** Whether phase 2 ended in success, so an outer EAP-Success may be accepted. */
  readonly succeeded: boolean;
  /** Whether the server skipped phase 2 on a resumed session (and the peer accepted it). */
  readonly phase2Skipped?: boolean;
  end(): void;
}

/** What the peer's phase 2 knows of the TLS session under it. */
export interface TunnelSession {
  /**
   * The handshake resumed a session whose earlier authentication's phase 2
   * succeeded (`TlsEngine.resumedAfterPhase2`): a server may skip phase 2.
   */
  readonly resumedAfterPhase2: boolean;
}

/** What makes one TLS-based method differ from another on the common framing. */
export interface TlsMethodProfile {
  /** EAP type: 13 TLS, 25 PEAP, 21 TTLS. */
  readonly type: number;
  readonly name: string;
  /** The version bits sent in every Flags octet (PEAP/TTLS; 0 for EAP-TLS). */
  readonly version: number;
  /** The TLS 1.2 key label; default "client EAP encryption" (EAP-TLS, PEAPv0). */
  readonly keyLabel?: string;
  /** Phase 2, for the tunnels; EAP-TLS has none and ends with the handshake. */
  readonly tunnel?: {
    authenticator(input: EapInput): TunnelAuthenticator;
    peer(input: EapInput, session: TunnelSession): TunnelPeer;
  };
}

export const EAP_TLS_PROFILE: TlsMethodProfile = { type: EapType.Tls, name: 'EAP-TLS', version: 0 };

/** RADIUS EAP-Key-Name (RFC 4072 §6.2): the Session-Id, returned beside the MPPE keys. */
export const EAP_KEY_NAME_ATTRIBUTE = 102;

/** The state both sides keep for the TLS records in flight. */
export interface TlsChannel {
  engine: TlsEngine | undefined;
  readonly reassembler: TlsReassembler;
  /** The message being sent in fragments, until its last fragment went out. */
  sending: TlsFragmenter | undefined;
  /** What the engine produced while the method waited for more (the TLS 1.3 commitment). */
  pendingOutput: Uint8Array[];
  clientRandom: Uint8Array | undefined;
  serverRandom: Uint8Array | undefined;
  /** Why the session failed, once it has: the engine's error or a protocol violation. */
  failure: string | undefined;
}

export function newChannel(options: TlsMethodOptions): TlsChannel {
  return {
    engine: undefined,
    reassembler: new TlsReassembler(
      options.maxMessageLength === undefined ? {} : { maxMessageLength: options.maxMessageLength },
    ),
    sending: undefined,
    pendingOutput: [],
    clientRandom: undefined,
    serverRandom: undefined,
    failure: undefined,
  };
}

export function tlsMessage(
  code: typeof EapCode.Request | typeof EapCode.Response,
  identifier: number,
  typeData: Uint8Array,
  type: number = EapType.Tls,
): EapMessage {
  return { code, identifier, type, typeData };
}

/** An ACK (and a Start carries only S): Flags alone. */
export function flagsOnly(flags: number): Uint8Array<ArrayBuffer> {
  return encodeTlsTypeData(flags, undefined, new Uint8Array(0));
}

/** Type-Data capacity of one EAP packet of `sendCapacity` bytes. */
export function typeDataCapacity(sendCapacity: number): number {
  return sendCapacity - EAP_TYPED_HEADER_LENGTH;
}

/** Joins what the engine produced (often one chunk). */
export function joinOutput(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * A fatal TLS alert record in the clear (content type 21, TLS 1.2 record
 * version). Sent by the peer when Node rejected the server after its
 * handshake finished (expired, wrong name, no server-auth EKU, unknown CA):
 * Node destroys the connection without an alert, and the server must learn
 * it failed rather than wait. After ChangeCipherSpec the server cannot read
 * it as an alert, but it fails its handshake either way.
 */
export function fatalAlertRecord(description: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.of(21, 3, 3, 0, 2, 2, description & 0xff);
}

/** The authenticator's attributes: MS-MPPE-Recv-Key = MSK[0..31], Send-Key = MSK[32..63], EAP-Key-Name. */
export function authenticatorKeyAttributes(keys: EapTlsKeys): readonly AuthAttribute[] {
  return keyAttributes(keys, 'authenticator');
}

/** The peer's view: it sends with what the authenticator receives with. */
export function peerKeyAttributes(keys: EapTlsKeys): readonly AuthAttribute[] {
  return keyAttributes(keys, 'peer');
}

function keyAttributes(keys: EapTlsKeys, side: 'peer' | 'authenticator'): readonly AuthAttribute[] {
  const first = keys.msk.subarray(0, 32);
  const second = keys.msk.subarray(32, 64);
  const mppe =
    side === 'authenticator'
      ? mppeKeyAttributes({ recvKey: first, sendKey: second })
      : mppeKeyAttributes({ sendKey: first, recvKey: second });
  return keys.sessionId.length === 0
    ? mppe
    : [...mppe, { type: EAP_KEY_NAME_ATTRIBUTE, value: keys.sessionId.slice() }];
}

/** The keys, or the reason they cannot be had. */
export function deriveKeys(
  channel: TlsChannel,
  type: number = EapType.Tls,
  label?: string,
): EapTlsKeys | string {
  const engine = channel.engine;
  if (engine === undefined || engine.state !== 'established') return 'TLS handshake not finished';
  try {
    return eapTlsKeys(
      engine,
      type,
      { client: channel.clientRandom, server: channel.serverRandom },
      label,
    );
  } catch (error) {
    return `key export failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The reason text of a failed engine. */
export function engineFailure(engine: TlsEngine): string {
  const error = engine.error;
  return error === undefined ? `TLS engine ${engine.state}` : `TLS ${error.code}: ${error.reason}`;
}
