/**
 * IPv6 addresses (RFC 4291): text parsed and formatted as RFC 5952
 * recommends, the address-class tests (link-local, multicast, unspecified,
 * solicited-node), the solicited-node multicast address (RFC 4291 §2.7.1)
 * and the Ethernet address a multicast maps to (RFC 2464 §7).
 */

function parseGroups(text: string, out: number[]): boolean {
  if (text === '') return true;
  for (const group of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
    out.push(parseInt(group, 16));
  }
  return true;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2: full, `::`-compressed, or with a trailing
 * dotted quad) into 16 new bytes; undefined if it is not an address. Zone ids
 * (`%eth0`) are not addresses and are refused.
 */
export function parseIpv6Address(text: string): Uint8Array<ArrayBuffer> | undefined {
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.indexOf('.', lastColon) > lastColon) {
    const quad = body.slice(lastColon + 1).split('.');
    if (quad.length !== 4) return undefined;
    for (const part of quad) {
      if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    }
    tail.push((Number(quad[0]) << 8) | Number(quad[1]), (Number(quad[2]) << 8) | Number(quad[3]));
    body = body.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "a:b::c:1.2.3.4" leaves "a:b::c:", whose trailing colon goes.
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const head: number[] = [];
  const back: number[] = [];
  const gap = body.indexOf('::');
  if (gap >= 0) {
    if (body.indexOf('::', gap + 1) >= 0) return undefined;
    if (!parseGroups(body.slice(0, gap), head) || !parseGroups(body.slice(gap + 2), back)) {
      return undefined;
    }
    back.push(...tail);
    if (head.length + back.length > 7) return undefined;
  } else {
    if (!parseGroups(body, head)) return undefined;
    head.push(...tail);
    if (head.length !== 8) return undefined;
  }
  const out = new Uint8Array(16);
  head.forEach((group, i) => {
    out[2 * i] = group >> 8;
    out[2 * i + 1] = group & 0xff;
  });
  const from = 8 - back.length;
  back.forEach((group, i) => {
    out[2 * (from + i)] = group >> 8;
    out[2 * (from + i) + 1] = group & 0xff;
  });
  return out;
}

/**
 * Formats 16 bytes at `offset` as RFC 5952 §4 text: lower case, no leading
 * zeros, the longest run of two or more zero groups (the first if tied) as
 * `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d` (§5).
 */
export function formatIpv6Address(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) {
    groups.push(((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0));
  }
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    const v4 = `${bytes[offset + 12] ?? 0}.${bytes[offset + 13] ?? 0}.${bytes[offset + 14] ?? 0}.${bytes[offset + 15] ?? 0}`;
    return `::ffff:${v4}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((group) => group.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Whether the address at `offset` is link-local unicast (fe80::/10). */
export function isIpv6LinkLocal(bytes: Uint8Array, offset = 0): boolean {
  return bytes[offset] === 0xfe && ((bytes[offset + 1] ?? 0) & 0xc0) === 0x80;
}

/** Whether the address at `offset` is multicast (ff00::/8). */
export function isIpv6Multicast(bytes: Uint8Array, offset = 0): boolean {
  return bytes[offset] === 0xff;
}

/** Whether the address at `offset` is the unspecified address `::`. */
export function isIpv6Unspecified(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 16; i++) if (bytes[offset + i] !== 0) return false;
  return true;
}

/** Whether the 16 bytes at `offset` equal `address`. Does not allocate. */
export function ipv6AddressEquals(bytes: Uint8Array, offset: number, address: Uint8Array): boolean {
  if (address.length !== 16 || offset + 16 > bytes.length) return false;
  for (let i = 0; i < 16; i++) if (bytes[offset + i] !== address[i]) return false;
  return true;
}

const SOLICITED_NODE_PREFIX = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff] as const;

/** Whether the address at `offset` is a solicited-node multicast address (ff02::1:ff00:0/104). */
export function isIpv6SolicitedNode(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 13; i++) if (bytes[offset + i] !== SOLICITED_NODE_PREFIX[i]) return false;
  return true;
}

/** The solicited-node multicast address for `address` (RFC 4291 §2.7.1): ff02::1:ff + its low 24 bits. */
export function solicitedNodeMulticast(address: Uint8Array, offset = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[11] = 0x01;
  out[12] = 0xff;
  out[13] = address[offset + 13] ?? 0;
  out[14] = address[offset + 14] ?? 0;
  out[15] = address[offset + 15] ?? 0;
  return out;
}

/** The Ethernet address of an IPv6 multicast address (RFC 2464 §7): 33:33 + its low 32 bits. */
export function ipv6MulticastMac(address: Uint8Array, offset = 0): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x33,
    0x33,
    address[offset + 12] ?? 0,
    address[offset + 13] ?? 0,
    address[offset + 14] ?? 0,
    address[offset + 15] ?? 0,
  ]);
}
