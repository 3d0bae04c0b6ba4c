import { handshakeFailed, type HandshakeResult } from './handshake-failure.js';
import { isToken } from './http-head.js';

/**
 * The `Sec-WebSocket-Extensions` header (RFC 6455 §9.1) and the
 * permessage-deflate negotiation (RFC 7692 §7).
 *
 * ```
 * Sec-WebSocket-Extensions = extension-list
 * extension-list = 1#extension
 * extension = extension-token *( ";" extension-param )
 * extension-param = token [ "=" (token | quoted-string) ]
 * ```
 *
 * A quoted value must still be a token once unquoted (§9.1), so `"10"` and
 * `10` mean the same. Parsing is lenient about white space around `;`, `,`
 * and `=`, and about empty list elements (RFC 9110 §5.6.1); anything else
 * outside the grammar fails the whole header. Negotiation results are plain
 * objects with every parameter resolved to its value (window bits default to
 * 15), ready for a deflate implementation.
 */

export interface ExtensionParam {
  readonly name: string;
  /** `undefined` for a valueless parameter (`client_max_window_bits`). */
  readonly value: string | undefined;
}

export interface Extension {
  readonly name: string;
  readonly params: readonly ExtensionParam[];
}

function isWhite(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

const TOKEN_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHAR[c.charCodeAt(0)] = 1;
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (several header lines joined with
 * `", "`). Fails with `extensions-header-invalid` (status 400) outside the
 * grammar.
 */
export function parseExtensions(value: string): HandshakeResult<Extension[]> {
  const out: Extension[] = [];
  let i = 0;
  const n = value.length;
  const skipWhite = (): void => {
    while (i < n && isWhite(value.charCodeAt(i))) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && value.charCodeAt(i) < 128 && TOKEN_CHAR[value.charCodeAt(i)] === 1) i++;
    return value.slice(start, i);
  };
  const fail = (why: string) =>
    handshakeFailed(
      'extensions-header-invalid',
      `Cannot read Sec-WebSocket-Extensions: ${why} at index ${i}: ${JSON.stringify(value.slice(0, 120))}`,
      400,
    );

  while (i < n) {
    skipWhite();
    if (i >= n) break;
    if (value.charCodeAt(i) === 0x2c /* , */) {
      i++; // empty list element
      continue;
    }
    const name = token();
    if (name === '') return fail('expected an extension name');
    const params: ExtensionParam[] = [];
    skipWhite();
    while (i < n && value.charCodeAt(i) === 0x3b /* ; */) {
      i++;
      skipWhite();
      const paramName = token();
      if (paramName === '') return fail('expected a parameter name');
      skipWhite();
      let paramValue: string | undefined;
      if (i < n && value.charCodeAt(i) === 0x3d /* = */) {
        i++;
        skipWhite();
        if (i < n && value.charCodeAt(i) === 0x22 /* " */) {
          i++;
          let unquoted = '';
          for (;;) {
            if (i >= n) return fail('unterminated quoted string');
            const c = value.charCodeAt(i);
            if (c === 0x22) {
              i++;
              break;
            }
            if (c === 0x5c /* \ */) {
              i++;
              if (i >= n) return fail('unterminated quoted string');
            }
            unquoted += value[i] as string;
            i++;
          }
          if (!isToken(unquoted)) return fail('a quoted value that is not a token');
          paramValue = unquoted;
        } else {
          paramValue = token();
          if (paramValue === '') return fail('expected a parameter value');
        }
        skipWhite();
      }
      params.push({ name: paramName, value: paramValue });
    }
    out.push({ name, params });
    if (i < n) {
      if (value.charCodeAt(i) !== 0x2c) return fail('expected "," or ";"');
      i++;
    }
  }
  return { ok: true, value: out };
}

/** Formats extensions for `Sec-WebSocket-Extensions`. Throws `TypeError` on a name or value that is not a token. */
export function formatExtensions(extensions: readonly Extension[]): string {
  return extensions
    .map((ext) => {
      if (!isToken(ext.name)) {
        throw new TypeError(`Extension name must be a token: got ${JSON.stringify(ext.name)}`);
      }
      let text = ext.name;
      for (const p of ext.params) {
        if (!isToken(p.name)) {
          throw new TypeError(
            `Extension parameter name must be a token: got ${JSON.stringify(p.name)}`,
          );
        }
        if (p.value !== undefined && !isToken(p.value)) {
          throw new TypeError(
            `Extension parameter value must be a token: got ${JSON.stringify(p.value)}`,
          );
        }
        text += p.value === undefined ? `; ${p.name}` : `; ${p.name}=${p.value}`;
      }
      return text;
    })
    .join(', ');
}

// ---------------------------------------------------------------------------
// permessage-deflate (RFC 7692)

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** What a client offers (RFC 7692 §7.1). Window bits are 8-15. */
export interface PerMessageDeflateOffer {
  /** Ask the server not to reuse its compression context between messages. */
  readonly serverNoContextTakeover?: boolean;
  /** Tell the server the client will not reuse its context (a hint). */
  readonly clientNoContextTakeover?: boolean;
  /** Ask the server to use at most this LZ77 window. */
  readonly serverMaxWindowBits?: number;
  /**
   * `true` (valueless): the client can use a smaller window if the server
   * asks; a number: the client will use at most this window.
   */
  readonly clientMaxWindowBits?: number | true;
}

