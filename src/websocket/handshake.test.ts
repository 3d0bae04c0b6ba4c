import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Crypto } from '../runtime/index.js';
import {
  acceptUpgrade,
  buildClientRequest,
  buildRejection,
  checkServerResponse,
  computeAccept,
  generateKey,
  isValidKey,
  validateUpgradeRequest,
  type ClientRequest,
} from './handshake.js';
import type { HttpHeader } from './handshake-failure.js';
import { HttpHeadParser, type HttpRequestHead, type HttpResponseHead } from './http-head.js';

/** A test Crypto over node:crypto (only tests may import Node). */
const nodeCrypto: Crypto = {
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
  fillRandom: (into) => {
    into.set(randomBytes(into.length));
  },
  digest: (algorithm, ...data) => {
    const h = createHash(algorithm);
    for (const d of data) h.update(d);
    return new Uint8Array(h.digest());
  },
  hmac: (algorithm, key, ...data) => {
    const h = createHmac(algorithm, key);
    for (const d of data) h.update(d);
    return new Uint8Array(h.digest());
  },
};

const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const bytesOf = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function parseRequest(text: string): HttpRequestHead {
  const step = new HttpHeadParser('request').push(bytesOf(text));
  if (step.state !== 'complete') throw new Error(`not complete: ${JSON.stringify(step)}`);
  return step.head;
}
function parseResponse(bytes: Uint8Array): HttpResponseHead {
  const step = new HttpHeadParser('response').push(bytes);
  if (step.state !== 'complete') throw new Error(`not complete: ${JSON.stringify(step)}`);
  return step.head;
}

const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

