/**
 * What an EAP conversation is outside its process (the plaintext the seal
 * covers, conversation-seal.ts): who began it, the authenticator's
 * snapshot, the round its writer just answered, so that a NAS's
 * retransmit of that round reaching another server is answered the same,
 * and the revision its write compared against (`basedOn`, see
 * conversation-kv.ts on rewinds).
 *
 * The cluster-wide retransmit rule (R3 of the second review): RFC 5080
 * §2.2.2 detects duplicates by source address, source port, RADIUS
 * Identifier and Request Authenticator, per server. After a failover the
 * NAS may send from another socket (a new port) or keep an Identifier
 * space per server (a new Identifier, so a new Request Authenticator), so
 * none of those survive it. What does is the EAP conversation: the same
 * State, the same EAP Identifier and a byte-identical EAP Response (its
 * SHA-256 is kept, `responseDigest`); RFC 3748 §4.1 makes the answer to a
 * duplicate Response the same Request again. It is safe to re-send on
 * that: the Access-Request still passed the Message-Authenticator check
 * with the client's secret, its NAS address must be the one the record
 * began with, and what goes back is the EAP Request already sent for that
 * very Response: nothing is computed or written, so a replay learns
 * nothing new and moves nothing on. The RADIUS-level key stays in the
 * local duplicate cache (duplicate-cache.ts).
 *
 * A conversation's last round leaves a **finished** record in its place
 * (`finished`): the answer its writer gave (Accept with the method's
 * attributes, MPPE keys among them, or Reject) with the final
 * Access-Request in `answered` and the EAP Success/Failure as its
 * `eapRequest`, so a NAS retransmit of that request reaching another
 * server gets the same answer; the authenticator snapshot is then empty.
 * It follows the answered round (its flag is 0 in every earlier record,
 * which the zero padding already reads as).
 *
 * The encoded record is padded with zeros to a size bucket (256, 512,
 * 1024, then multiples of 1024 octets): the sealed value's length shows
 * the bucket, not the identity's length (which appears more than once
 * inside: the record's field and the snapshot's).
 */
import { AuthAttributeType, isVendorAttribute, type AuthAttribute } from '../eap/index.js';
import { ByteWriter, SavedStateReader } from '../eap/methods/saved-state.js';

/** The Access-Request a record's writer answered, and the EAP Request it answered with. */
export interface AnsweredRound {
  /** The EAP Identifier of the Response it carried. */
  readonly eapIdentifier: number;
  /** SHA-256 of that EAP Response (reassembled from its EAP-Message attributes). */
  readonly responseDigest: Uint8Array;
  /** The EAP Request sent back in its Access-Challenge. */
  readonly eapRequest: Uint8Array;
}

/** The answer a finished conversation gave to its last Access-Request. */
export interface FinishedAnswer {
  readonly outcome: 'accept' | 'reject';
  /** The identity the method authenticated (the Accept's User-Name). */
  readonly identity: string | undefined;
  /** The session result's attributes: MPPE keys in the clear (salted per response), EAP-Key-Name, reply items. */
  readonly attributes: readonly AuthAttribute[];
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
  /** Set when the conversation ended: the answer to `answered` (whose `eapRequest` is the EAP Success/Failure). */
  readonly finished?: FinishedAnswer | undefined;
  /** The revision its writer's compare-and-set expected; 0 for the record that created the key. */
  readonly basedOn: number;
}

/** What makes an Access-Request a retransmit of the round a record answered, across servers. */
export interface RetransmitKey {
  readonly eapIdentifier: number;
  /** SHA-256 of its EAP Response. */
  readonly responseDigest: Uint8Array;
}

