/**
 * What the opening handshake negotiates, shared by HTTP/1.1 (RFC 6455 §4)
 * and HTTP/2 extended CONNECT (RFC 8441 §5, which keeps "the same
 * semantics" for Sec-WebSocket-Protocol and Sec-WebSocket-Extensions):
 * reading the offers, choosing the subprotocol and permessage-deflate on a
 * server, checking the answer on a client, and the offer headers a client
 * sends.
 */
import {
  PERMESSAGE_DEFLATE,
  acceptPerMessageDeflate,
  checkPerMessageDeflateResponse,
  formatExtensions,
  parseExtensions,
  parsePerMessageDeflateOffer,
  perMessageDeflateOffer,
  type Extension,
  type PerMessageDeflateOffer,
  type PerMessageDeflateParams,
  type PerMessageDeflateServerOptions,
} from './extensions.js';
import { handshakeFailed, type HandshakeResult, type HttpHeader } from './handshake-failure.js';
import { headerList, headerValue, headerValues, isToken } from './http-head.js';

/** Whether the comma-separated tokens of header `name` include `token` (case-insensitive). */
export function hasToken(headers: readonly HttpHeader[], name: string, token: string): boolean {
  return headerList(headers, name).some((t) => t.toLowerCase() === token);
}

/** A Sec-WebSocket-Protocol value as a list of distinct tokens; undefined when it is not one. */
export function parseProtocolList(value: string | undefined): string[] | undefined {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    if (!isToken(item) || out.includes(item)) return undefined;
    out.push(item);
  }
  return out;
}

/** What a client offered. */
export interface Offers {
  /** Subprotocols, in the client's order of preference. */
  readonly protocols: readonly string[];
  /** Extensions, in order. */
  readonly extensions: readonly Extension[];
}

/** Reads a request's offers; a malformed header fails with status 400. */
export function readOffers(headers: readonly HttpHeader[]): HandshakeResult<Offers> {
  const protocols = parseProtocolList(headerValue(headers, 'sec-websocket-protocol'));
  if (protocols === undefined) {
    return handshakeFailed(
      'handshake-protocol-invalid',
      'Sec-WebSocket-Protocol must be a list of distinct tokens',
      400,
    );
  }
  let extensions: Extension[] = [];
  const extensionValue = headerValue(headers, 'sec-websocket-extensions');
  if (extensionValue !== undefined) {
    const parsed = parseExtensions(extensionValue);
    if (!parsed.ok)
      return handshakeFailed('handshake-extensions-invalid', parsed.failure.message, 400);
    extensions = parsed.value;
  }
  return { ok: true, value: { protocols, extensions } };
}

/** How a server chooses (both HTTP versions). */
export interface NegotiationOptions {
  /**
   * The subprotocol to choose: a list of those the server speaks (the first
   * the client offered that is in it wins, in the client's order), or a
   * function of the offered list. Nothing chosen means no header.
   */
  readonly protocol?: readonly string[] | ((offered: readonly string[]) => string | undefined);
  /** Accept permessage-deflate: `true` for the defaults, or server options. Default: no. */
  readonly perMessageDeflate?: boolean | PerMessageDeflateServerOptions;
  /** Extra header fields for the answer, appended as given. */
  readonly headers?: readonly HttpHeader[];
}

/** What a server agreed to, and the negotiation headers of its answer. */
export interface Agreement {
  readonly protocol: string | undefined;
  /** The extensions accepted, as written in the response. */
  readonly extensions: readonly Extension[];
  readonly perMessageDeflate: PerMessageDeflateParams | undefined;
  /** Sec-WebSocket-Protocol and Sec-WebSocket-Extensions, when chosen. */
  readonly headers: readonly HttpHeader[];
}

/**
 * Chooses the subprotocol and the extensions (permessage-deflate only;
 * other offers are declined by leaving them out). Throws `TypeError` if a
 * protocol function picks one the client did not offer.
 */
export function negotiate(offers: Offers, options: NegotiationOptions): Agreement {
  let protocol: string | undefined;
  const choose = options.protocol;
  if (typeof choose === 'function') {
    protocol = choose(offers.protocols);
    if (protocol !== undefined && !offers.protocols.includes(protocol)) {
      throw new TypeError(
        `Cannot choose subprotocol ${JSON.stringify(protocol)}: the client did not offer it`,
      );
    }
  } else if (choose !== undefined) {
    protocol = offers.protocols.find((p) => choose.includes(p));
  }
  const extensions: Extension[] = [];
  let perMessageDeflate: PerMessageDeflateParams | undefined;
  if (options.perMessageDeflate !== undefined && options.perMessageDeflate !== false) {
    const accepted = acceptPerMessageDeflate(
      offers.extensions,
      options.perMessageDeflate === true ? {} : options.perMessageDeflate,
    );
    if (accepted !== undefined) {
      extensions.push(accepted.response);
      perMessageDeflate = accepted.params;
    }
  }
  const headers: HttpHeader[] = [];
  if (protocol !== undefined) headers.push(['Sec-WebSocket-Protocol', protocol]);
  if (extensions.length > 0)
    headers.push(['Sec-WebSocket-Extensions', formatExtensions(extensions)]);
  return { protocol, extensions, perMessageDeflate, headers };
}

