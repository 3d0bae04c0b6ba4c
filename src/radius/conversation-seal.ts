/**
 * Sealing an EAP conversation's state before it leaves the process (a
 * JetStream KV bucket shared by the servers of a cluster): AES-256-GCM
 * through an injected `ConversationAead` (the core has no cipher of its
 * own; netrx/node gives one on node:crypto), a fresh 96-bit nonce from the
 * injected `Crypto` for every write, and as associated data the
 * conversation's State and the record's header (format, key id, round and
 * the Identifier the conversation awaits).
 *
 * What that gives, exactly: a record sealed for one conversation does not
 * open under another's State; a header altered in the bucket does not
 * open; and the round and awaited Identifier a record announces are the
 * ones its writer sealed. It does NOT tell a reader that a record is the
 * newest: someone who can write the bucket can put back an older record
 * of the same conversation, and it opens. The servers catch that with the
 * bucket's history and the sealed `basedOn` (conversation-kv.ts: the entry
 * a put-back replaced is still there after it, `rewound`), with what they
 * remember (a round older than one seen here), and with the answered round
 * kept inside each record (a replay of the request a record already
 * answered gets that answer again, and nothing is written).
 *
 * `0x02 ‖ key id (1) ‖ round (2) ‖ awaited Identifier (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`
 *
 * The key id lets two keys be accepted during a rotation: records are
 * sealed with the current key and opened with whichever key carries the
 * id in the header (both are tried when their ids collide; the tag
 * decides). `openConversation` never throws on bytes from the bucket:
 * every failure is a refusal with a reason the caller counts and traces.
 */
import type { Crypto } from '../runtime/index.js';

/** AES-256-GCM with a key fixed at construction; `open` gives undefined when the tag fails. */
export interface ConversationAead {
  /** One octet naming the key in the sealed header (netrx/node: the first octet of its SHA-256). */
  readonly keyId: number;
  seal(nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array;
  open(nonce: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array | undefined;
}

export const SEALED_FORMAT = 2;
export const SEAL_NONCE_OCTETS = 12;
export const SEAL_TAG_OCTETS = 16;
/** Format, key id, round, awaited Identifier: authenticated, in the clear. */
const VERSION_OCTETS = 5;
/** The version octets and the nonce. */
export const SEAL_HEADER_OCTETS = VERSION_OCTETS + SEAL_NONCE_OCTETS;
/** The key the AEAD is built with: AES-256. */
export const STATE_KEY_OCTETS = 32;

/** What a sealed record says about itself, authenticated with it. */
export interface SealedVersion {
  /** Writes of this conversation so far (1 for the first); 0..65535. */
  readonly round: number;
  /** The EAP Identifier of the Request the conversation awaits a Response to. */
  readonly awaitedIdentifier: number;
}

export type OpenRefusal = 'truncated' | 'format' | 'authentication';

export type OpenedConversation =
  | { readonly ok: true; readonly version: SealedVersion; readonly plaintext: Uint8Array }
  | { readonly ok: false; readonly reason: OpenRefusal };

const LABEL = new TextEncoder().encode('netrx eap state 2');

/** The associated data: a label, the State (length-prefixed) and the version octets. */
function associatedData(state: Uint8Array, header: Uint8Array): Uint8Array {
  const ad = new Uint8Array(LABEL.length + 1 + state.length + VERSION_OCTETS);
  ad.set(LABEL);
  ad[LABEL.length] = state.length;
  ad.set(state, LABEL.length + 1);
  ad.set(header.subarray(0, VERSION_OCTETS), LABEL.length + 1 + state.length);
  return ad;
}

/** Seals `plaintext` for the conversation named by `state` at `version`. */
export function sealConversation(
  aead: ConversationAead,
  crypto: Crypto,
  state: Uint8Array,
  version: SealedVersion,
  plaintext: Uint8Array,
): Uint8Array {
  if (!Number.isInteger(version.round) || version.round < 0 || version.round > 0xffff) {
    throw new RangeError(`sealed round must be 0..65535: got ${version.round}`);
  }
  if (state.length > 255) throw new RangeError('State over 255 octets');
  const header = new Uint8Array(SEAL_HEADER_OCTETS);
  header[0] = SEALED_FORMAT;
  header[1] = aead.keyId & 0xff;
  header[2] = version.round >>> 8;
  header[3] = version.round & 0xff;
  header[4] = version.awaitedIdentifier & 0xff;
  const nonce = header.subarray(VERSION_OCTETS);
  // A fresh nonce per write: GCM under one key must never see a nonce twice.
  crypto.fillRandom(nonce);
  const sealed = aead.seal(nonce, plaintext, associatedData(state, header));
  const out = new Uint8Array(SEAL_HEADER_OCTETS + sealed.length);
  out.set(header);
  out.set(sealed, SEAL_HEADER_OCTETS);
  return out;
}

/**
 * Opens a record read from the bucket for the conversation `state` with
 * the key its header names among `aeads` (the current key, then the
 * previous one during a rotation); never throws.
 */
export function openConversation(
  aeads: ConversationAead | readonly ConversationAead[],
  state: Uint8Array,
  record: Uint8Array,
): OpenedConversation {
  if (record.length < SEAL_HEADER_OCTETS + SEAL_TAG_OCTETS) return refuse('truncated');
  if (record[0] !== SEALED_FORMAT) return refuse('format');
  if (state.length > 255) return refuse('authentication');
  const header = record.subarray(0, SEAL_HEADER_OCTETS);
  const ad = associatedData(state, header);
  const candidates: readonly ConversationAead[] = isKeyList(aeads) ? aeads : [aeads];
  let plaintext: Uint8Array | undefined;
  for (const aead of candidates) {
    if ((aead.keyId & 0xff) !== record[1]) continue;
    plaintext = openWith(aead, header, record, ad);
    if (plaintext !== undefined) break;
  }
  if (plaintext === undefined) return refuse('authentication');
  return {
    ok: true,
    version: {
      round: ((record[2] as number) << 8) | (record[3] as number),
      awaitedIdentifier: record[4] as number,
    },
    plaintext,
  };
}

function isKeyList(
  aeads: ConversationAead | readonly ConversationAead[],
): aeads is readonly ConversationAead[] {
  return Array.isArray(aeads);
}

function openWith(
  aead: ConversationAead,
  header: Uint8Array,
  record: Uint8Array,
  ad: Uint8Array,
): Uint8Array | undefined {
  try {
    return aead.open(header.subarray(VERSION_OCTETS), record.subarray(SEAL_HEADER_OCTETS), ad);
  } catch {
    // An AEAD that throws on a bad tag instead of answering undefined: the same refusal.
    return undefined;
  }
}

function refuse(reason: OpenRefusal): OpenedConversation {
  return { ok: false, reason };
}
