import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HttpHeader } from './handshake-failure.js';
import {
  acceptExtendedConnect,
  buildExtendedConnect,
  checkExtendedConnectResponse,
  extendedConnectRejection,
  validateExtendedConnect,
} from './handshake-h2.js';

/** Each field of a drawn request: a value, or undefined to leave the field out. */
interface Draw {
  readonly method: string | undefined;
  readonly protocol: string | undefined;
  readonly scheme: string | undefined;
  readonly path: string | undefined;
  readonly authority: string | undefined;
  readonly versions: readonly string[];
  readonly subprotocols: string | undefined;
  readonly extensions: string | undefined;
  readonly connectionHeader: boolean;
  readonly unknownPseudo: boolean;
  readonly repeatedPseudo: boolean;
  readonly noise: readonly HttpHeader[];
}

const drawArb: fc.Arbitrary<Draw> = fc.record({
  method: fc.constantFrom('CONNECT', 'GET', 'POST', undefined),
  protocol: fc.constantFrom('websocket', 'WebSocket', 'connect-udp', 'h2c', '', undefined),
  scheme: fc.constantFrom('https', 'http', 'ftp', '', undefined),
  path: fc.constantFrom('/', '/chat?room=1', '', 'chat', '/a b', '*', undefined),
  authority: fc.constantFrom('example.com', '127.0.0.1:8443', '', undefined),
  versions: fc.constantFrom([], ['13'], ['8'], ['13', '13'], ['13, 8'], ['']),
  subprotocols: fc.constantFrom('chat', 'chat, superchat', 'chat, chat', 'a b', undefined),
  extensions: fc.constantFrom(
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; server_no_context_takeover, x-other',
    'permessage-deflate; =',
    undefined,
  ),
  connectionHeader: fc.boolean(),
  unknownPseudo: fc.boolean(),
  repeatedPseudo: fc.boolean(),
  noise: fc.array(
    fc.tuple(
      fc.constantFrom('user-agent', 'origin', 'cookie', 'x-trace', 'accept-language'),
      fc.string({ maxLength: 12 }),
    ),
    { maxLength: 4 },
  ),
});

function headersOf(d: Draw): HttpHeader[] {
  const out: HttpHeader[] = [];
  const put = (name: string, value: string | undefined): void => {
    if (value !== undefined) out.push([name, value]);
  };
  put(':method', d.method);
  put(':protocol', d.protocol);
  put(':scheme', d.scheme);
  put(':path', d.path);
  put(':authority', d.authority);
  if (d.unknownPseudo) out.push([':status', '200']);
  if (d.repeatedPseudo && d.path !== undefined) out.push([':path', d.path]);
  for (const v of d.versions) out.push(['sec-websocket-version', v]);
  put('sec-websocket-protocol', d.subprotocols);
  put('sec-websocket-extensions', d.extensions);
  if (d.connectionHeader) out.push(['connection', 'keep-alive']);
  out.push(...d.noise);
  return out;
}

/** The answer RFC 8441 (and docs/websocket.md) asks for, worked out independently of the code. */
function expected(d: Draw): { status: number; code: string } | undefined {
  const pseudo = (code = 'handshake-pseudo-header-invalid') => ({ status: 400, code });
  if (d.unknownPseudo) return pseudo();
  if (d.repeatedPseudo && d.path !== undefined) return pseudo();
  if (d.method === undefined) return pseudo();
  if (d.method !== 'CONNECT') return { status: 405, code: 'handshake-method-invalid' };
  if (d.protocol === undefined) return pseudo();
  if (d.protocol.toLowerCase() !== 'websocket') {
    return { status: 501, code: 'handshake-connect-protocol-unsupported' };
  }
  if (d.scheme !== 'http' && d.scheme !== 'https') return pseudo();
  if (d.path === undefined || !d.path.startsWith('/') || d.path.includes(' ')) return pseudo();
  if (d.authority === undefined || d.authority === '') return pseudo();
  if (d.connectionHeader) return { status: 400, code: 'handshake-connection-header-invalid' };
  if (d.versions.length !== 1 || d.versions[0] !== '13') {
    return { status: 400, code: 'handshake-version-unsupported' };
  }
  if (d.subprotocols === 'chat, chat' || d.subprotocols === 'a b') {
    return { status: 400, code: 'handshake-protocol-invalid' };
  }
  if (d.extensions === 'permessage-deflate; =') {
    return { status: 400, code: 'handshake-extensions-invalid' };
  }
  return undefined;
}