/** What both sides agreed: every parameter resolved (absent window bits are 15). */
export interface PerMessageDeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

/** What a server is willing to do. */
export interface PerMessageDeflateServerOptions {
  /** Always reset the server's compression context (and say so). Default false. */
  readonly serverNoContextTakeover?: boolean;
  /** Require the client to reset its context. Default false. */
  readonly clientNoContextTakeover?: boolean;
  /** The largest window the server's compressor will use (8-15). Default 15. */
  readonly serverMaxWindowBits?: number;
  /**
   * The largest window the server will inflate with (8-15). Below 15, only
   * offers that allow `client_max_window_bits` can be accepted (§7.1.2.2).
   */
  readonly clientMaxWindowBits?: number;
}

function checkBits(bits: number | undefined, what: string): void {
  if (bits !== undefined && (!Number.isInteger(bits) || bits < 8 || bits > 15)) {
    throw new RangeError(`${what} must be an integer from 8 to 15: got ${String(bits)}`);
  }
}

/** The extension element for a client's offer. Throws `RangeError` on window bits outside 8-15. */
export function perMessageDeflateOffer(offer: PerMessageDeflateOffer = {}): Extension {
  checkBits(offer.serverMaxWindowBits, 'serverMaxWindowBits');
  if (offer.clientMaxWindowBits !== true)
    checkBits(offer.clientMaxWindowBits, 'clientMaxWindowBits');
  const params: ExtensionParam[] = [];
  if (offer.serverNoContextTakeover === true)
    params.push({ name: 'server_no_context_takeover', value: undefined });
  if (offer.clientNoContextTakeover === true)
    params.push({ name: 'client_no_context_takeover', value: undefined });
  if (offer.serverMaxWindowBits !== undefined) {
    params.push({ name: 'server_max_window_bits', value: String(offer.serverMaxWindowBits) });
  }
  if (offer.clientMaxWindowBits !== undefined) {
    params.push({
      name: 'client_max_window_bits',
      value: offer.clientMaxWindowBits === true ? undefined : String(offer.clientMaxWindowBits),
    });
  }
  return { name: PERMESSAGE_DEFLATE, params };
}

/** RFC 7692 §7.1.2.1: `%x38-39 / %x31 %x30-35` — "8" to "15", no leading zeros. */
function windowBits(value: string | undefined): number | undefined {
  if (value === undefined || !/^(?:[89]|1[0-5])$/.test(value)) return undefined;
  return Number(value);
}

type Role = 'offer' | 'response';

interface RawDeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | true | undefined;
}

/** Reads permessage-deflate parameters; a string is why they are invalid (§7, "decline" or "fail"). */
function readDeflateParams(ext: Extension, role: Role): RawDeflateParams | string {
  const seen = new Set<string>();
  const out: RawDeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const { name, value } of ext.params) {
    if (seen.has(name)) return `parameter ${name} appears more than once`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== undefined) return `${name} must not have a value`;
        if (name === 'server_no_context_takeover') out.serverNoContextTakeover = true;
        else out.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = windowBits(value);
        if (bits === undefined)
          return `server_max_window_bits must be 8 to 15: got ${String(value)}`;
        out.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        if (value === undefined && role === 'offer') {
          out.clientMaxWindowBits = true;
          break;
        }
        const bits = windowBits(value);
        if (bits === undefined)
          return `client_max_window_bits must be 8 to 15: got ${String(value)}`;
        out.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `unknown parameter ${name}`;
    }
  }
  return out;
}

/**
 * Reads a client's permessage-deflate offer. A string result is why a server
 * must decline it (RFC 7692 §7.1: unknown or repeated parameters, bad values).
 */
export function parsePerMessageDeflateOffer(ext: Extension): PerMessageDeflateOffer | string {
  const raw = readDeflateParams(ext, 'offer');
  if (typeof raw === 'string') return raw;
  return {
    ...(raw.serverNoContextTakeover ? { serverNoContextTakeover: true } : {}),
    ...(raw.clientNoContextTakeover ? { clientNoContextTakeover: true } : {}),
    ...(raw.serverMaxWindowBits !== undefined
      ? { serverMaxWindowBits: raw.serverMaxWindowBits }
      : {}),
    ...(raw.clientMaxWindowBits !== undefined
      ? { clientMaxWindowBits: raw.clientMaxWindowBits }
      : {}),
  };
}

export interface PerMessageDeflateAcceptance {
  readonly params: PerMessageDeflateParams;
  /** The element to put in the response's `Sec-WebSocket-Extensions`. */
  readonly response: Extension;
  /** Index of the accepted offer among `offers`. */
  readonly offerIndex: number;
}

