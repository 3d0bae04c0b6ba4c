import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Port, parseChatArgs, runChat } from '../../port/index.js';
import { systemClock } from '../runtime/index.js';
import { openExec, openTransport } from './transports.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

async function listen(onSocket: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const quiet = { log: () => {}, stderr: () => {}, report: () => {} };

describe('node port transports', () => {
  it('tcp: a chat script logs in over loopback', async () => {
    const server = await listen((socket) => {
      socket.write('login: ');
      socket.on('data', (chunk) => {
        if (chunk.toString() === 'ppp\r') socket.write('\r\nWelcome\r\n$ ');
      });
    });
    try {
      const port = new Port(await openTransport(`tcp:127.0.0.1:${server.port}`), {
        clock: systemClock,
      });
      const result = await runChat(port, parseChatArgs(['ogin:', 'ppp', '$ ', '']), {
        clock: systemClock,
        pacing: 'fast',
        timeoutSeconds: 5,
        output: quiet,
      });
      port.close();
      expect(result.exitCode).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('tcp: the peer closing is a disconnect (619) after the bytes it sent', async () => {
    const server = await listen((socket) => socket.end('bye\r\n'));
    try {
      const port = new Port(await openTransport(`tcp:127.0.0.1:${server.port}`), {
        clock: systemClock,
      });
      const chunks: string[] = [];
      for await (const chunk of port) chunks.push(text(chunk));
      expect(chunks.join('')).toBe('bye\r\n');
      expect(port.disconnectError?.number).toBe(619);
      port.close();
    } finally {
      await server.close();
    }
  });

  it('tcp: a refused connection is ERR_PORT_OPEN; a bad spec is ERR_PORT_SPEC', async () => {
    const server = await listen(() => {});
    const free = server.port;
    await server.close();
    await expect(openTransport(`tcp:127.0.0.1:${free}`)).rejects.toMatchObject({
      code: 'ERR_PORT_OPEN',
    });
    await expect(openTransport('modem:/dev/ttyS0')).rejects.toMatchObject({
      code: 'ERR_PORT_SPEC',
    });
    await expect(openTransport('tcp:localhost:99999')).rejects.toMatchObject({
      code: 'ERR_PORT_SPEC',
    });
    await expect(openTransport('exec:  ')).rejects.toMatchObject({ code: 'ERR_PORT_SPEC' });
  });

  it('tcp: pauses the socket when the port queue fills, and loses nothing', async () => {
    const payload = Buffer.alloc(512 * 1024, 0x61);
    const server = await listen((socket) => socket.end(payload));
    try {
      const port = new Port(await openTransport(`tcp:127.0.0.1:${server.port}`), {
        clock: systemClock,
        maxQueuedBytes: 16 * 1024,
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      let total = 0;
      for await (const chunk of port) total += chunk.length;
      expect(total).toBe(payload.length);
      expect(port.stats().dropped).toBe(0);
      expect(port.stats().pauses).toBeGreaterThan(0);
      port.close();
    } finally {
      await server.close();
    }
  });

  it('exec: talks to a child process on its stdin/stdout; close ends it', async () => {
    const transport = openExec(
      'printf "login: "; read user; printf "hello %s\\n" "$user"; sleep 30',
    );
    const port = new Port(transport, { clock: systemClock });
    await port.expect(['login: '], { timeoutMs: 5000 });
    port.send('bob\n');
    const match = await port.expect([/hello (\w+)/], { timeoutMs: 5000 });
    expect(match.groups).toEqual(['bob']);
    port.close();
  });

  it('exec: the child exiting is a disconnect', async () => {
    const port = new Port(openExec('printf done'), { clock: systemClock });
    const chunks: string[] = [];
    for await (const chunk of port) chunks.push(text(chunk));
    expect(chunks.join('')).toBe('done');
    port.close();
  });
});

describe('node port transports: serial specs', () => {
  it('serial:PATH@0 and non-standard rates are refused before anything is opened (B0 would hang up)', async () => {
    await expect(openTransport('serial:/dev/null@0')).rejects.toMatchObject({
      code: 'ERR_PORT_SPEC',
      message: expect.stringMatching(
        /unsupported line rate 0 \(0 would hang up the line/,
      ) as unknown,
    });
    await expect(openTransport('serialport:/dev/null@12345')).rejects.toMatchObject({
      code: 'ERR_PORT_SPEC',
    });
  });
});

// TLS needs a certificate: a throwaway self-signed one from openssl.
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
// As test/interop/support/peers.ts requirePeers: under CI a missing peer fails, never skips.
if (!hasOpenssl && process.env['CI'] === 'true') {
  throw new Error('transports.test.ts: openssl is missing under CI (apt-get install -y openssl)');
}
const certDir = mkdtempSync(join(tmpdir(), `netrx-port-tls-${process.pid}-`));
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

describe.skipIf(!hasOpenssl)('node port transports: tls', () => {
  it('tls: connects with the given CA and runs a script; refuses an unknown CA', async () => {
    const key = join(certDir, 'key.pem');
    const cert = join(certDir, 'cert.pem');
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]);
    expect(made.status).toBe(0);
    const server = createTlsServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      (socket) => {
        socket.on('error', () => {});
        socket.write('Username: ');
        socket.on('data', () => socket.write('\r\nrouter# '));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    try {
      const { openTls } = await import('./transports.js');
      const port = new Port(
        await openTls('localhost', address.port, { ca: readFileSync(cert, 'utf8') }),
        { clock: systemClock },
      );
      const result = await runChat(port, parseChatArgs(['name:', 'admin', '# ', '']), {
        clock: systemClock,
        pacing: 'fast',
        timeoutSeconds: 5,
        output: quiet,
      });
      port.close();
      expect(result.exitCode).toBe(0);
      // tls:IP sends no SNI (an address is not a server name, RFC 6066): no DEP0123 warning.
      const warnings = vi.spyOn(process, 'emitWarning');
      try {
        const byAddress = await openTls('127.0.0.1', address.port, {
          ca: readFileSync(cert, 'utf8'),
        });
        byAddress.close();
        expect(warnings.mock.calls.map((call) => String(call[0]))).toEqual([]);
      } finally {
        warnings.mockRestore();
      }
      await expect(openTransport(`tls:localhost:${address.port}`)).rejects.toMatchObject({
        code: 'ERR_PORT_OPEN',
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