describe('validateExtendedConnect', () => {
  it('answers every drawn header set with the status RFC 8441 asks for', () => {
    fc.assert(
      fc.property(drawArb, fc.boolean(), (d, reversed) => {
        const headers = headersOf(d);
        // Field order carries no meaning for these checks.
        const result = validateExtendedConnect(reversed ? headers.reverse() : headers);
        const want = expected(d);
        if (want === undefined) {
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.value.target).toBe(d.path);
          expect(result.value.authority).toBe(d.authority);
          expect(result.value.protocols).toEqual(
            d.subprotocols === undefined ? [] : d.subprotocols.split(', '),
          );
          return;
        }
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect({ status: result.failure.status, code: result.failure.code }).toEqual(want);
        if (want.code === 'handshake-version-unsupported') {
          expect(result.failure.headers).toEqual([['sec-websocket-version', '13']]);
        }
        if (want.status === 405) expect(result.failure.headers).toEqual([['allow', 'CONNECT']]);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary fields, and refuses only with 400, 405 or 501', () => {
    const name = fc.oneof(
      fc.constantFrom(':method', ':protocol', ':scheme', ':path', ':authority', ':x'),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.string({ maxLength: 16 })), { maxLength: 12 }),
        (h) => {
          const result = validateExtendedConnect(h);
          if (!result.ok) expect([400, 405, 501]).toContain(result.failure.status);
        },
      ),
    );
  });

  it('does not ask for Sec-WebSocket-Key (RFC 8441 §5)', () => {
    const result = validateExtendedConnect(
      buildExtendedConnect({ authority: 'example.com' }).headers,
    );
    expect(result.ok).toBe(true);
  });
});

describe('extended CONNECT both ways', () => {
  const offerArb = fc.record(
    {
      serverNoContextTakeover: fc.boolean(),
      clientNoContextTakeover: fc.boolean(),
      serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
      clientMaxWindowBits: fc.oneof(fc.constant(true as const), fc.integer({ min: 8, max: 15 })),
    },
    { requiredKeys: [] },
  );
  const serverArb = fc.record(
    {
      serverNoContextTakeover: fc.boolean(),
      clientNoContextTakeover: fc.boolean(),
      serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
      clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
    },
    { requiredKeys: [] },
  );

  it('agrees on the subprotocol and permessage-deflate whatever is offered and accepted', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom('chat', 'superchat', 'v2.json', 'mqtt'), { maxLength: 4 }),
        fc.option(offerArb, { nil: undefined }),
        fc.option(serverArb, { nil: undefined }),
        fc.uniqueArray(fc.constantFrom('chat', 'mqtt', 'other'), { maxLength: 3 }),
        fc.constantFrom<'http' | 'https'>('http', 'https'),
        (protocols, offer, serverDeflate, speaks, scheme) => {
          const request = buildExtendedConnect({
            authority: '127.0.0.1:8443',
            scheme,
            path: '/ws?x=1',
            protocols,
            perMessageDeflate: offer ?? false,
          });
          const validated = validateExtendedConnect(request.headers);
          expect(validated.ok).toBe(true);
          if (!validated.ok) return;
          expect(validated.value.scheme).toBe(scheme);
          const response = acceptExtendedConnect(validated.value, {
            protocol: speaks,
            perMessageDeflate: serverDeflate ?? false,
          });
          expect(response.headers[0]).toEqual([':status', '200']);
          const checked = checkExtendedConnectResponse(request, 200, response.headers.slice(1));
          expect(checked.ok).toBe(true);
          if (!checked.ok) return;
          expect(checked.value.protocol).toBe(response.protocol);
          expect(checked.value.protocol).toBe(
            protocols.find((p) => (speaks as readonly string[]).includes(p)),
          );
          // RFC 7692 §7.1.1.2: a client that offered client_no_context_takeover keeps
          // to it even when the server's answer leaves it out; everything else matches.
          const client = checked.value.perMessageDeflate;
          const server = response.perMessageDeflate;
          expect(client === undefined).toBe(server === undefined);
          if (client !== undefined && server !== undefined) {
            expect({ ...client, clientNoContextTakeover: false }).toEqual({
              ...server,
              clientNoContextTakeover: false,
            });
            if (server.clientNoContextTakeover) expect(client.clientNoContextTakeover).toBe(true);
          }
          if (offer === undefined || serverDeflate === undefined) {
            expect(response.perMessageDeflate).toBeUndefined();
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fails a response that is not 2xx or chooses what was not offered', () => {
    const request = buildExtendedConnect({ authority: 'h', protocols: ['chat'] });
    const refused = checkExtendedConnectResponse(request, 400, []);
    expect(refused.ok || refused.failure.code).toBe('handshake-unexpected-status');
    const wrong = checkExtendedConnectResponse(request, 200, [['sec-websocket-protocol', 'mqtt']]);
    expect(wrong.ok || wrong.failure.code).toBe('handshake-protocol-invalid');
    const deflate = checkExtendedConnectResponse(request, 200, [
      ['sec-websocket-extensions', 'permessage-deflate'],
    ]);
    expect(deflate.ok || deflate.failure.code).toBe('handshake-extension-unexpected');
  });

  it('writes refusals as a :status and lowercase fields', () => {
    expect(extendedConnectRejection({ status: 405, headers: [['Allow', 'CONNECT']] })).toEqual([
      [':status', '405'],
      ['allow', 'CONNECT'],
    ]);
    expect(() => extendedConnectRejection({ status: 200 })).toThrow(RangeError);
  });

  it('refuses to build a request with a bad path, authority or subprotocol', () => {
    expect(() => buildExtendedConnect({ authority: 'h', path: 'chat' })).toThrow(TypeError);
    expect(() => buildExtendedConnect({ authority: '' })).toThrow(TypeError);
    expect(() => buildExtendedConnect({ authority: 'h', protocols: ['a', 'a'] })).toThrow(
      SyntaxError,
    );
  });
});
