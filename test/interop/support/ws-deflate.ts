/**
 * permessage-deflate (RFC 7692) for the raw client, written from the RFC and
 * node:zlib only, sharing nothing with src/websocket/extensions.ts: reading
 * the server's `Sec-WebSocket-Extensions`, judging whether it is a legal
 * answer to what was offered (§7.1), and compressing / inflating messages
 * (§7.2: raw DEFLATE, Z_SYNC_FLUSH, the trailing 00 00 ff ff removed on send
 * and put back on receive).
 */
import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  type InflateRaw,
} from 'node:zlib';

/** What a client offers, one permessage-deflate element. */
export interface DeflateOffer {
  readonly clientNoContextTakeover?: boolean;
  readonly serverNoContextTakeover?: boolean;
  /** `true`: the valueless `client_max_window_bits`. */
  readonly clientMaxWindowBits?: true | number;
  readonly serverMaxWindowBits?: number;
}

export function formatOffer(offer: DeflateOffer): string {
  const parts = ['permessage-deflate'];
  if (offer.clientNoContextTakeover === true) parts.push('client_no_context_takeover');
  if (offer.clientMaxWindowBits === true) parts.push('client_max_window_bits');
  else if (offer.clientMaxWindowBits !== undefined)
    parts.push(`client_max_window_bits=${offer.clientMaxWindowBits}`);
  if (offer.serverNoContextTakeover === true) parts.push('server_no_context_takeover');
  if (offer.serverMaxWindowBits !== undefined)
    parts.push(`server_max_window_bits=${offer.serverMaxWindowBits}`);
  return parts.join('; ');
}

export interface ExtensionElement {
  readonly name: string;
  /** Parameters in order; `undefined` for a valueless one. Quoted values are unquoted. */
  readonly params: readonly (readonly [name: string, value: string | undefined])[];
}

/** Splits a `Sec-WebSocket-Extensions` value into elements (RFC 6455 §9.1). */
export function parseExtensionHeader(value: string): ExtensionElement[] {
  const elements: ExtensionElement[] = [];
  for (const element of value.split(',')) {
    if (element.trim() === '') continue;
    const [name = '', ...rawParams] = element.split(';').map((p) => p.trim());
    const params = rawParams.map((p): readonly [string, string | undefined] => {
      const eq = p.indexOf('=');
      if (eq < 0) return [p.toLowerCase(), undefined];
      let v = p.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      return [p.slice(0, eq).trim().toLowerCase(), v];
    });
    elements.push({ name: name.toLowerCase(), params });
  }
  return elements;
}

/** The parameters both sides now use (absent window bits mean 15). */
export interface DeflateAgreement {
  readonly clientNoContextTakeover: boolean;
  readonly serverNoContextTakeover: boolean;
  readonly clientMaxWindowBits: number;
  readonly serverMaxWindowBits: number;
}

const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/**
 * Whether `response` is a legal server answer to `offer` (RFC 7692 §7.1).
 * A server may always add server_no_context_takeover, client_no_context_takeover
 * and a server_max_window_bits of its own; it must confirm a requested
 * server_no_context_takeover; it must answer a requested server_max_window_bits
 * with "the same or smaller value" (§7.1.2.1: declining the whole offer is the
 * only other choice, so 9 in answer to 8 is illegal); it may send
 * client_max_window_bits only if the offer had it, and no larger than an
 * offered value (§7.1.2.2).
 */
