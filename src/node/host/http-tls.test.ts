// Review D2 (rest): `http.tls` renewed in place (same paths, new contents)
// is served after SIGHUP's reload with setSecureContext: new handshakes
// see the new certificate, a connection opened before keeps going on the
// old one, the listening socket stays. A renewed file that cannot be served
// refuses the reload, counted, and the running certificate stays.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoCertificates, type DemoCertificates } from '../certs/demo.js';
import { ConfigError, validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-http-tls-'));
const cert = join(dir, 'http.pem');
const key = join(dir, 'http-key.pem');
const hosts: RunningHost[] = [];
const sockets: TLSSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

function install(certs: DemoCertificates): string {
  writeFileSync(cert, certs.server.certPem);
  writeFileSync(key, certs.server.keyPem);
  return new X509Certificate(certs.server.certPem).fingerprint256;
}

function config() {
  return validateHostConfig({
    http: { port: 0, tls: { cert, key } },
    radius: { enabled: false },
    capture: { rpc: { enabled: false } },
    synthetic: { enabled: false },
  });
}

/** A keep-alive TLS connection to the host, with the certificate it was served. */
async function open(host: RunningHost): Promise<{ socket: TLSSocket; served: string }> {
  const url = new URL(host.url);
  const socket = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return { socket, served: socket.getPeerX509Certificate()?.fingerprint256 ?? '' };
}

/** One keep-alive GET /health on `socket`; resolves with the status line. */
function get(socket: TLSSocket, host: RunningHost): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: *(\d+)/i.exec(text);
      if (head < 0 || length === null) return;
      if (text.length < head + 4 + Number(length[1])) return;
      socket.off('data', onData);
      resolve(text.slice(0, text.indexOf('\r\n')));
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET /health HTTP/1.1\r\nHost: ${new URL(host.url).host}\r\n\r\n`);
  });
}

async function health(host: RunningHost) {
  const { socket } = await open(host);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => socket.once('end', resolve));
  socket.write(
    `GET /health HTTP/1.1\r\nHost: ${new URL(host.url).host}\r\nConnection: close\r\n\r\n`,
  );
  await ended;
  const text = Buffer.concat(chunks).toString('utf8');
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as {
    reloads: { applied: number; refused: number };
    services: {
      name: string;
      tls?: { fingerprint256: string; renewed: number; refused: number };
    }[];
    lastFailedReload?: { failed: { name: string; error: string }[] };
  };
}

describe('netrx up: http.tls renewed in place is served after a reload (review D2)', () => {
  it('new handshakes see the renewed certificate; a connection from before stays open', async () => {
    const first = install(createDemoCertificates());
    const host = await startHost(config(), {
      version: '0',
      services: servicesFromConfig(config()),
    });
    hosts.push(host);
    const before = await open(host);
    expect(before.served).toBe(first);
    expect(await get(before.socket, host)).toBe('HTTP/1.1 200 OK');

    const second = install(createDemoCertificates());
    expect(second).not.toBe(first);
    const next = config();
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result).toMatchObject({ ok: true, failed: [] });

    const after = await open(host);
    expect(after.served).toBe(second);
    // The connection from before the reload: still open, still answered.
    expect(before.socket.destroyed).toBe(false);
    expect(await get(before.socket, host)).toBe('HTTP/1.1 200 OK');
    const http = (await health(host)).services.find((s) => s.name === 'http');
    expect(http?.tls).toMatchObject({ fingerprint256: second, renewed: 1, refused: 0 });

    // Nothing renewed: nothing swapped.
    await host.reload(next, servicesFromConfig(next));
    expect((await health(host)).services.find((s) => s.name === 'http')?.tls?.renewed).toBe(1);
  });

  it('a renewed file that cannot be served refuses the reload, counted; the running certificate stays', async () => {
    const first = install(createDemoCertificates());
    const running = config();
    const host = await startHost(running, { version: '0', services: servicesFromConfig(running) });
    hosts.push(host);

    // The check refuses it first under `netrx up` (naming the key)…
    writeFileSync(cert, 'not a certificate\n');
    expect(() => config()).toThrow(ConfigError);
    expect(() => config()).toThrow(/^http\.tls\.cert: /);
    // …and the host itself, for a file changed after the check or a caller of reload().
    const refused = await host.reload(running, servicesFromConfig(running));
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(
      /^http\.tls\.cert: .* is not a PEM certificate.*; kept the running certificate$/,
    );

    // A certificate with another certificate's key.
    const other = createDemoCertificates();
    writeFileSync(cert, other.server.certPem);
    writeFileSync(key, createDemoCertificates().server.keyPem);
    const mismatch = await host.reload(running, servicesFromConfig(running));
    expect(mismatch.error).toMatch(/^http\.tls\.key: .* is not the private key of the certificate/);

    expect((await open(host)).served).toBe(first);
    const status = await health(host);
    expect(status.reloads).toEqual({ applied: 0, refused: 2 });
    expect(status.services.find((s) => s.name === 'http')?.tls).toMatchObject({
      fingerprint256: first,
      renewed: 0,
      refused: 2,
    });
    expect(status.lastFailedReload?.failed[0]?.name).toBe('http');
  });
});
