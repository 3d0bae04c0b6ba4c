/**
 * Sealing an EAP conversation's state before it leaves the process (a
 * JetStream KV bucket shared by the servers of a cluster): AES-256-GCM
 * through an injected `ConversationAead` (the core has no cipher of its
 * own; netrx/node gives one on node:crypto), a fresh 96-bit nonce from the
 * injected `Crypto` for every write, and as associated data the
 * conversation's State and the record's version (round and the Identifier
 * the conversation awaits). So a record sealed for one conversation does
 * not open under another's State, and a record of an older round, put back
 * by whoever can write the bucket, announces (authenticated) an Identifier
 * the peer's current Response does not carry: it is refused.
 *
 * `0x01 ‖ round (2) ‖ awaited Identifier (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`
 *
 * `openConversation` never throws on bytes from the bucket: every failure
 * is a refusal with a reason the caller counts and traces.
 */
import type { Crypto } from '../runtime/index.js';

/** AES-256-GCM with a key fixed at construction; `open` gives undefined when the tag fails. */
export interface ConversationAead {
  seal(nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array;
  open(nonce: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array | undefined;
}

export const SEALED_FORMAT = 1;
export const SEAL_NONCE_OCTETS = 12;
export const SEAL_TAG_OCTETS = 16;
/** Format, round, awaited Identifier, nonce. */
export const SEAL_HEADER_OCTETS = 4 + SEAL_NONCE_OCTETS;
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

const LABEL = new TextEncoder().encode('netrx eap state 1');

/** The associated data: a label, the State (length-prefixed) and the version header. */
function associatedData(state: Uint8Array, header: Uint8Array): Uint8Array {
  const ad = new Uint8Array(LABEL.length + 1 + state.length + 4);
  ad.set(LABEL);
  ad[LABEL.length] = state.length;
  ad.set(state, LABEL.length + 1);
  ad.set(header.subarray(0, 4), LABEL.length + 1 + state.length);
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
  header[1] = version.round >>> 8;
  header[2] = version.round & 0xff;
  header[3] = version.awaitedIdentifier & 0xff;
  const nonce = header.subarray(4);
  // A fresh nonce per write: GCM under one key must never see a nonce twice.
  crypto.fillRandom(nonce);
  const sealed = aead.seal(nonce, plaintext, associatedData(state, header));
  const out = new Uint8Array(SEAL_HEADER_OCTETS + sealed.length);
  out.set(header);
  out.set(sealed, SEAL_HEADER_OCTETS);
  return out;
}

/** Opens a record read from the bucket for the conversation `state`; never throws. */
export function openConversation(
  aead: ConversationAead,
  state: Uint8Array,
  record: Uint8Array,
): OpenedConversation {
  if (record.length < SEAL_HEADER_OCTETS + SEAL_TAG_OCTETS) return refuse('truncated');
  if (record[0] !== SEALED_FORMAT) return refuse('format');
  if (state.length > 255) return refuse('authentication');
  const header = record.subarray(0, SEAL_HEADER_OCTETS);
  let plaintext: Uint8Array | undefined;
  try {
    plaintext = aead.open(
      header.subarray(4),
      record.subarray(SEAL_HEADER_OCTETS),
      associatedData(state, header),
    );
  } catch {
    // An AEAD that throws on a bad tag instead of answering undefined: the same refusal.
    plaintext = undefined;
  }
  if (plaintext === undefined) return refuse('authentication');
  return {
    ok: true,
    version: {
      round: ((record[1] as number) << 8) | (record[2] as number),
      awaitedIdentifier: record[3] as number,
    },
    plaintext,
  };
}

function refuse(reason: OpenRefusal): OpenedConversation {
  return { ok: false, reason };
}