export function judgeDeflateResponse(
  offer: DeflateOffer,
  response: ExtensionElement,
): { ok: true; agreement: DeflateAgreement } | { ok: false; why: string } {
  if (response.name !== 'permessage-deflate') return { ok: false, why: `not permessage-deflate` };
  const seen = new Set<string>();
  let clientNoContextTakeover = false;
  let serverNoContextTakeover = false;
  let clientBits: number | undefined;
  let serverBits: number | undefined;
  for (const [name, value] of response.params) {
    if (seen.has(name)) return { ok: false, why: `${name} appears twice` };
    seen.add(name);
    switch (name) {
      case 'client_no_context_takeover':
      case 'server_no_context_takeover':
        if (value !== undefined) return { ok: false, why: `${name} has a value` };
        if (name === 'client_no_context_takeover') clientNoContextTakeover = true;
        else serverNoContextTakeover = true;
        break;
      case 'client_max_window_bits':
      case 'server_max_window_bits':
        if (value === undefined || !WINDOW_BITS.test(value)) {
          return { ok: false, why: `${name}=${String(value)} is not 8..15` };
        }
        if (name === 'client_max_window_bits') clientBits = Number(value);
        else serverBits = Number(value);
        break;
      default:
        return { ok: false, why: `unknown parameter ${name}` };
    }
  }
  if (offer.serverNoContextTakeover === true && !serverNoContextTakeover) {
    return { ok: false, why: 'server_no_context_takeover was requested but not confirmed' };
  }
  if (offer.serverMaxWindowBits !== undefined) {
    if (serverBits === undefined) {
      return { ok: false, why: 'server_max_window_bits was requested but not confirmed' };
    }
    if (serverBits > offer.serverMaxWindowBits) {
      return {
        ok: false,
        why: `server_max_window_bits=${serverBits} answers a request for ${offer.serverMaxWindowBits} (must be the same or smaller)`,
      };
    }
  }
  if (clientBits !== undefined) {
    if (offer.clientMaxWindowBits === undefined) {
      return { ok: false, why: 'client_max_window_bits was not offered' };
    }
    if (typeof offer.clientMaxWindowBits === 'number' && clientBits > offer.clientMaxWindowBits) {
      return {
        ok: false,
        why: `client_max_window_bits=${clientBits} is over the offered ${offer.clientMaxWindowBits}`,
      };
    }
  }
  return {
    ok: true,
    agreement: {
      clientNoContextTakeover,
      serverNoContextTakeover,
      clientMaxWindowBits: clientBits ?? 15,
      serverMaxWindowBits: serverBits ?? 15,
    },
  };
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

function flushed(stream: DeflateRaw | InflateRaw, input: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const onData = (chunk: Buffer) => out.push(chunk);
    const onError = (error: Error) => {
      stream.off('data', onData);
      reject(error);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    for (const chunk of input) stream.write(chunk);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(out));
    });
  });
}

/**
 * The client's compressor: one raw DEFLATE stream kept across messages
 * (context takeover) unless `noContextTakeover`, with the agreed window.
 */
export class MessageDeflater {
  private stream: DeflateRaw | undefined;

  constructor(
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
  ) {}

  /** The compressed payload of one message, its 00 00 ff ff tail removed. */
  async compress(message: Uint8Array): Promise<Buffer> {
    if (this.stream === undefined || this.noContextTakeover) {
      this.stream?.close();
      // Node raises windowBits 8 to 9 for raw deflate; zlib then never emits a
      // distance over 250, so the stream stays inside a 256-byte window.
      this.stream = createDeflateRaw({ windowBits: this.windowBits });
    }
    const out = await flushed(this.stream, [Buffer.from(message)]);
    if (out.length < 4 || !out.subarray(-4).equals(TAIL)) {
      throw new Error('A sync flush did not end in 00 00 ff ff');
    }
    return out.subarray(0, -4);
  }

  close(): void {
    this.stream?.close();
  }
}

/**
 * The client's decompressor for the server's messages: inflates with the
 * agreed server window (so a server that overruns its window fails here),
 * one stream across messages unless the server resets its context.
 */
export class MessageInflater {
  private stream: InflateRaw | undefined;

  constructor(
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
  ) {}

  async inflate(payload: Uint8Array): Promise<Buffer> {
    if (this.stream === undefined || this.noContextTakeover) {
      this.stream?.close();
      this.stream = createInflateRaw({ windowBits: this.windowBits });
    }
    return flushed(this.stream, [Buffer.from(payload), TAIL]);
  }

  close(): void {
    this.stream?.close();
  }
}
