/**
 * EAP-MSCHAPv2 packet formats (draft-kamath-pppext-eap-mschapv2-02 §2,
 * RFC 2759 §4–§6): the type data starts with OpCode, MS-CHAPv2-ID and
 * MS-Length (the length of the type data from OpCode on). Challenge and
 * Response carry Value-Size, Value and Name; Success and Failure Requests
 * carry a message; the peer's Success and Failure Responses are the OpCode
 * alone. Parsers never throw: they return undefined on malformed data.
 */
import { fromHex, toHex, utf8Bytes } from '../../bytes/index.js';

export const MschapV2OpCode = {
  Challenge: 1,
  Response: 2,
  Success: 3,
  Failure: 4,
  ChangePassword: 7,
} as const;

/** Challenge Value-Size (RFC 2759 §4). */
export const MSCHAPV2_CHALLENGE_LENGTH = 16;
/** Response Value-Size: Peer-Challenge 16, Reserved 8, NT-Response 24, Flags 1 (RFC 2759 §4). */
export const MSCHAPV2_RESPONSE_LENGTH = 49;

const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');

/**
 * Decodes the text of Success and Failure messages, octet for octet (RFC 2759
 * §5, §6). A function, not the decoder itself: an exported `TextDecoder`
 * constant puts Node's `util` type into the core's declarations.
 */
export function decodeMschapText(bytes: Uint8Array): string {
  return latin1.decode(bytes);
}

/** The user name MSCHAPv2 hashes: the identity without a `DOMAIN\\` prefix (RFC 2759 §8.2). */
export function mschapUserName(identity: string): string {
  const at = identity.lastIndexOf('\\');
  return at < 0 ? identity : identity.slice(at + 1);
}

function header(opCode: number, id: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(4 + body.length);
  out[0] = opCode;
  out[1] = id & 0xff;
  out[2] = out.length >>> 8;
  out[3] = out.length & 0xff;
  out.set(body, 4);
  return out;
}

/** Type data of a Challenge (1) or Response (2): header, Value-Size, Value, Name. */
export function valueTypeData(
  opCode: 1 | 2,
  id: number,
  value: Uint8Array,
  name: string,
): Uint8Array<ArrayBuffer> {
  const nameBytes = utf8Bytes(name);
  const body = new Uint8Array(1 + value.length + nameBytes.length);
  body[0] = value.length;
  body.set(value, 1);
  body.set(nameBytes, 1 + value.length);
  return header(opCode, id, body);
}

/** Type data of a Success (3) or Failure (4) Request: header and the message text. */
export function messageTypeData(
  opCode: 3 | 4,
  id: number,
  message: string,
): Uint8Array<ArrayBuffer> {
  return header(opCode, id, encoder.encode(message));
}

export interface MschapV2Parsed {
  readonly opCode: number;
  readonly id: number;
  /** Everything after MS-Length (up to MS-Length); empty for a bare OpCode. */
  readonly body: Uint8Array;
}

/**
 * Splits type data into OpCode, MS-CHAPv2-ID and body. A lone OpCode octet
 * (the peer's Success/Failure Response) has id -1 and an empty body. An
 * MS-Length past the data is malformed; one shorter than the data is
 * honoured (the rest is padding).
 */
export function parseMschapV2(typeData: Uint8Array): MschapV2Parsed | undefined {
  const opCode = typeData[0];
  if (opCode === undefined) return undefined;
  if (typeData.length === 1) return { opCode, id: -1, body: typeData.subarray(1) };
  if (typeData.length < 4) return undefined;
  const msLength = ((typeData[2] as number) << 8) | (typeData[3] as number);
  if (msLength < 4 || msLength > typeData.length) return undefined;
  return { opCode, id: typeData[1] as number, body: typeData.subarray(4, msLength) };
}

/** Value-Size, Value and Name of a Challenge or Response body. */
export function parseValueBody(
  body: Uint8Array,
): { readonly value: Uint8Array; readonly name: string } | undefined {
  const size = body[0];
  if (size === undefined || 1 + size > body.length) return undefined;
  return { value: body.subarray(1, 1 + size), name: latin1.decode(body.subarray(1 + size)) };
}

/** The fields of a Response value (49 octets). */
export interface MschapV2ResponseValue {
  readonly peerChallenge: Uint8Array;
  readonly ntResponse: Uint8Array;
  readonly flags: number;
}

export function responseValue(
  peerChallenge: Uint8Array,
  ntResponse: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(MSCHAPV2_RESPONSE_LENGTH);
  out.set(peerChallenge, 0);
  out.set(ntResponse, 24);
  return out;
}

export function parseResponseValue(value: Uint8Array): MschapV2ResponseValue | undefined {
  if (value.length !== MSCHAPV2_RESPONSE_LENGTH) return undefined;
  return {
    peerChallenge: value.subarray(0, 16),
    ntResponse: value.subarray(24, 48),
    flags: value[48] as number,
  };
}

/** What a Failure Request says (RFC 2759 §6): `E=eeeeeeeeee R=r C=cccc… V=vvvvvvvvvv M=<msg>`. */
export interface MschapV2Failure {
  /** E=: the error, a raserror number (691 bad credentials, 646–649 account restrictions). */
  readonly error: number;
  /** R=: 1 if a retry is allowed. */
  readonly retry: boolean;
  /** C=: 16 octets, the challenge for a retry or a password change. */
  readonly challenge: Uint8Array;
  /** V=: the password-change protocol version, 3 for MSCHAPv2. */
  readonly version: number;
  readonly message: string;
}

/** The failure message text; M= is last because it may contain spaces. */
export function formatFailureMessage(failure: MschapV2Failure): string {
  if (failure.challenge.length !== 16) {
    throw new RangeError(`C= needs a 16-byte challenge: got ${failure.challenge.length}`);
  }
  return (
    `E=${failure.error} R=${failure.retry ? 1 : 0} C=${toHex(failure.challenge).toUpperCase()} ` +
    `V=${failure.version} M=${failure.message}`
  );
}

/** Parses a failure message; fields it lacks take RFC 2759's defaults (E=691, R=0, V=1, M empty). */
export function parseFailureMessage(text: string): MschapV2Failure | undefined {
  const at = text.indexOf('M=');
  const fields = (at < 0 ? text : text.slice(0, at)).trim().split(/\s+/);
  let error = 691;
  let retry = false;
  let challenge: Uint8Array = new Uint8Array(16);
  let version = 1;
  for (const field of fields) {
    if (field === '') continue;
    const key = field.slice(0, 2);
    const value = field.slice(2);
    if (key === 'E=' || key === 'R=' || key === 'V=') {
      if (!/^\d{1,10}$/.test(value)) return undefined;
      const n = Number(value);
      if (key === 'E=') error = n;
      else if (key === 'R=') retry = n === 1;
      else version = n;
    } else if (key === 'C=') {
      if (!/^[0-9a-fA-F]{32}$/.test(value)) return undefined;
      challenge = fromHex(value);
    } else {
      return undefined;
    }
  }
  return { error, retry, challenge, version, message: at < 0 ? '' : text.slice(at + 2) };
}

/** The `S=<40 hex>` authenticator response and an optional ` M=<msg>` of a Success Request. */
export function parseSuccessMessage(
  text: string,
): { readonly authenticatorResponse: string; readonly message: string } | undefined {
  if (!/^S=[0-9A-Fa-f]{40}/.test(text)) return undefined;
  const rest = text.slice(42);
  if (rest !== '' && !rest.startsWith(' M=')) return undefined;
  return { authenticatorResponse: text.slice(0, 42).toUpperCase(), message: rest.slice(3) };
}
