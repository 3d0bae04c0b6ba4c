/**
 * A server that refuses our TLS told from one that is away (audit16 A3):
 * the pure classification of the client's errors, and the probe against
 * loopback stand-ins for a NATS server (an `INFO` line, then TLS as
 * nats-server does it) that require a client certificate, or are not NATS,
 * or are not there.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createDemoCertificates, DEMO_SERVER_NAME } from '../certs/demo.js';
import { connectNats, tlsRefusalBehind } from './connection.js';
import { natsHostPort, probeTlsRefusal, tlsRefusalOf } from './tls-refusal.js';

const certs = createDemoCertificates();
const servers: Server[] = [];
const dir = mkdtempSync(join(tmpdir(), 'r-away-tls-refusal-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, certs.ca.certPem);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A loopback listener (on `port`, default any); `first` is what it writes on accept, then TLS (or not). */
async function standIn(first: string, tls: 'verify-client' | 'none', port = 0): Promise<string> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(first);
    if (tls === 'none') return;
    const secure = new TLSSocket(socket, {
      isServer: true,
      requestCert: true,
      rejectUnauthorized: true,
      key: certs.server.keyPem,
      cert: certs.server.certPem,
      ca: certs.ca.certPem,
    });
    secure.on('error', () => undefined);
    secure.on('data', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `tls://127.0.0.1:${address.port}`;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<string> {
  const url = await standIn('', 'none');
  await new Promise((done) => servers.pop()?.close(done));
  return url;
}

const INFO = 'INFO {"server_id":"x","version":"2.9.10","tls_required":true,"proto":1}\r\n';
const serverTrust = { ca: certs.ca.certPem, servername: DEMO_SERVER_NAME };

describe('tlsRefusalOf', () => {
  const coded = (code: string, cause?: unknown) =>
    Object.assign(new Error(code, cause === undefined ? {} : { cause }), { code });
  it.each([
    [coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), true, /TLS alert/],
    [coded('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), false, /TLS alert/],
    [new Error('wrapped', { cause: coded('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE') }), false, /ALERT/],
    [coded('ECONNRESET'), true, /reset/],
  ])('%s (handshake started: %s) is a refusal', (error, started, reason) => {
    expect(tlsRefusalOf(error, started)).toMatch(reason);
  });
  it.each([
    [coded('ECONNRESET'), false],
    [coded('ECONNREFUSED'), true],
    [coded('ERR_TLS_CERT_ALTNAME_INVALID'), true],
    [Object.assign(new Error('timeout'), { name: 'TimeoutError' }), true],
    ['not an error', true],
  ])('%s (handshake started: %s) is not', (error, started) => {
    expect(tlsRefusalOf(error, started)).toBeUndefined();
  });
});

describe('natsHostPort', () => {
  it.each([
    ['tls://127.0.0.1:4333', '127.0.0.1', 4333],
    ['nats://[::1]:4334', '::1', 4334],
    ['nats-1.lab:4335', 'nats-1.lab', 4335],
    ['tls://nats-1.lab', 'nats-1.lab', 4222],
  ])('%s', (url, host, port) => {
    expect(natsHostPort(url)).toEqual({ host, port });
  });
});

describe('probeTlsRefusal', () => {
  it('a server that requires a client certificate, none given: refused, with its alert', async () => {
    const url = await standIn(INFO, 'verify-client');
    expect(await probeTlsRefusal(url, serverTrust, 2000)).toMatch(/TLS alert from the server/);
  });

  it('the same server given the client pair: not refused', async () => {
    const url = await standIn(INFO, 'verify-client');
    const pair = { ...serverTrust, cert: certs.client.certPem, key: certs.client.keyPem };
    expect(await probeTlsRefusal(url, pair, 2000)).toBeUndefined();
  });

  it('nothing listening (ECONNREFUSED): not refused, the server is away', async () => {
    expect(await probeTlsRefusal(await closedPort(), serverTrust, 2000)).toBeUndefined();
  });

  it('not NATS (no INFO line): not refused', async () => {
    const url = await standIn('HTTP/1.1 400 Bad Request\r\n', 'none');
    expect(await probeTlsRefusal(url, serverTrust, 2000)).toBeUndefined();
  });
});

describe('tlsRefusalBehind (a first connect that failed)', () => {
  const timeout = Object.assign(new Error('timeout'), { name: 'TimeoutError' });
  it('a timeout over TLS from a server that refuses our certificate: the refusal, naming the server', async () => {
    const url = await standIn(INFO, 'verify-client');
    const refusal = await tlsRefusalBehind(timeout, { servers: [url], tls: serverTrust });
    expect(refusal).toMatch(
      /^the server refused the TLS session \(tls:\/\/127\.0\.0\.1:\d+: TLS alert/,
    );
  });

  it('no TLS configured: no probe, no refusal', async () => {
    const url = await standIn(INFO, 'verify-client');
    expect(await tlsRefusalBehind(timeout, { servers: [url] })).toBeUndefined();
  });

  it('a refused TCP connect is not probed as a refusal', async () => {
    const refused = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    const url = await standIn(INFO, 'verify-client');
    expect(await tlsRefusalBehind(refused, { servers: [url], tls: serverTrust })).toBeUndefined();
  });
});

describe('connectNats over a server that refuses our TLS', () => {
  it('a first connect without the client certificate fails the start (ERR_NATS_CONNECT), also when it may start disconnected', async () => {
    const url = await standIn(INFO, 'verify-client');
    const started = connectNats({
      servers: [url],
      tls: { ca: caFile, serverName: DEMO_SERVER_NAME },
      errorPrefix: 'cluster.nats',
      startDisconnected: true,
      timeoutMs: 500,
    }).then(
      async (connection) => {
        await connection.close();
        return 'started';
      },
      (error: unknown) => error,
    );
    const outcome = await started;
    expect(outcome).toMatchObject({ code: 'ERR_NATS_CONNECT' });
    expect((outcome as Error).message).toMatch(
      /^cluster\.nats: cannot connect to tls:\/\/127\.0\.0\.1:\d+: the server refused the TLS session/,
    );
  });

  it('booted while no server answered, then a server that refuses our TLS: counted in errors, named in lastError', async () => {
    const away = await closedPort();
    const connection = await connectNats({
      servers: [away],
      tls: { ca: caFile, serverName: DEMO_SERVER_NAME },
      startDisconnected: true,
      timeoutMs: 500,
      reconnectTimeWaitMs: 50,
    });
    try {
      expect(connection.status()).toMatchObject({ state: 'reconnecting', errors: 0 });
      await standIn(INFO, 'verify-client', natsHostPort(away).port);
      await vi.waitFor(() => expect(connection.status().errors).toBeGreaterThan(0), {
        timeout: 10_000,
        interval: 50,
      });
      expect(connection.status()).toMatchObject({
        state: 'reconnecting',
        lastError: expect.stringMatching(/^the server refused the TLS session/) as unknown,
      });
    } finally {
      await connection.close();
    }
  });
});
