/**
 * A NAS is known by its address, and one address has many spellings: a
 * dual-stack socket reports an IPv4 NAS as `::ffff:10.0.0.1` where an IPv4
 * socket (on this server or another of its cluster) reports `10.0.0.1`, and
 * IPv6 text varies in case, leading zeros and where `::` goes. A State is
 * honoured from the NAS it began with, so every place that stores or
 * compares a NAS's identity uses the one canonical spelling here: an
 * IPv4-mapped address as its dotted quad, IPv6 as RFC 5952 text (lower
 * case, compressed), a zone id (`%eth0`) kept as given (it names an
 * interface of the receiving machine). Text that is not an address (a
 * transport's own placeholder) stays as it is.
 */
import { formatIpv6Address, parseIpv6Address } from '../wire/ipv6.js';

/** Whether 16 bytes are an IPv4-mapped IPv6 address (`::ffff:0:0/96`, RFC 4291 §2.5.5.2). */
function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Spellings already made canonical: the duplicate cache keys every request
 * by its NAS (issue 16), and parsing IPv6 text costs about 1.3 µs where a
 * lookup costs tens of ns (docs/performance.md). Bounded: emptied when
 * full, so sources that keep changing cost the parse, never memory.
 */
const CANONICAL_MEMO_SIZE = 1024;
const canonicalMemo = new Map<string, string>();

/** The canonical spelling of a NAS address (see the module comment). */
export function canonicalAddress(text: string): string {
  // No colon, no IPv6: kept as it is (the result below too), without a parse per datagram.
  if (!text.includes(':')) return text;
  const known = canonicalMemo.get(text);
  if (known !== undefined) return known;
  const canonical = canonicalIpv6Text(text);
  if (canonicalMemo.size >= CANONICAL_MEMO_SIZE) canonicalMemo.clear();
  canonicalMemo.set(text, canonical);
  return canonical;
}

/** Text with a colon: IPv6 (or IPv4-mapped) made canonical; anything else as it is. */
function canonicalIpv6Text(text: string): string {
  const zoneAt = text.indexOf('%');
  const bytes = parseIpv6Address(zoneAt < 0 ? text : text.slice(0, zoneAt));
  if (bytes === undefined) return text;
  // IPv4 has no zones: a mapped address is the IPv4 NAS, whatever interface reported it.
  if (isIpv4Mapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const formatted = formatIpv6Address(bytes);
  return zoneAt < 0 ? formatted : formatted + text.slice(zoneAt);
}

/** Whether two spellings name the same NAS address. Equal text needs no parsing (the usual case). */
export function sameAddress(a: string, b: string): boolean {
  return a === b || canonicalAddress(a) === canonicalAddress(b);
}