/** A client's offers, checked, with the permessage-deflate offer resolved. */
export interface ClientOffers extends Offers {
  readonly perMessageDeflate: PerMessageDeflateOffer | undefined;
  /** Sec-WebSocket-Protocol and Sec-WebSocket-Extensions, when offered. */
  readonly headers: readonly HttpHeader[];
}

/**
 * The client's offers. Throws `SyntaxError` on a bad or repeated protocol
 * name, as ws and WHATWG do (a `SyntaxError` DOMException), so
 * `catch (e) { if (e instanceof SyntaxError) … }` works.
 */
export function clientOffers(options: {
  readonly protocols?: readonly string[];
  readonly perMessageDeflate?: boolean | PerMessageDeflateOffer;
  readonly extensions?: readonly Extension[];
}): ClientOffers {
  const protocols = [...(options.protocols ?? [])];
  for (const p of protocols) {
    if (!isToken(p)) throw new SyntaxError(`Subprotocol must be a token: got ${JSON.stringify(p)}`);
  }
  if (new Set(protocols).size !== protocols.length) {
    throw new SyntaxError(`Subprotocols must be distinct: got ${protocols.join(', ')}`);
  }
  const deflate =
    options.perMessageDeflate === true
      ? { clientMaxWindowBits: true as const }
      : options.perMessageDeflate === false || options.perMessageDeflate === undefined
        ? undefined
        : options.perMessageDeflate;
  const extensions = [
    ...(deflate === undefined ? [] : [perMessageDeflateOffer(deflate)]),
    ...(options.extensions ?? []),
  ];
  const headers: HttpHeader[] = [];
  if (protocols.length > 0) headers.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
  if (extensions.length > 0)
    headers.push(['Sec-WebSocket-Extensions', formatExtensions(extensions)]);
  return { protocols, extensions, perMessageDeflate: deflate, headers };
}

export interface ClientHandshake {
  /** The subprotocol the server chose, if any. */
  readonly protocol: string | undefined;
  /** The extensions the server accepted, as it wrote them. */
  readonly extensions: readonly Extension[];
  /** The agreed permessage-deflate parameters, if it was accepted. */
  readonly perMessageDeflate: PerMessageDeflateParams | undefined;
}

/**
 * Checks the subprotocol and extensions a server answered against what was
 * offered (RFC 6455 §4.1, RFC 7692 §7.1; RFC 8441 §5 for HTTP/2).
 */
export function checkAgreement(
  offered: Offers,
  headers: readonly HttpHeader[],
): HandshakeResult<ClientHandshake> {
  let protocol: string | undefined;
  const protocolValues = headerValues(headers, 'sec-websocket-protocol');
  if (protocolValues.length > 0) {
    const chosen = protocolValues.join(', ');
    if (protocolValues.length > 1 || !offered.protocols.includes(chosen)) {
      return handshakeFailed(
        'handshake-protocol-invalid',
        `The server chose subprotocol ${JSON.stringify(chosen)}, which was not offered`,
      );
    }
    protocol = chosen;
  }

  let extensions: Extension[] = [];
  let perMessageDeflate: PerMessageDeflateParams | undefined;
  const extensionValue = headerValue(headers, 'sec-websocket-extensions');
  if (extensionValue !== undefined) {
    const parsed = parseExtensions(extensionValue);
    if (!parsed.ok) {
      return handshakeFailed('handshake-extensions-invalid', parsed.failure.message);
    }
    extensions = parsed.value;
    const seen = new Set<string>();
    for (const ext of extensions) {
      const name = ext.name.toLowerCase();
      if (seen.has(name) || !offered.extensions.some((o) => o.name.toLowerCase() === name)) {
        return handshakeFailed(
          'handshake-extension-unexpected',
          seen.has(name)
            ? `The server accepted extension ${ext.name} twice`
            : `The server accepted extension ${ext.name}, which was not offered`,
        );
      }
      seen.add(name);
      if (name === PERMESSAGE_DEFLATE) {
        const checked = checkDeflateAgainstOffers(offered, ext);
        if (!checked.ok) return checked;
        perMessageDeflate = checked.value;
      }
    }
  }
  return { ok: true, value: { protocol, extensions, perMessageDeflate } };
}

/** A deflate response is valid if it answers any of the deflate offers made. */
function checkDeflateAgainstOffers(
  offered: Offers,
  response: Extension,
): HandshakeResult<PerMessageDeflateParams> {
  let first: HandshakeResult<PerMessageDeflateParams> | undefined;
  for (const ext of offered.extensions) {
    if (ext.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    const offer = parsePerMessageDeflateOffer(ext);
    if (typeof offer === 'string') continue;
    const result = checkPerMessageDeflateResponse(offer, response);
    if (result.ok) return result;
    first ??= result;
  }
  return (
    first ??
    handshakeFailed('extension-params-invalid', 'No valid permessage-deflate offer was made')
  );
}
