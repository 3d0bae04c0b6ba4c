// The capture WebSocket's per-address cap counts all of loopback (127.0.0.0/8,
// ::1, ::ffff:127.x) as one address, as the host's login limiter and
// ConnectionGuard do: any local user can connect from any 127.x address
// without privilege, so keying them apart gave one local client 16 million
// times the cap. Both places the cap is kept are covered: the standalone
// server's admission (sockets from accept) and the endpoint mounted on
// netrx up's HTTP server (upgrades).
import { EventEmitter } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import { connect, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LREC_WS_SUBPROTOCOL, SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { systemClock } from '../runtime/index.js';
import { createLrecWsEndpoint } from './index.js';
import { ConnectionAdmission } from './ws-admission.js';

/** The little of a `net.Socket` the admission uses: an address, close, end, destroy. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  refusal = '';
  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {
    super();
  }
  end(text: string, done?: () => void): void {
    this.refusal = text;
    done?.();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

const octet = fc.integer({ min: 0, max: 255 });
const loopbackAddress = fc.oneof(
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `127.${a}.${b}.${c}`),
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `::ffff:127.${a}.${b}.${c}`),
  fc.constant('::1'),
);

describe('capture WebSocket admission: all of loopback is one address', () => {
  it('property: past the cap, a socket from any other loopback address is refused; one closing frees a slot for any of them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        fc.array(loopbackAddress, { minLength: 9, maxLength: 20 }),
        (cap, tls, addresses) => {
          const admission = new ConnectionAdmission({
            clock: new VirtualClock(0),
            preAuthTimeoutMs: 10_000,
            maxPerAddress: cap,
            tls,
          });
          const server = new EventEmitter();
          admission.attach(server as unknown as Server);
          const sockets = addresses.map((address, i) => new FakeSocket(address, 40_000 + i));
          for (const socket of sockets) server.emit('connection', socket);
          const refused = sockets.filter((s) => s.destroyed || s.refusal !== '');
          expect(sockets.length - refused.length).toBe(cap);
          expect(admission.stats()).toMatchObject({
            addressRefused: sockets.length - cap,
            addresses: 1,
          });
          // A slot freed by one loopback address is loopback's, whatever address takes it.
          sockets[0]?.destroy();
          const next = new FakeSocket(addresses[addresses.length - 1] ?? '::1', 50_000);
          server.emit('connection', next);
          expect(next.destroyed || next.refusal !== '').toBe(false);
        },
      ),
    );
  });

  it('property: distinct non-loopback addresses each get their own cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 126 }), octet, octet, octet), {
          minLength: 1,
          maxLength: 8,
          selector: (t) => t.join('.'),
        }),
        (cap, quads) => {
          const admission = new ConnectionAdmission({
            clock: new VirtualClock(0),
            preAuthTimeoutMs: 10_000,
            maxPerAddress: cap,
            tls: false,
          });
          const server = new EventEmitter();
          admission.attach(server as unknown as Server);
          let port = 1;
          for (const quad of quads)
            for (let i = 0; i < cap; i++)
              server.emit('connection', new FakeSocket(quad.join('.'), port++));
          expect(admission.stats()).toMatchObject({ addressRefused: 0, addresses: quads.length });
        },
      ),
    );
  });
});

describe('capture WebSocket endpoint on another server (netrx up): all of loopback is one address', () => {
  let http: HttpServer | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    http?.closeAllConnections();
    await new Promise((resolve) => http?.close(resolve));
    http = undefined;
  });

  function upgradeFrom(port: number, from: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: from });
      sockets.push(socket);
      let text = '';
      socket.on('error', reject);
      socket.on('close', () => resolve(text === '' ? 'closed' : (text.split('\r\n')[0] ?? '')));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) resolve(text.slice(0, text.indexOf('\r\n')));
      });
      socket.write(
        [
          'GET / HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Protocol: ${LREC_WS_SUBPROTOCOL}`,
          '',
          '',
        ].join('\r\n'),
      );
    });
  }

  it('an upgrade from 127.0.0.2 past the cap held by 127.0.0.1 gets 429', async () => {
    const registry = new TraceRegistry({ clock: systemClock });
    const endpoint = createLrecWsEndpoint({
      table: new SessionTable({ registry, clock: systemClock }),
      maxConnectionsPerAddress: 1,
      keepAliveIntervalMs: 0,
    });
    const server = createServer();
    http = server;
    server.on('upgrade', (request, socket, head) => endpoint.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await upgradeFrom(port, '127.0.0.1')).toMatch(/^HTTP\/1\.1 101 /);
      expect(await upgradeFrom(port, '127.0.0.2')).toBe('HTTP/1.1 429 Too Many Requests');
      expect(endpoint.stats()).toMatchObject({ addressRefused: 1, addresses: 1 });
    } finally {
      endpoint.close();
    }
  });
});