describe('accept and key', () => {
  it('computes the RFC 6455 §1.3 example', () => {
    expect(computeAccept(RFC_KEY, nodeCrypto)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('generates 16-byte base64 keys from the injected crypto', () => {
    const fixed: Crypto = { ...nodeCrypto, randomBytes: (n) => new Uint8Array(n).fill(1) };
    expect(generateKey(fixed)).toBe('AQEBAQEBAQEBAQEBAQEBAQ==');
    expect(isValidKey(generateKey(nodeCrypto))).toBe(true);
    for (const bad of [
      '',
      'dGhlIHNhbXBsZSBub25jZQ',
      'dGhlIHNhbXBsZSBub25jZQ=',
      'dGhlIHNhbXBsZSBub25jZXg=',
      'dGhl IHNhbXBsZSBub25jZQ==',
    ]) {
      expect(isValidKey(bad), bad).toBe(false);
    }
  });
});

const RFC_REQUEST =
  'GET /chat HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${RFC_KEY}\r\n` +
  'Origin: http://example.com\r\n' +
  'Sec-WebSocket-Protocol: chat, superchat\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  '\r\n';

describe('server side', () => {
  it('validates the RFC 6455 §1.2 request and answers as §1.3 shows', () => {
    const r = validateUpgradeRequest(parseRequest(RFC_REQUEST));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      target: '/chat',
      host: 'server.example.com',
      origin: 'http://example.com',
      key: RFC_KEY,
      protocols: ['chat', 'superchat'],
      extensions: [],
    });
    const response = acceptUpgrade(r.value, {
      crypto: nodeCrypto,
      protocol: ['superchat', 'chat'],
    });
    expect(response.protocol).toBe('chat');
    expect(latin1(response.bytes)).toBe(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
        'Sec-WebSocket-Protocol: chat\r\n' +
        '\r\n',
    );
  });

  it('accepts tokens case-insensitively and inside lists', () => {
    const text = RFC_REQUEST.replace('Upgrade: websocket', 'upgrade: WebSocket').replace(
      'Connection: Upgrade',
      'Connection: keep-alive, UPGRADE',
    );
    expect(validateUpgradeRequest(parseRequest(text)).ok).toBe(true);
  });

  const rejections: [string, (t: string) => string, string, number][] = [
    ['POST', (t) => t.replace('GET', 'POST'), 'handshake-method-invalid', 405],
    ['HTTP/1.0', (t) => t.replace('HTTP/1.1', 'HTTP/1.0'), 'handshake-http-version-invalid', 400],
    ['no Host', (t) => t.replace(/Host: .*\r\n/, ''), 'handshake-host-invalid', 400],
    ['no Upgrade', (t) => t.replace(/Upgrade: .*\r\n/, ''), 'handshake-upgrade-invalid', 400],
    [
      'Upgrade: h2c',
      (t) => t.replace('Upgrade: websocket', 'Upgrade: h2c'),
      'handshake-upgrade-invalid',
      400,
    ],
    [
      'Connection: close',
      (t) => t.replace('Connection: Upgrade', 'Connection: close'),
      'handshake-connection-invalid',
      400,
    ],
    [
      'version 8',
      (t) => t.replace('Version: 13', 'Version: 8'),
      'handshake-version-unsupported',
      426,
    ],
    [
      'no version',
      (t) => t.replace(/Sec-WebSocket-Version: .*\r\n/, ''),
      'handshake-version-unsupported',
      426,
    ],
    ['short key', (t) => t.replace(RFC_KEY, 'AQEBAQEBAQEBAQEBAQE='), 'handshake-key-invalid', 400],
    [
      'two keys',
      (t) => t.replace('Origin', `Sec-WebSocket-Key: ${RFC_KEY}\r\nOrigin`),
      'handshake-key-invalid',
      400,
    ],
    [
      'bad protocol',
      (t) => t.replace('chat, superchat', 'chat, super chat'),
      'handshake-protocol-invalid',
      400,
    ],
    [
      'duplicate protocol',
      (t) => t.replace('chat, superchat', 'chat, chat'),
      'handshake-protocol-invalid',
      400,
    ],
    [
      'bad extensions',
      (t) => t.replace('Origin', 'Sec-WebSocket-Extensions: permessage-deflate; =1\r\nOrigin'),
      'handshake-extensions-invalid',
      400,
    ],
  ];
  for (const [name, mutate, code, status] of rejections) {
    it(`rejects ${name} with ${status}`, () => {
      const r = validateUpgradeRequest(parseRequest(mutate(RFC_REQUEST)));
      expect(r.ok).toBe(false);
      if (!r.ok) expect([r.failure.code, r.failure.status]).toEqual([code, status]);
    });
  }

  it('builds a 426 that names the supported version', () => {
    const r = validateUpgradeRequest(
      parseRequest(RFC_REQUEST.replace('Version: 13', 'Version: 8')),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(latin1(buildRejection(r.failure))).toBe(
      'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('writes the registered reason phrase for every refusal netrx answers (401 was "Error")', () => {
    const phrases: [number, string][] = [
      [400, 'Bad Request'],
      [401, 'Unauthorized'],
      [403, 'Forbidden'],
      [404, 'Not Found'],
      [408, 'Request Timeout'],
      [421, 'Misdirected Request'],
      [426, 'Upgrade Required'],
      [429, 'Too Many Requests'],
      [431, 'Request Header Fields Too Large'],
      [503, 'Service Unavailable'],
    ];
    for (const [status, phrase] of phrases) {
      expect(latin1(buildRejection({ status })).split('\r\n')[0]).toBe(
        `HTTP/1.1 ${status} ${phrase}`,
      );
    }
    // Outside the registry: the class's phrase, never a bare "Error".
    expect(latin1(buildRejection({ status: 499 })).split('\r\n')[0]).toBe(
      'HTTP/1.1 499 Client Error',
    );
    expect(latin1(buildRejection({ status: 599 })).split('\r\n')[0]).toBe(
      'HTTP/1.1 599 Server Error',
    );
  });

  it('lets a function choose the protocol, but only one offered', () => {
    const r = validateUpgradeRequest(parseRequest(RFC_REQUEST));
    if (!r.ok) throw new Error('invalid');
    expect(acceptUpgrade(r.value, { crypto: nodeCrypto, protocol: (o) => o[1] }).protocol).toBe(
      'superchat',
    );
    expect(
      acceptUpgrade(r.value, { crypto: nodeCrypto, protocol: ['mqtt'] }).protocol,
    ).toBeUndefined();
    expect(() => acceptUpgrade(r.value, { crypto: nodeCrypto, protocol: () => 'mqtt' })).toThrow(
      TypeError,
    );
  });

  it('negotiates permessage-deflate and declines unknown extensions', () => {
    const text = RFC_REQUEST.replace(
      'Origin',
      'Sec-WebSocket-Extensions: x-webkit-deflate-frame, permessage-deflate; client_max_window_bits; server_max_window_bits=10\r\nOrigin',
    );
    const r = validateUpgradeRequest(parseRequest(text));
    if (!r.ok) throw new Error('invalid');
    const res = acceptUpgrade(r.value, {
      crypto: nodeCrypto,
      perMessageDeflate: { clientMaxWindowBits: 12 },
    });
    expect(res.perMessageDeflate).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 12,
    });
    expect(res.headers).toContainEqual([
      'Sec-WebSocket-Extensions',
      'permessage-deflate; server_max_window_bits=10; client_max_window_bits=12',
    ]);
    const off = acceptUpgrade(r.value, { crypto: nodeCrypto });
    expect(off.extensions).toEqual([]);
  });
});

describe('client side', () => {
  function serverAnswer(
    request: ClientRequest,
    mutate: (h: HttpHeader[]) => HttpHeader[] = (h) => h,
    status = '101 Switching Protocols',
  ) {
    const head = parseRequest(latin1(request.bytes));
    const v = validateUpgradeRequest(head);
    if (!v.ok) throw new Error(v.failure.message);
    const accepted = acceptUpgrade(v.value, {
      crypto: nodeCrypto,
      protocol: ['chat'],
      perMessageDeflate: true,
    });
    const headers = mutate([...accepted.headers]);
    let text = `HTTP/1.1 ${status}\r\n`;
    for (const [n, val] of headers) text += `${n}: ${val}\r\n`;
    return parseResponse(bytesOf(text + '\r\n'));
  }

  it('builds the upgrade request', () => {
    const req = buildClientRequest({
      host: 'server.example.com',
      path: '/chat',
      key: RFC_KEY,
      protocols: ['chat', 'superchat'],
      origin: 'http://example.com',
      perMessageDeflate: true,
    });
    expect(latin1(req.bytes)).toBe(
      'GET /chat HTTP/1.1\r\n' +
        'Host: server.example.com\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${RFC_KEY}\r\n` +
        'Sec-WebSocket-Version: 13\r\n' +
        'Origin: http://example.com\r\n' +
        'Sec-WebSocket-Protocol: chat, superchat\r\n' +
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n' +
        '\r\n',
    );
  });

  it('completes against our own server', () => {
    const req = buildClientRequest({
      host: 'h',
      crypto: nodeCrypto,
      protocols: ['chat'],
      perMessageDeflate: true,
    });
    const r = checkServerResponse(req, serverAnswer(req), nodeCrypto);
    expect(r).toEqual({
      ok: true,
      value: {
        protocol: 'chat',
        extensions: [{ name: 'permessage-deflate', params: [] }],
        perMessageDeflate: {
          serverNoContextTakeover: false,
          clientNoContextTakeover: false,
          serverMaxWindowBits: 15,
          clientMaxWindowBits: 15,
        },
      },
    });
  });

  const set = (name: string, value: string | undefined) => (h: HttpHeader[]) => {
    const out = h.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
    if (value !== undefined) out.push([name, value]);
    return out;
  };
  const failures: [string, (h: HttpHeader[]) => HttpHeader[], string, string?][] = [
    ['a 200', (h) => h, 'handshake-unexpected-status', '200 OK'],
    ['no Upgrade', set('Upgrade', undefined), 'handshake-upgrade-invalid'],
    ['no Connection', set('Connection', undefined), 'handshake-connection-invalid'],
    [
      'a wrong accept',
      set('Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='),
      'handshake-accept-invalid',
    ],
    ['no accept', set('Sec-WebSocket-Accept', undefined), 'handshake-accept-invalid'],
    [
      'an unoffered protocol',
      set('Sec-WebSocket-Protocol', 'superchat'),
      'handshake-protocol-invalid',
    ],
    ['two protocols', set('Sec-WebSocket-Protocol', 'chat, chat'), 'handshake-protocol-invalid'],
    [
      'an unoffered extension',
      set('Sec-WebSocket-Extensions', 'x-foo'),
      'handshake-extension-unexpected',
    ],
    [
      'deflate twice',
      set('Sec-WebSocket-Extensions', 'permessage-deflate, permessage-deflate'),
      'handshake-extension-unexpected',
    ],
    [
      'bad deflate params',
      set('Sec-WebSocket-Extensions', 'permessage-deflate; server_max_window_bits=16'),
      'extension-params-invalid',
    ],
    [
      'malformed extensions',
      set('Sec-WebSocket-Extensions', 'permessage-deflate;'),
      'handshake-extensions-invalid',
    ],
  ];
  for (const [name, mutate, code, status] of failures) {
    it(`fails on ${name}`, () => {
      const req = buildClientRequest({
        host: 'h',
        crypto: nodeCrypto,
        protocols: ['chat'],
        perMessageDeflate: true,
      });
      const r = checkServerResponse(req, serverAnswer(req, mutate, status), nodeCrypto);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.failure.code).toBe(code);
        expect(r.failure.status).toBeUndefined();
      }
    });
  }

  it('refuses misuse', () => {
    expect(() => buildClientRequest({ host: 'h' })).toThrow(TypeError);
    expect(() => buildClientRequest({ host: 'h', key: 'short' })).toThrow(TypeError);
    expect(() => buildClientRequest({ host: 'h', key: RFC_KEY, protocols: ['a b'] })).toThrow(
      SyntaxError,
    );
    expect(() => buildClientRequest({ host: 'h', key: RFC_KEY, protocols: ['a', 'a'] })).toThrow(
      SyntaxError,
    );
    expect(() => buildClientRequest({ host: 'h\r\nX-Injected: 1', key: RFC_KEY })).toThrow(
      TypeError,
    );
    expect(() => buildClientRequest({ host: 'h', key: RFC_KEY, path: '/a b' })).toThrow(TypeError);
    expect(() =>
      buildClientRequest({
        host: 'h',
        key: RFC_KEY,
        perMessageDeflate: { serverMaxWindowBits: 7 },
      }),
    ).toThrow(RangeError);
    expect(() => buildRejection({ status: 200 })).toThrow(RangeError);
  });
});
