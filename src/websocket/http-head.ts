import { NetrxError } from '../runtime/index.js';
import { handshakeFailed, type HandshakeFailure, type HttpHeader } from './handshake-failure.js';

/**
 * Just enough HTTP/1.1 (RFC 9112) for a WebSocket opening handshake: the
 * request or status line and the header fields up to the empty line, read
 * incrementally and bounded. No bodies, no chunked encoding, no pipelining:
 * after the head, every byte belongs to the WebSocket, and `rest` hands those
 * bytes back (frames may arrive in the same read as the head).
 *
 * Strict where RFC 9112 lets a recipient be: lines end in CRLF (a bare CR or
 * LF is a 400), obsolete line folding is a 400 (§5.2), white space between a
 * field name and its colon is a 400 (§5.1), and control characters other
 * than HTAB in a value are a 400. Field values are read as Latin-1, so
 * obs-text bytes survive as code points U+0080-U+00FF.
 */

export interface HttpRequestHead {
  readonly kind: 'request';
  readonly method: string;
  readonly target: string;
  /** The minor version of HTTP/1.x. */
  readonly minorVersion: number;
  readonly headers: readonly HttpHeader[];
}

export interface HttpResponseHead {
  readonly kind: 'response';
  readonly minorVersion: number;
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly HttpHeader[];
}

export interface HttpHeadLimits {
  /** Largest head accepted, CRLFCRLF included. Default 16 KiB (Node's default). Over it: 431. */
  readonly maxHeadSize?: number;
  /** Most header fields accepted. Default 100. Over it: 431. */
  readonly maxHeaders?: number;
}

export const DEFAULT_MAX_HEAD_SIZE = 16 * 1024;
export const DEFAULT_MAX_HEADERS = 100;

export type HttpHeadStep<T> =
  | { readonly state: 'incomplete' }
  | { readonly state: 'complete'; readonly head: T; readonly rest: Uint8Array }
  | { readonly state: 'failed'; readonly failure: HandshakeFailure };

// Returned to every caller: frozen, so none can change what the others get.
const INCOMPLETE = Object.freeze({ state: 'incomplete' } as const);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field value characters: HTAB, SP, VCHAR, obs-text. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/(\d)\.(\d)$/;
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;

/** Whether `text` is an RFC 9110 token. */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

/** Whether `text` may be sent as a field value (no CR, LF, NUL or other controls but HTAB). */
export function isFieldValue(text: string): boolean {
  return FIELD_VALUE.test(text);
}

/**
 * Reads one HTTP/1.1 head from chunks as they arrive. `push` returns
 * `incomplete` until the empty line ending the head has arrived, then the
 * parsed head and the bytes after it (a view into the last chunk, no copy);
 * or a failure whose `status` a server should answer with (400, 431 or 505).
 * Bytes are buffered only while the head is split across chunks, and never
 * more than `maxHeadSize`.
 */
export class HttpHeadParser<K extends 'request' | 'response'> {
  readonly kind: K;
  private readonly maxHeadSize: number;
  private readonly maxHeaders: number;
  private buffer: Uint8Array = new Uint8Array(0);
  private length = 0;
  private done = false;

  constructor(kind: K, limits: HttpHeadLimits = {}) {
    this.kind = kind;
    this.maxHeadSize = limits.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE;
    this.maxHeaders = limits.maxHeaders ?? DEFAULT_MAX_HEADERS;
    if (!Number.isSafeInteger(this.maxHeadSize) || this.maxHeadSize < 4) {
      throw new RangeError(`maxHeadSize must be an integer of at least 4: got ${this.maxHeadSize}`);
    }
    if (!Number.isSafeInteger(this.maxHeaders) || this.maxHeaders < 0) {
      throw new RangeError(`maxHeaders must be a non-negative integer: got ${this.maxHeaders}`);
    }
  }

  push(chunk: Uint8Array): HttpHeadStep<K extends 'request' ? HttpRequestHead : HttpResponseHead> {
    type Head = K extends 'request' ? HttpRequestHead : HttpResponseHead;
    if (this.done) {
      throw new NetrxError(
        'ERR_HTTP_HEAD_DONE',
        'Cannot push more bytes: the head has already been parsed or has failed',
      );
    }
    if (this.length === 0) {
      // Fast path: the whole head in one chunk, parsed where it lies.
      const end = findHeadEnd(chunk, 0, Math.min(chunk.length, this.maxHeadSize));
      if (end >= 0) return this.finish<Head>(chunk.subarray(0, end), chunk.subarray(end));
      if (chunk.length >= this.maxHeadSize) return this.tooLarge();
      this.buffer = new Uint8Array(Math.min(this.maxHeadSize, Math.max(1024, chunk.length * 2)));
      this.buffer.set(chunk);
      this.length = chunk.length;
      return INCOMPLETE;
    }
    const before = this.length;
    const take = Math.min(chunk.length, this.maxHeadSize - before);
    if (before + take > this.buffer.length) {
      // Deliberate copy: the head is split across chunks.
      const grown = new Uint8Array(
        Math.min(this.maxHeadSize, Math.max(this.buffer.length * 2, before + take)),
      );
      grown.set(this.buffer.subarray(0, before));
      this.buffer = grown;
    }
    this.buffer.set(chunk.subarray(0, take), before);
    this.length = before + take;
    const end = findHeadEnd(this.buffer, Math.max(0, before - 3), this.length);
    if (end >= 0) {
      return this.finish<Head>(this.buffer.subarray(0, end), chunk.subarray(end - before));
    }
    if (this.length >= this.maxHeadSize) return this.tooLarge();
    return INCOMPLETE;
  }

