/**
 * `Http2WebSocketAgent` pools by origin plus every TLS and socket option
 * (ws-review F1, a security finding): a WebSocket that verifies never rides
 * a session opened with `rejectUnauthorized: false`, and two client
 * certificates never share one TLS connection. Before the fix the strict
 * WebSocket opened over the unverified session and bob's WebSocket arrived
 * authenticated as alice. Peer: node:http2 with netrx demo certificates.
 */
import type { TLSSocket } from 'node:tls';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoCertificates, DEMO_SERVER_NAME } from '../certs/index.js';
import { Http2WebSocketAgent } from './http2-agent.js';
import { http2SessionKey } from './http2-agent-key.js';
import { demoCertificates, http2Pair, openedClient } from './http2-pair.js';
import type { Http2WebSocketRequest } from './server-http2.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('Http2WebSocketAgent: sessions are never shared across TLS trust', () => {
  it('a WebSocket that verifies certificates does not ride a session opened without verification', async () => {
    const pair = await http2Pair('tls');
    const agent = new Http2WebSocketAgent();
    cleanups.push(() => pair.close());
    cleanups.push(() => agent.destroy());
    const lax = await openedClient(
      new WebSocket(pair.url, { http2: agent, rejectUnauthorized: false }),
    );
    cleanups.push(() => lax.terminate());
    // Default verification and no `ca`: the demo certificate is untrusted, so this must fail.
    const strict = new WebSocket(pair.url, { http2: agent, servername: DEMO_SERVER_NAME });
    cleanups.push(() => strict.terminate());
    const outcome = await openedClient(strict).then(
      () => 'opened over the unverified session',
      (error: Error) => `refused: ${error.message}`,
    );
    expect(outcome).toMatch(/^refused/);
    expect(agent.sessionsOpened).toBe(2);
  });

  it('control: the same strict options on a fresh agent are refused', async () => {
    const pair = await http2Pair('tls');
    const agent = new Http2WebSocketAgent();
    cleanups.push(() => pair.close());
    cleanups.push(() => agent.destroy());
    const strict = new WebSocket(pair.url, { http2: agent, servername: DEMO_SERVER_NAME });
    cleanups.push(() => strict.terminate());
    await expect(openedClient(strict)).rejects.toThrow();
  });

  it('two client certificates never share a session; the same one does', async () => {
    // The server asks for a client certificate and records whose each WebSocket came with.
    const pair = await http2Pair(
      'tls',
      {},
      { tls: { requestCert: true, rejectUnauthorized: false } },
    );
    cleanups.push(() => pair.close());
    const seenAs: string[] = [];
    pair.wss.on('connection', (_ws: WebSocket, request: Http2WebSocketRequest) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      seenAs.push(String(peer.subject?.CN ?? 'anonymous'));
    });
    const agent = new Http2WebSocketAgent();
    cleanups.push(() => agent.destroy());
    const identity = (name: string): { cert: string; key: string } => {
      const issued = createDemoCertificates({ clientName: name }).client;
      return { cert: issued.certPem, key: issued.keyPem };
    };
    const alice = identity('alice');
    const bob = identity('bob');
    const trust = { ca: demoCertificates().ca.certPem, servername: DEMO_SERVER_NAME };
    for (const who of [alice, bob, alice]) {
      const ws = await openedClient(new WebSocket(pair.url, { http2: agent, ...trust, ...who }));
      cleanups.push(() => ws.terminate());
    }
    expect(seenAs).toEqual(['alice', 'bob', 'alice']);
    expect(agent.sessionsOpened).toBe(2);
    expect(pair.seen.sessions).toBe(2);
  });
});

describe('http2SessionKey', () => {
  const origin = 'https://example.test:443';
  // Option values as they reach http2.connect: text, numbers, flags, buffers, arrays, pfx objects.
  const optionValue = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.record({ buf: fc.string(), passphrase: fc.string() }),
  );
  const options = fc.dictionary(
    fc.constantFrom('ca', 'cert', 'key', 'pfx', 'servername', 'ciphers', 'minVersion', 'family'),
    optionValue,
  );

  it('equal options give equal keys, whatever their order or copies', () => {
    fc.assert(
      fc.property(options, (given) => {
        const reordered = Object.fromEntries(Object.entries(structuredClone(given)).reverse());
        expect(http2SessionKey(origin, reordered)).toBe(http2SessionKey(origin, given));
      }),
    );
  });

  it('changing any one option changes the key', () => {
    fc.assert(
      fc.property(options, fc.string(), optionValue, (given, name, other) => {
        const changed = { ...given, [name]: other };
        fc.pre(fc.stringify(changed[name]) !== fc.stringify(given[name]));
        expect(http2SessionKey(origin, changed)).not.toBe(http2SessionKey(origin, given));
      }),
    );
  });

  it('functions match by reference only; undefined counts as absent; the origin counts', () => {
    const check = (): undefined => undefined;
    const lookAlike = (): undefined => undefined;
    const key = http2SessionKey(origin, { checkServerIdentity: check });
    expect(http2SessionKey(origin, { checkServerIdentity: check })).toBe(key);
    expect(http2SessionKey(origin, { checkServerIdentity: lookAlike })).not.toBe(key);
    expect(http2SessionKey(origin, { ca: undefined })).toBe(http2SessionKey(origin, {}));
    expect(http2SessionKey('https://other.test:443', {})).not.toBe(http2SessionKey(origin, {}));
    expect(http2SessionKey(origin, { rejectUnauthorized: false })).not.toBe(
      http2SessionKey(origin, {}),
    );
    expect(http2SessionKey(origin, { ca: Buffer.from('a') })).not.toBe(
      http2SessionKey(origin, { ca: 'a' }),
    );
  });
});
