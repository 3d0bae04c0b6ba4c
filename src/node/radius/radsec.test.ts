/**
 * RadSec on loopback, both netrx sides: mutual TLS, certificate-based client
 * identification, framing errors, idle timeout, connection limits and
 * Status-Server, each refusal and close traced with its reason.
 */
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  StaticUserStore,
  createMd5Method,
  createPeapMethod,
  createMschapV2Method,
} from '../../eap/index.js';
import { RADIUS_PROVIDER, RadiusEventDescriptor } from '../../radius/index.js';
import { TraceRegistry, decodePayload } from '../../trace/index.js';
import { createDemoCertificates } from '../certs/demo.js';
import { createNodeTlsEngineFactory } from '../eap/index.js';
import { nodeCrypto } from '../runtime/crypto.js';
import { systemClock } from '../runtime/clock.js';
import { runRadiusEapTest } from './client.js';
import { RadSecConnection } from './radsec-client.js';
import {
  startRadSecServer,
  type RadSecServer,
  type RadSecListenerOptions,
} from './radsec-server.js';

const demo = createDemoCertificates();
const rogue = createDemoCertificates();
const users = new StaticUserStore([{ name: 'bob', password: 'hello' }]);

interface Seen {
  readonly name: string;
  readonly values: Record<string, unknown>;
}

async function serve(
  overrides: Partial<RadSecListenerOptions> = {},
): Promise<{ server: RadSecServer; events: Seen[] }> {
  const trace = new TraceRegistry({ clock: systemClock });
  const events: Seen[] = [];
  trace.enable(RADIUS_PROVIDER.name, (event) => {
    const descriptor = Object.values(RadiusEventDescriptor).find(
      (d) => d.id === event.descriptor.id,
    );
    if (descriptor === undefined) return;
    const decoded = decodePayload(descriptor.fields ?? [], event.payload);
    if (decoded.ok) events.push({ name: descriptor.name, values: decoded.values });
  });
  const server = await startRadSecServer({
    methods: [
      createMd5Method({ crypto: nodeCrypto }),
      createPeapMethod({
        engines: createNodeTlsEngineFactory({
          server: {
            cert: demo.server.certPem,
            key: demo.server.keyPem,
            ca: demo.ca.certPem,
            requireClientCertificate: false,
          },
          maxVersion: 'TLSv1.2',
        }),
        inner: createMschapV2Method({ crypto: nodeCrypto }),
      }),
    ],
    users,
    trace,
    radsec: {
      host: '127.0.0.1',
      port: 0,
      tls: { cert: demo.server.certPem, key: demo.server.keyPem, ca: demo.ca.certPem },
      clients: [{ name: 'bob-nas', commonName: 'bob' }],
      ...overrides,
    },
  });
  return { server, events };
}

