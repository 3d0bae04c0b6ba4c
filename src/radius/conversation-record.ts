/**
 * What an EAP conversation is outside its process (the plaintext the seal
 * covers, conversation-seal.ts): who began it, the authenticator's
 * snapshot, and the round its writer just answered, so that a NAS's
 * retransmit of that round reaching another server is answered the same
 * (RFC 5080 §2.2.2 duplicate handling, cluster-wide).
 *
 * The encoded record is padded with zeros to a size bucket (256, 512,
 * 1024, then multiples of 1024 octets): the sealed value's length shows
 * the bucket, not the identity's length (which appears more than once
 * inside: the record's field and the snapshot's).
 */
import { ByteWriter, SavedStateReader } from '../eap/methods/saved-state.js';

/** The Access-Request a record's writer answered, and the EAP Request it answered with. */
export interface AnsweredRound {
  /** The RADIUS Identifier, Request Authenticator and source port of that Access-Request. */
  readonly radiusIdentifier: number;
  readonly requestAuthenticator: Uint8Array;
  readonly port: number;
  /** The EAP Identifier of the Response it carried. */
  readonly eapIdentifier: number;
  /** The EAP Request sent back in its Access-Challenge. */
  readonly eapRequest: Uint8Array;
}

/** What a conversation is outside its process: who began it, and its authenticator's snapshot. */
export interface ConversationRecord {
  /** The name of the client entry the NAS matched. */
  readonly client: string;
  /** The NAS address that began it: a State is honoured from that NAS only. */
  readonly address: string;
  /** The peer's Response/Identity text (a later User-Name must equal it). */
  readonly identity: Uint8Array | undefined;
  /** `EapAuthenticator.snapshot()`. */
  readonly authenticator: Uint8Array;
  /** The round this record's writer answered, when it answered one (not a bare EAP-Start). */
  readonly answered?: AnsweredRound | undefined;
}

/** The parts of an Access-Request that make it a retransmit of another (RFC 5080 §2.2.2). */
export interface RetransmitKey {
  readonly radiusIdentifier: number;
  readonly requestAuthenticator: Uint8Array;
  readonly port: number;
  readonly eapIdentifier: number;
}

const RECORD_FORMAT = 2;
const ABSENT = 0xffff;
const REQUEST_AUTHENTICATOR_OCTETS = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** True when `request` is the Access-Request `answered` answered, sent again. */
export function isRetransmitOf(
  answered: AnsweredRound | undefined,
  request: RetransmitKey,
): boolean {
  if (answered === undefined) return false;
  if (answered.radiusIdentifier !== request.radiusIdentifier) return false;
  if (answered.port !== request.port || answered.eapIdentifier !== request.eapIdentifier) {
    return false;
  }
  const a = answered.requestAuthenticator;
  const b = request.requestAuthenticator;
  return a.length === b.length && a.every((octet, i) => octet === b[i]);
}

/** The size an encoded record is padded to: 256, 512, 1024, then the next multiple of 1024. */
export function paddedRecordLength(length: number): number {
  for (const bucket of [256, 512, 1024]) if (length <= bucket) return bucket;
  return Math.ceil(length / 1024) * 1024;
}

export function encodeRecord(record: ConversationRecord): Uint8Array {
  const client = encoder.encode(record.client);
  const address = encoder.encode(record.address);
  if (client.length > 255 || address.length > 255) throw new RangeError('record name too long');
  if (record.authenticator.length >= ABSENT) throw new RangeError('snapshot too long');
  const answered = record.answered;
  const writer = ByteWriter.growable(128 + record.authenticator.length);
  writer.u8(RECORD_FORMAT).u8(client.length).bytes(client).u8(address.length).bytes(address);
  if (record.identity === undefined) writer.u16(ABSENT);
  else writer.u16(record.identity.length).bytes(record.identity);
  writer.u16(record.authenticator.length).bytes(record.authenticator);
  if (answered === undefined) writer.u8(0);
  else {
    if (answered.requestAuthenticator.length !== REQUEST_AUTHENTICATOR_OCTETS) {
      throw new RangeError('Request Authenticator must be 16 octets');
    }
    writer
      .u8(1)
      .u8(answered.radiusIdentifier)
      .u16(answered.port)
      .bytes(answered.requestAuthenticator)
      .u8(answered.eapIdentifier)
      .u16(answered.eapRequest.length)
      .bytes(answered.eapRequest);
  }
  const body = writer.finish();
  // Deliberate copy into the padded size: the length must not tell the identity's.
  const padded = new Uint8Array(paddedRecordLength(body.length));
  padded.set(body);
  return padded;
}

/** The record inside a sealed value, or undefined when its framing is wrong. Never throws. */
export function decodeRecord(bytes: Uint8Array): ConversationRecord | undefined {
  const reader = new SavedStateReader(bytes);
  if (reader.u8() !== RECORD_FORMAT) return undefined;
  const client = reader.shortBytes();
  const address = reader.shortBytes();
  const identityLength = reader.u16();
  const identity = identityLength === ABSENT ? undefined : reader.bytes(identityLength);
  const authenticator = reader.bytes(reader.u16());
  let answered: AnsweredRound | undefined;
  const hasAnswered = reader.u8();
  if (hasAnswered === 1) {
    const radiusIdentifier = reader.u8();
    const port = reader.u16();
    const requestAuthenticator = reader.bytes(REQUEST_AUTHENTICATOR_OCTETS);
    const eapIdentifier = reader.u8();
    const eapRequest = reader.bytes(reader.u16());
    answered = { radiusIdentifier, port, requestAuthenticator, eapIdentifier, eapRequest };
  } else if (hasAnswered !== 0) return undefined;
  if (reader.failed) return undefined;
  try {
    return {
      client: decoder.decode(client),
      address: decoder.decode(address),
      identity,
      authenticator,
      answered,
    };
  } catch {
    return undefined;
  }
}