  private tooLarge(): { state: 'failed'; failure: HandshakeFailure } {
    this.done = true;
    this.buffer = new Uint8Array(0);
    return {
      state: 'failed',
      failure: handshakeFailed(
        'http-head-too-large',
        `The HTTP head is over the limit of ${this.maxHeadSize} bytes`,
        431,
      ).failure,
    };
  }

  private finish<Head>(head: Uint8Array, rest: Uint8Array): HttpHeadStep<Head> {
    this.done = true;
    const parsed = parseHead(head, this.kind, this.maxHeaders);
    this.buffer = new Uint8Array(0);
    return parsed.ok
      ? { state: 'complete', head: parsed.value as Head, rest }
      : { state: 'failed', failure: parsed.failure };
  }
}

/** Index just past the first CRLFCRLF in `bytes[from..to)`, or -1. */
function findHeadEnd(bytes: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (bytes[i + 3] === 10 && bytes[i + 2] === 13 && bytes[i + 1] === 10 && bytes[i] === 13) {
      return i + 4;
    }
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  const step = 4096;
  for (let i = 0; i < bytes.length; i += step) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(i + step, bytes.length)));
  }
  return out;
}

type Parsed =
  | { ok: true; value: HttpRequestHead | HttpResponseHead }
  | { ok: false; failure: HandshakeFailure };

function parseHead(bytes: Uint8Array, kind: 'request' | 'response', maxHeaders: number): Parsed {
  const status = kind === 'request' ? 400 : undefined;
  // The head ends in CRLFCRLF: drop the final empty line.
  const lines = latin1(bytes.subarray(0, bytes.length - 4)).split('\r\n');
  for (const line of lines) {
    if (line.includes('\r') || line.includes('\n')) {
      return handshakeFailed('http-bad-line-ending', 'Bare CR or LF in the HTTP head', status);
    }
  }
  const first = lines[0] as string;
  let minorVersion: number;
  let start: { method: string; target: string } | { status: number; reason: string };
  if (kind === 'request') {
    const m = REQUEST_LINE.exec(first);
    if (m === null) {
      return handshakeFailed(
        'http-bad-start-line',
        `Malformed request line: ${JSON.stringify(first.slice(0, 80))}`,
        400,
      );
    }
    if (m[3] !== '1') {
      return handshakeFailed(
        'http-version-unsupported',
        `HTTP/${m[3]}.${m[4]} is not HTTP/1.x`,
        505,
      );
    }
    minorVersion = Number(m[4]);
    start = { method: m[1] as string, target: m[2] as string };
  } else {
    const m = STATUS_LINE.exec(first);
    if (m === null) {
      return handshakeFailed(
        'http-bad-start-line',
        `Malformed status line: ${JSON.stringify(first.slice(0, 80))}`,
      );
    }
    if (m[1] !== '1') {
      return handshakeFailed('http-version-unsupported', `HTTP/${m[1]}.${m[2]} is not HTTP/1.x`);
    }
    minorVersion = Number(m[2]);
    start = { status: Number(m[3]), reason: m[4] ?? '' };
  }
  if (lines.length - 1 > maxHeaders) {
    return handshakeFailed(
      'http-too-many-headers',
      `The HTTP head has ${lines.length - 1} header fields, over the limit of ${maxHeaders}`,
      kind === 'request' ? 431 : undefined,
    );
  }
  const headers: HttpHeader[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) {
      const why =
        line.startsWith(' ') || line.startsWith('\t')
          ? 'obsolete line folding'
          : `malformed header field ${JSON.stringify(line.slice(0, 80))}`;
      return handshakeFailed('http-bad-header', `Cannot read the HTTP head: ${why}`, status);
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) {
      return handshakeFailed(
        'http-bad-header',
        `Control character in the value of header field ${JSON.stringify(name)}`,
        status,
      );
    }
    headers.push([name, value]);
  }
  const value: HttpRequestHead | HttpResponseHead =
    'method' in start
      ? { kind: 'request', method: start.method, target: start.target, minorVersion, headers }
      : { kind: 'response', minorVersion, status: start.status, reason: start.reason, headers };
  return { ok: true, value };
}

/** Every value of the header fields named `name` (case-insensitive), in order. */
export function headerValues(headers: readonly HttpHeader[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of headers) if (n.toLowerCase() === lower) out.push(v);
  return out;
}

/** The values of the fields named `name` joined with `", "` (RFC 9110 §5.3), or `undefined`. */
export function headerValue(headers: readonly HttpHeader[], name: string): string | undefined {
  const values = headerValues(headers, name);
  return values.length === 0 ? undefined : values.join(', ');
}

/** The comma-separated elements of the `name` fields, trimmed, empty ones dropped. */
export function headerList(headers: readonly HttpHeader[], name: string): string[] {
  const out: string[] = [];
  for (const value of headerValues(headers, name)) {
    for (const part of value.split(',')) {
      const item = part.trim();
      if (item !== '') out.push(item);
    }
  }
  return out;
}

/**
 * Encodes a start line and header fields as an HTTP/1.1 head, CRLFCRLF
 * included. Throws `TypeError` for a name that is not a token or a value
 * that could break the head (CR, LF, other controls, or characters above
 * U+00FF): header injection is API misuse, never silently repaired.
 */
export function encodeHead(
  startLine: string,
  headers: readonly HttpHeader[],
): Uint8Array<ArrayBuffer> {
  let text = startLine + '\r\n';
  for (const [name, value] of headers) {
    if (!TOKEN.test(name))
      throw new TypeError(`Header name must be a token: got ${JSON.stringify(name)}`);
    if (!FIELD_VALUE.test(value)) {
      throw new TypeError(
        `Header ${name} has a value that cannot be sent: ${JSON.stringify(value)}`,
      );
    }
    text += `${name}: ${value}\r\n`;
  }
  text += '\r\n';
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