/** Format 3: the retransmit key is the EAP Response's digest (was RADIUS fields and port), and `basedOn`. */
const RECORD_FORMAT = 3;
const ABSENT = 0xffff;
export const RESPONSE_DIGEST_OCTETS = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** True when `request` is the Access-Request `answered` answered, sent again. */
export function isRetransmitOf(
  answered: AnsweredRound | undefined,
  request: RetransmitKey,
): boolean {
  if (answered === undefined) return false;
  if (answered.eapIdentifier !== request.eapIdentifier) return false;
  const a = answered.responseDigest;
  const b = request.responseDigest;
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
  if (!Number.isSafeInteger(record.basedOn) || record.basedOn < 0) {
    throw new RangeError('basedOn must be a revision');
  }
  const answered = record.answered;
  const writer = ByteWriter.growable(128 + record.authenticator.length);
  writer
    .u8(RECORD_FORMAT)
    .u32(Math.floor(record.basedOn / 2 ** 32))
    .u32(record.basedOn >>> 0);
  writer.u8(client.length).bytes(client).u8(address.length).bytes(address);
  if (record.identity === undefined) writer.u16(ABSENT);
  else writer.u16(record.identity.length).bytes(record.identity);
  writer.u16(record.authenticator.length).bytes(record.authenticator);
  if (answered === undefined) writer.u8(0);
  else {
    if (answered.responseDigest.length !== RESPONSE_DIGEST_OCTETS) {
      throw new RangeError('the response digest must be 32 octets');
    }
    writer
      .u8(1)
      .bytes(answered.responseDigest)
      .u8(answered.eapIdentifier)
      .u16(answered.eapRequest.length)
      .bytes(answered.eapRequest);
  }
  if (record.finished === undefined) writer.u8(0);
  else writeFinished(writer, record.finished);
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
  const basedOn = reader.u32() * 2 ** 32 + reader.u32();
  const client = reader.shortBytes();
  const address = reader.shortBytes();
  const identityLength = reader.u16();
  const identity = identityLength === ABSENT ? undefined : reader.bytes(identityLength);
  const authenticator = reader.bytes(reader.u16());
  let answered: AnsweredRound | undefined;
  const hasAnswered = reader.u8();
  if (hasAnswered === 1) {
    const responseDigest = reader.bytes(RESPONSE_DIGEST_OCTETS);
    const eapIdentifier = reader.u8();
    const eapRequest = reader.bytes(reader.u16());
    answered = { responseDigest, eapIdentifier, eapRequest };
  } else if (hasAnswered !== 0) return undefined;
  const hasFinished = reader.u8();
  let finished: FinishedAnswer | undefined;
  if (hasFinished === 1) {
    finished = readFinished(reader);
    if (finished === undefined) return undefined;
  } else if (hasFinished !== 0) return undefined;
  if (reader.failed) return undefined;
  try {
    return {
      client: decoder.decode(client),
      address: decoder.decode(address),
      identity,
      authenticator,
      answered,
      ...(finished === undefined ? {} : { finished }),
      basedOn,
    };
  } catch {
    return undefined;
  }
}

const OUTCOME_ACCEPT = 1;
const OUTCOME_REJECT = 2;
const MAX_FINISHED_ATTRIBUTES = 255;

function writeFinished(writer: ByteWriter, finished: FinishedAnswer): void {
  if (finished.attributes.length > MAX_FINISHED_ATTRIBUTES) {
    throw new RangeError('too many attributes in a finished record');
  }
  writer.u8(1).u8(finished.outcome === 'accept' ? OUTCOME_ACCEPT : OUTCOME_REJECT);
  if (finished.identity === undefined) writer.u16(ABSENT);
  else {
    const identity = encoder.encode(finished.identity);
    if (identity.length >= ABSENT) throw new RangeError('identity too long');
    writer.u16(identity.length).bytes(identity);
  }
  writer.u8(finished.attributes.length);
  for (const attribute of finished.attributes) {
    if (attribute.value.length >= ABSENT) throw new RangeError('attribute too long');
    if (isVendorAttribute(attribute)) {
      writer.u8(1).u8(attribute.type).u32(attribute.vendorId).u8(attribute.vendorType);
    } else writer.u8(0).u8(attribute.type);
    writer.u16(attribute.value.length).bytes(attribute.value);
  }
}

function readFinished(reader: SavedStateReader): FinishedAnswer | undefined {
  const code = reader.u8();
  if (code !== OUTCOME_ACCEPT && code !== OUTCOME_REJECT) return undefined;
  const identityLength = reader.u16();
  let identity: string | undefined;
  if (identityLength !== ABSENT) {
    try {
      identity = decoder.decode(reader.bytes(identityLength));
    } catch {
      return undefined;
    }
  }
  const count = reader.u8();
  const attributes: AuthAttribute[] = [];
  for (let i = 0; i < count && !reader.failed; i++) {
    const vendor = reader.u8();
    const type = reader.u8();
    if (vendor === 1) {
      const vendorId = reader.u32();
      const vendorType = reader.u8();
      attributes.push({
        type: AuthAttributeType.VendorSpecific,
        vendorId,
        vendorType,
        value: reader.bytes(reader.u16()),
      });
    } else if (vendor === 0) attributes.push({ type, value: reader.bytes(reader.u16()) });
    else return undefined;
    if (vendor === 1 && type !== AuthAttributeType.VendorSpecific) return undefined;
  }
  if (reader.failed) return undefined;
  return { outcome: code === OUTCOME_ACCEPT ? 'accept' : 'reject', identity, attributes };
}