function client(port: number, cert = demo.client, ca = demo.ca.certPem) {
  return RadSecConnection.connect({
    host: '127.0.0.1',
    port,
    ca,
    cert: cert.certPem,
    key: cert.keyPem,
    serverName: 'radius.netrx.test',
    watchdogMs: 0,
  });
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RadSec (RFC 6614) on loopback', () => {
  let s: { server: RadSecServer; events: Seen[] };
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('EAP-MD5 and PEAP/MSCHAPv2 succeed through the netrx RadSec client; the Accept names the inner user', async () => {
    for (const method of ['md5', 'peap'] as const) {
      const result = await runRadiusEapTest({
        servers: [{ address: '127.0.0.1', port: s.server.port, secret: 'radsec' }],
        methods: [
          method === 'md5'
            ? createMd5Method({ crypto: nodeCrypto })
            : createPeapMethod({
                engines: createNodeTlsEngineFactory({
                  client: { ca: demo.ca.certPem, serverName: 'radius.netrx.test' },
                  maxVersion: 'TLSv1.2',
                }),
                inner: createMschapV2Method({ crypto: nodeCrypto }),
                innerIdentity: 'bob',
              }),
        ],
        identity: method === 'md5' ? 'bob' : 'anonymous',
        password: 'hello',
        timeoutMs: 5000,
        radsec: {
          ca: demo.ca.certPem,
          cert: demo.client.certPem,
          key: demo.client.keyPem,
          serverName: 'radius.netrx.test',
          statusServer: true,
        },
      });
      expect(result.outcome, result.reason).toBe('success');
      if (method === 'peap') expect(result.keysMatch).toBe(true);
    }
    const accepted = s.events.filter((e) => e.name === 'RadiusConnectionAccepted');
    expect(accepted.at(-1)?.values).toMatchObject({ client: 'bob-nas', subject: 'bob' });
    const ended = s.events
      .filter((e) => e.name === 'RadiusSessionEnded')
      .map((e) => e.values['identity']);
    expect(ended).toEqual(['bob', 'bob']);
    expect(s.server.core.stats().accepted).toBe(2); // Status-Server answers are not counted
  });

  it('refuses a client certificate from another CA (traced tls:…)', async () => {
    // TLS 1.3: the client may finish before the server has checked its certificate; then it is closed.
    const connection = await client(s.server.port, rogue.client).catch(() => undefined);
    if (connection !== undefined) await connection.closed;
    await until(() => s.events.some((e) => e.name === 'RadiusConnectionRefused'));
    const refused = s.events.find((e) => e.name === 'RadiusConnectionRefused');
    expect(String(refused?.values['reason'])).toMatch(/^tls:/);
  });

  it('refuses a valid certificate that maps to no client (unknown-certificate)', async () => {
    const other = await serve({ clients: [{ name: 'alice-nas', commonName: 'alice' }] });
    try {
      const connection = await client(other.server.port).catch(() => undefined);
      if (connection !== undefined) await connection.closed;
      await until(() => other.events.some((e) => e.name === 'RadiusConnectionRefused'));
      expect(other.events.find((e) => e.name === 'RadiusConnectionRefused')?.values).toMatchObject({
        reason: 'unknown-certificate',
        subject: 'bob',
      });
      expect(other.server.listener.stats().refused).toEqual({ 'unknown-certificate': 1 });
    } finally {
      await other.server.close();
    }
  });

  it('closes the connection on a bad Length (framing:length-too-short) and on a giant one', async () => {
    for (const [bytes, reason] of [
      [Uint8Array.of(1, 0, 0, 5), 'framing:length-too-short'],
      [Uint8Array.of(1, 0, 0xff, 0xff), 'framing:length-too-long'],
    ] as const) {
      const connection = await client(s.server.port);
      connection.send(bytes);
      expect(await connection.closed).toBe('peer-closed');
      await until(() =>
        s.events.some((e) => e.name === 'RadiusConnectionClosed' && e.values['reason'] === reason),
      );
    }
  });

  it('closes the connection on a malformed packet (an attribute overrunning the Length)', async () => {
    const connection = await client(s.server.port);
    // Access-Request, Length 24, one attribute claiming 10 octets where 4 remain.
    const bad = new Uint8Array(24);
    bad.set([1, 7, 0, 24]);
    bad.set([1, 10], 20);
    connection.send(bad);
    expect(await connection.closed).toBe('peer-closed');
    await until(() =>
      s.events.some(
        (e) =>
          e.name === 'RadiusConnectionClosed' &&
          String(e.values['reason']).startsWith('malformed:'),
      ),
    );
  });

  it('refuses a peer that does not finish its TLS handshake in time', async () => {
    const other = await serve({ handshakeTimeoutMs: 200 });
    try {
      const { connect } = await import('node:net');
      const raw = connect(other.server.port, '127.0.0.1');
      await new Promise<void>((resolve) => raw.on('close', () => resolve()).on('error', () => {}));
      await until(() => other.events.some((e) => e.name === 'RadiusConnectionRefused'));
      expect(
        String(other.events.find((e) => e.name === 'RadiusConnectionRefused')?.values['reason']),
      ).toMatch(/^tls:/);
    } finally {
      await other.server.close();
    }
  });

  it('closes an idle connection and enforces the connection limits', async () => {
    const other = await serve({ idleTimeoutMs: 200, maxConnectionsPerClient: 1 });
    try {
      const first = await client(other.server.port);
      const second = await client(other.server.port).catch(() => undefined);
      if (second !== undefined) await second.closed;
      await until(() => other.server.listener.stats().refused['client-connection-limit'] === 1);
      expect(await first.closed).toBe('peer-closed');
      expect(other.server.listener.stats().closed).toMatchObject({ idle: 1 });
    } finally {
      await other.server.close();
    }
  });

  it('refuses TCP connections over maxConnections before any TLS', async () => {
    const other = await serve({ maxConnections: 1 });
    try {
      const first = await client(other.server.port);
      await expect(client(other.server.port)).rejects.toThrow();
      expect(other.server.listener.stats().refused).toMatchObject({ 'connection-limit': 1 });
      first.close();
    } finally {
      await other.server.close();
    }
  });

  it('the watchdog keeps an idle connection alive with Status-Server', async () => {
    const connection = await RadSecConnection.connect({
      host: '127.0.0.1',
      port: s.server.port,
      ca: demo.ca.certPem,
      cert: demo.client.certPem,
      key: demo.client.keyPem,
      serverName: 'radius.netrx.test',
      watchdogMs: 50,
    });
    await until(() => connection.statusServersAnswered >= 3);
    expect(connection.reason).toBeUndefined();
    connection.close();
  });

  it('a plain TLS client without a certificate is refused', async () => {
    const refusedBefore = Object.values(s.server.listener.stats().refused).reduce(
      (a, b) => a + b,
      0,
    );
    await new Promise<void>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: s.server.port,
        ca: demo.ca.certPem,
        servername: 'radius.netrx.test',
      });
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
    await until(
      () =>
        Object.values(s.server.listener.stats().refused).reduce((a, b) => a + b, 0) > refusedBefore,
    );
  });
});
