/**
 * EAP-TLS keys (RFC 5216 §2.3, RFC 9190 §2.3) from the engine's exporter,
 * and the hello randoms the TLS 1.2 Session-Id needs, read from the
 * cleartext handshake records the method carried anyway (Node exposes no
 * server random).
 *
 * TLS 1.2: Key_Material = PRF(master, "client EAP encryption", client.random
 * ‖ server.random), which is the RFC 5705 exporter with no context;
 * Session-Id = Type ‖ client.random ‖ server.random. TLS 1.3:
 * Key_Material = TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", Type, 128),
 * Method-Id = TLS-Exporter("EXPORTER_EAP_TLS_Method-Id", Type, 64),
 * Session-Id = Type ‖ Method-Id. MSK = Key_Material[0..63], EMSK = [64..127].
 */
import type { TlsEngine } from './engine.js';

export interface EapTlsKeys {
  readonly msk: Uint8Array;
  readonly emsk: Uint8Array;
  /** RFC 5247 Session-Id (EAP-Key-Name). */
  readonly sessionId: Uint8Array;
}

export const EAP_TLS_12_LABEL = 'client EAP encryption';
export const EAP_TLS_13_KEY_LABEL = 'EXPORTER_EAP_TLS_Key_Material';
export const EAP_TLS_13_METHOD_ID_LABEL = 'EXPORTER_EAP_TLS_Method-Id';

const HANDSHAKE_RECORD = 22;
export const CLIENT_HELLO = 1;
export const SERVER_HELLO = 2;

/**
 * The 32-byte random of the first ClientHello (1) or ServerHello (2) in a
 * flight of TLS records, or undefined if the flight does not start its
 * handshake messages with one. Never throws.
 */
export function helloRandom(records: Uint8Array, messageType: 1 | 2): Uint8Array | undefined {
  // Handshake messages may span records: join the fragments of the leading handshake records.
  const fragments: Uint8Array[] = [];
  let have = 0;
  let offset = 0;
  while (offset + 5 <= records.length && have < 38) {
    const contentType = records[offset] as number;
    const length = ((records[offset + 3] as number) << 8) | (records[offset + 4] as number);
    if (contentType !== HANDSHAKE_RECORD) break;
    const fragment = records.subarray(offset + 5, Math.min(records.length, offset + 5 + length));
    fragments.push(fragment);
    have += fragment.length;
    offset += 5 + length;
  }
  if (have < 38) return undefined;
  const head = new Uint8Array(38);
  let at = 0;
  for (const fragment of fragments) {
    const take = Math.min(fragment.length, 38 - at);
    head.set(fragment.subarray(0, take), at);
    at += take;
    if (at === 38) break;
  }
  // type(1) length(3) legacy_version(2) random(32)
  if (head[0] !== messageType) return undefined;
  return head.subarray(6, 38);
}

/** MSK, EMSK and Session-Id of an established EAP-TLS session (`type` 13; PEAP/TTLS use their own labels). */
export function eapTlsKeys(
  engine: TlsEngine,
  type: number,
  randoms: { readonly client: Uint8Array | undefined; readonly server: Uint8Array | undefined },
  /** The TLS 1.2 PRF label: EAP-TLS and PEAPv0 "client EAP encryption", TTLS "ttls keying material". */
  label: string = EAP_TLS_12_LABEL,
): EapTlsKeys {
  const typeCode = Uint8Array.of(type);
  if (engine.protocol === 'TLSv1.3') {
    const material = engine.exportKeyingMaterial(EAP_TLS_13_KEY_LABEL, 128, typeCode);
    const methodId = engine.exportKeyingMaterial(EAP_TLS_13_METHOD_ID_LABEL, 64, typeCode);
    const sessionId = new Uint8Array(65);
    sessionId[0] = type;
    sessionId.set(methodId, 1);
    return { msk: material.subarray(0, 64), emsk: material.subarray(64, 128), sessionId };
  }
  const material = engine.exportKeyingMaterial(label, 128);
  let sessionId = new Uint8Array(0);
  if (randoms.client !== undefined && randoms.server !== undefined) {
    sessionId = new Uint8Array(65);
    sessionId[0] = type;
    sessionId.set(randoms.client, 1);
    sessionId.set(randoms.server, 33);
  }
  return { msk: material.subarray(0, 64), emsk: material.subarray(64, 128), sessionId };
}