/**
 * The server's side of RFC 7692 §7.1: walks the client's offers in order and
 * accepts the first permessage-deflate offer it can honour with `options`;
 * invalid offers and offers it cannot honour are declined, never failed.
 * Returns `undefined` when every offer was declined (or none was made).
 */
export function acceptPerMessageDeflate(
  offers: readonly Extension[],
  options: PerMessageDeflateServerOptions = {},
): PerMessageDeflateAcceptance | undefined {
  checkBits(options.serverMaxWindowBits, 'serverMaxWindowBits');
  checkBits(options.clientMaxWindowBits, 'clientMaxWindowBits');
  for (let index = 0; index < offers.length; index++) {
    const ext = offers[index] as Extension;
    if (ext.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    const offer = readDeflateParams(ext, 'offer');
    if (typeof offer === 'string') continue; // decline (§7.1)

    const serverNoContextTakeover =
      offer.serverNoContextTakeover || options.serverNoContextTakeover === true;
    const clientNoContextTakeover = options.clientNoContextTakeover === true;

    // §7.1.2.1: answer a requested limit with the same or a smaller value;
    // the server may also limit itself unasked.
    let serverBits: number | undefined = offer.serverMaxWindowBits;
    if (options.serverMaxWindowBits !== undefined && options.serverMaxWindowBits < 15) {
      serverBits = Math.min(serverBits ?? 15, options.serverMaxWindowBits);
    }

    // §7.1.2.2: the client's window may be limited only if the offer allows it.
    let clientBits: number | undefined;
    if (options.clientMaxWindowBits !== undefined && options.clientMaxWindowBits < 15) {
      if (offer.clientMaxWindowBits === undefined) continue; // cannot honour: decline
      const offered = offer.clientMaxWindowBits === true ? 15 : offer.clientMaxWindowBits;
      clientBits = Math.min(offered, options.clientMaxWindowBits);
    } else if (typeof offer.clientMaxWindowBits === 'number') {
      clientBits = offer.clientMaxWindowBits;
    }

    const params: ExtensionParam[] = [];
    if (serverNoContextTakeover)
      params.push({ name: 'server_no_context_takeover', value: undefined });
    if (clientNoContextTakeover)
      params.push({ name: 'client_no_context_takeover', value: undefined });
    if (serverBits !== undefined)
      params.push({ name: 'server_max_window_bits', value: String(serverBits) });
    if (clientBits !== undefined)
      params.push({ name: 'client_max_window_bits', value: String(clientBits) });
    return {
      params: {
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: serverBits ?? 15,
        clientMaxWindowBits: clientBits ?? 15,
      },
      response: { name: PERMESSAGE_DEFLATE, params },
      offerIndex: index,
    };
  }
  return undefined;
}

/**
 * The client's side of RFC 7692 §7.1: checks the server's permessage-deflate
 * response against what the client offered. Fails (the client must then fail
 * the connection) with `extension-params-invalid` on unknown, repeated or
 * malformed parameters, on `client_max_window_bits` the offer did not allow or
 * above the offered value, on a missing `server_no_context_takeover` the
 * offer asked for, and on `server_max_window_bits` missing or above the
 * offered value when the offer set one.
 */
export function checkPerMessageDeflateResponse(
  offer: PerMessageDeflateOffer,
  response: Extension,
): HandshakeResult<PerMessageDeflateParams> {
  const fail = (why: string) =>
    handshakeFailed(
      'extension-params-invalid',
      `Cannot accept the permessage-deflate response: ${why}`,
    );
  const raw = readDeflateParams(response, 'response');
  if (typeof raw === 'string') return fail(raw);
  if (offer.serverNoContextTakeover === true && !raw.serverNoContextTakeover) {
    return fail('server_no_context_takeover was requested but not confirmed');
  }
  if (offer.serverMaxWindowBits !== undefined) {
    if (raw.serverMaxWindowBits === undefined) {
      return fail('server_max_window_bits was requested but not confirmed');
    }
    if (raw.serverMaxWindowBits > offer.serverMaxWindowBits) {
      return fail(
        `server_max_window_bits ${raw.serverMaxWindowBits} is over the requested ${offer.serverMaxWindowBits}`,
      );
    }
  }
  const clientBits = raw.clientMaxWindowBits as number | undefined;
  if (clientBits !== undefined) {
    if (offer.clientMaxWindowBits === undefined) {
      return fail('client_max_window_bits was not offered');
    }
    if (typeof offer.clientMaxWindowBits === 'number' && clientBits > offer.clientMaxWindowBits) {
      return fail(
        `client_max_window_bits ${clientBits} is over the offered ${offer.clientMaxWindowBits}`,
      );
    }
  }
  return {
    ok: true,
    value: {
      serverNoContextTakeover: raw.serverNoContextTakeover,
      // A client that offered client_no_context_takeover keeps its word even
      // when the server's response leaves it out (RFC 7692 §7.1.1.2).
      clientNoContextTakeover:
        raw.clientNoContextTakeover || offer.clientNoContextTakeover === true,
      serverMaxWindowBits: raw.serverMaxWindowBits ?? 15,
      clientMaxWindowBits:
        clientBits ??
        (typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : 15),
    },
  };
}
