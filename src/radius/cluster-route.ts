/**
 * Which server of a cluster owns a RADIUS request, and how a request
 * travels to its owner. Every State a clustered server sets begins with
 * `clusterStatePrefix(serverId)` (a marker octet, the id's length, the id),
 * so any server that receives a later round of a conversation can tell,
 * from the datagram alone, which server holds its authenticator: the same
 * idea as worker-route.ts, across machines.
 *
 * Only later rounds travel: a request without EAP, with EAP-Start or with a
 * Response/Identity begins (or needs) no conversation anywhere else, so it
 * is always handled where it arrived (a new conversation starts locally,
 * even when the NAS echoes an old State).
 */

/** First octet of a State a clustered server sets: `c`. */
export const CLUSTER_STATE_MARKER = 0x63;
/** Longest server id; ids are subject tokens (`A-Z a-z 0-9 _ -`). */
export const MAX_SERVER_ID_LENGTH = 32;
/** Largest RADIUS packet (RFC 2865 §3), so the largest datagram a forward carries. */
export const MAX_FORWARDED_DATAGRAM = 4096;

const STATE_ATTRIBUTE = 24;
const EAP_MESSAGE_ATTRIBUTE = 79;
const HEADER = 20;
const FORWARD_VERSION = 1;
const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A server id or cluster id as NATS subject token; throws RangeError when it is not one. */
export function checkClusterToken(what: string, id: string): string {
  if (id.length < 1 || id.length > MAX_SERVER_ID_LENGTH || !ID_PATTERN.test(id)) {
    throw new RangeError(
      `${what} must be 1 to ${MAX_SERVER_ID_LENGTH} characters of A-Z a-z 0-9 _ -: got ${JSON.stringify(id)}`,
    );
  }
  return id;
}

/** The octets every State of server `serverId` begins with. */
export function clusterStatePrefix(serverId: string): Uint8Array {
  checkClusterToken('server id', serverId);
  const id = encoder.encode(serverId);
  const prefix = new Uint8Array(2 + id.length);
  prefix[0] = CLUSTER_STATE_MARKER;
  prefix[1] = id.length;
  prefix.set(id, 2);
  return prefix;
}

/**
 * The server that owns this request's conversation, when it is a later
 * round of one that a clustered server began (State with the cluster
 * prefix, EAP-Message that is neither EAP-Start nor a Response/Identity);
 * undefined otherwise (handle it here). Reads attribute headers only; a
 * malformed datagram gives undefined (the local core drops it, counted).
 */
export function clusterOwner(datagram: Uint8Array): string | undefined {
  return clusterRound(datagram)?.owner;
}

/** A later round of a clustered conversation: its owner, its State and the EAP Response's Identifier. */
export interface ClusterRound {
  readonly owner: string;
  /** The State attribute's value (a view into the datagram). */
  readonly state: Uint8Array;
  readonly eapIdentifier: number;
  /** The values of its EAP-Message attributes in order (views into the datagram): the EAP Response, fragmented. */
  readonly eapParts: readonly Uint8Array[];
}

