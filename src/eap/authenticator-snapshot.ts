/**
 * An EapAuthenticator's session as bytes, taken while it awaits the peer's
 * Response (the only moment a session can move: no provider call, UI or
 * TLS work in progress), so another process with the same methods can take
 * the next round. The framework's part is here (the outstanding Request,
 * the Identifiers, the round count, the identity, the methods proposed, the
 * provider's attributes); the method's work state is its own
 * (`EapMethod.saveState`) and rides inside. Decoding never throws.
 */
import { AuthAttributeType, isVendorAttribute, type AuthAttribute } from './attributes.js';
import { ByteWriter, SavedStateReader, writeOptionalText } from './methods/saved-state.js';

const SNAPSHOT_FORMAT = 1;
const ABSENT = 0x100;

export type SnapshotOutstanding =
  | { readonly kind: 'identity'; readonly identifier: number }
  | {
      readonly kind: 'method';
      readonly identifier: number;
      readonly timed: boolean;
      readonly interactive: boolean;
    };

export interface AuthenticatorSnapshot {
  readonly outstanding: SnapshotOutstanding;
  readonly lastRequestId: number | undefined;
  readonly lastResponseId: number | undefined;
  readonly rounds: number;
  readonly retransmissions: number;
  readonly identity: string | undefined;
  /** EAP types of the methods proposed so far, the selected one last (with an outstanding method Request). */
  readonly tried: readonly number[];
  readonly providerAttributes: readonly AuthAttribute[];
  /** The selected method's saved work state (method Request outstanding only). */
  readonly methodState: Uint8Array | undefined;
}

export function encodeAuthenticatorSnapshot(snapshot: AuthenticatorSnapshot): Uint8Array {
  const writer = ByteWriter.growable(256);
  const o = snapshot.outstanding;
  writer
    .u8(SNAPSHOT_FORMAT)
    .u8(o.kind === 'identity' ? 0 : 1 | (o.timed ? 2 : 0) | (o.interactive ? 4 : 0))
    .u8(o.identifier)
    .u16(snapshot.lastRequestId ?? ABSENT)
    .u16(snapshot.lastResponseId ?? ABSENT)
    .u16(snapshot.rounds)
    .u16(snapshot.retransmissions);
  writeOptionalText(writer, snapshot.identity);
  writer.u8(snapshot.tried.length);
  for (const type of snapshot.tried) writer.u8(type);
  writer.u8(snapshot.providerAttributes.length);
  for (const attribute of snapshot.providerAttributes) {
    writer.u8(attribute.type);
    if (isVendorAttribute(attribute)) writer.u8(1).u32(attribute.vendorId).u8(attribute.vendorType);
    else writer.u8(0);
    writer.u16(attribute.value.length).bytes(attribute.value);
  }
  const method = snapshot.methodState;
  writer.u16(method?.length ?? 0);
  if (method !== undefined) writer.bytes(method);
  return writer.finish();
}

export function decodeAuthenticatorSnapshot(bytes: Uint8Array): AuthenticatorSnapshot | undefined {
  const r = new SavedStateReader(bytes);
  const format = r.u8();
  const flags = r.u8();
  const identifier = r.u8();
  const lastRequestId = optionalId(r.u16());
  const lastResponseId = optionalId(r.u16());
  const rounds = r.u16();
  const retransmissions = r.u16();
  const identity = r.optionalText();
  const tried: number[] = [];
  for (let n = r.u8(); n > 0 && !r.failed; n--) tried.push(r.u8());
  const providerAttributes: AuthAttribute[] = [];
  for (let n = r.u8(); n > 0 && !r.failed; n--) {
    const type = r.u8();
    const vendor = r.u8();
    if (vendor === 1 && type === AuthAttributeType.VendorSpecific) {
      const vendorId = r.u32();
      const vendorType = r.u8();
      providerAttributes.push({ type, vendorId, vendorType, value: r.bytes(r.u16()) });
    } else if (vendor === 0) {
      providerAttributes.push({ type, value: r.bytes(r.u16()) });
    } else {
      return undefined;
    }
  }
  const methodLength = r.u16();
  const methodState = methodLength === 0 ? undefined : r.bytes(methodLength);
  if (!r.complete || format !== SNAPSHOT_FORMAT || flags > 7 || lastRequestId === null) {
    return undefined;
  }
  if (lastResponseId === null) return undefined;
  const isMethod = (flags & 1) !== 0;
  if (!isMethod && flags !== 0) return undefined;
  // A method Request outstanding means a method selected, and it saved its state.
  if (isMethod !== (methodState !== undefined) || (isMethod && tried.length === 0))
    return undefined;
  return {
    outstanding: isMethod
      ? { kind: 'method', identifier, timed: (flags & 2) !== 0, interactive: (flags & 4) !== 0 }
      : { kind: 'identity', identifier },
    lastRequestId,
    lastResponseId,
    rounds,
    retransmissions,
    identity,
    tried,
    providerAttributes,
    methodState,
  };
}

/** 0..255, ABSENT for undefined, anything else null (refused). */
function optionalId(value: number): number | undefined | null {
  if (value === ABSENT) return undefined;
  return value <= 0xff ? value : null;
}