/** `clusterOwner` with the State and the EAP Identifier it read; undefined the same way. */
export function clusterRound(datagram: Uint8Array): ClusterRound | undefined {
  const length = Math.min(
    datagram.length,
    datagram.length >= 4 ? ((datagram[2] as number) << 8) | (datagram[3] as number) : 0,
  );
  let owner: string | undefined;
  let state: Uint8Array | undefined;
  let eapIdentifier = 0;
  let laterRound = false;
  let sawEap = false;
  const eapParts: Uint8Array[] = [];
  let at = HEADER;
  while (at + 2 <= length) {
    const type = datagram[at] as number;
    const size = datagram[at + 1] as number;
    if (size < 2 || at + size > length) return undefined;
    if (type === STATE_ATTRIBUTE && owner === undefined) {
      const idLength = size >= 4 ? (datagram[at + 3] as number) : 0;
      if (datagram[at + 2] !== CLUSTER_STATE_MARKER || idLength < 1 || 4 + idLength > size) {
        return undefined;
      }
      const id = datagram.subarray(at + 4, at + 4 + idLength);
      owner = String.fromCharCode(...id);
      if (!ID_PATTERN.test(owner)) return undefined;
      state = datagram.subarray(at + 2, at + size);
    } else if (type === EAP_MESSAGE_ATTRIBUTE && sawEap) {
      eapParts.push(datagram.subarray(at + 2, at + size));
    } else if (type === EAP_MESSAGE_ATTRIBUTE) {
      sawEap = true;
      eapParts.push(datagram.subarray(at + 2, at + size));
      // EAP-Start is an empty EAP-Message; a Response (2) of type Identity (1) starts over.
      const eapCode = size > 2 ? datagram[at + 2] : undefined;
      const eapType = size > 6 ? datagram[at + 6] : undefined;
      laterRound = eapCode !== undefined && !(eapCode === 2 && eapType === 1);
      eapIdentifier = size > 3 ? (datagram[at + 3] as number) : 0;
    }
    at += size;
  }
  return laterRound && owner !== undefined && state !== undefined
    ? { owner, state, eapIdentifier, eapParts }
    : undefined;
}

/** A request on its way to its owner: what the receiving server saw. */
export interface ForwardedRequest {
  /** The NAS address and port the datagram came from. */
  readonly address: string;
  readonly port: number;
  /** The name of the client entry the receiving server matched the NAS to. */
  readonly client: string;
  /** The RADIUS datagram, unchanged. */
  readonly datagram: Uint8Array;
}

/**
 * `version 1 ‖ NAS port (2) ‖ address length (1) ‖ address ‖ client name
 * length (1) ‖ client name (UTF-8) ‖ datagram`. One copy, deliberate: the
 * message leaves the process.
 */
export function encodeForwardedRequest(request: ForwardedRequest): Uint8Array {
  const address = encoder.encode(request.address);
  const client = encoder.encode(request.client);
  if (address.length < 1 || address.length > 255 || client.length > 255) {
    throw new RangeError('forwarded request: address or client name too long');
  }
  if (request.datagram.length > MAX_FORWARDED_DATAGRAM) {
    throw new RangeError(`forwarded request: datagram over ${MAX_FORWARDED_DATAGRAM} octets`);
  }
  const out = new Uint8Array(5 + address.length + client.length + request.datagram.length);
  out[0] = FORWARD_VERSION;
  out[1] = request.port >>> 8;
  out[2] = request.port & 0xff;
  out[3] = address.length;
  out.set(address, 4);
  let at = 4 + address.length;
  out[at++] = client.length;
  out.set(client, at);
  out.set(request.datagram, at + client.length);
  return out;
}

/** The request a forward carries, or undefined when its framing is wrong (dropped, counted). */
export function decodeForwardedRequest(message: Uint8Array): ForwardedRequest | undefined {
  if (message.length < 5 || message[0] !== FORWARD_VERSION) return undefined;
  const port = ((message[1] as number) << 8) | (message[2] as number);
  const addressLength = message[3] as number;
  if (addressLength < 1 || 4 + addressLength + 1 > message.length) return undefined;
  const clientAt = 4 + addressLength + 1;
  const clientLength = message[clientAt - 1] as number;
  const datagramAt = clientAt + clientLength;
  const datagramLength = message.length - datagramAt;
  if (datagramLength < HEADER || datagramLength > MAX_FORWARDED_DATAGRAM) return undefined;
  try {
    return {
      address: decoder.decode(message.subarray(4, 4 + addressLength)),
      port,
      client: decoder.decode(message.subarray(clientAt, datagramAt)),
      datagram: message.subarray(datagramAt),
    };
  } catch {
    return undefined;
  }
}
