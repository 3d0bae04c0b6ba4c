// Review D5: a port another process holds fails the start with one error
// naming the configuration key and the port, coded ERR_HOST_LISTEN (not
// Node's bare `listen EADDRINUSE`), and the host leaves nothing bound.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { startHost } from './host.js';
import { servicesFromConfig } from './services.js';
import { HostListenError, listenReason } from './start-errors.js';

const held: (Server | UdpSocket)[] = [];
afterEach(async () => {
  await Promise.all(
    held.splice(0).map((h) => new Promise<void>((resolve) => h.close(() => resolve()))),
  );
});

async function holdTcp(): Promise<number> {
  const server = createServer();
  held.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function holdUdp(): Promise<number> {
  const socket = createSocket('udp4');
  held.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket.address().port;
}

async function startError(raw: Record<string, unknown>): Promise<unknown> {
  const config = validateHostConfig({
    http: { port: 0 },
    radius: { port: 0 },
    capture: { rpc: { port: 0 } },
    synthetic: { enabled: false },
    ...raw,
  });
  try {
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    await host.stop();
  } catch (error) {
    return error;
  }
  throw new Error('the host started');
}

describe('netrx up: a busy port names its key (review D5)', () => {
  it('capture.rpc.port', async () => {
    const port = await holdTcp();
    const error = await startError({ capture: { rpc: { port } } });
    expect(error).toBeInstanceOf(HostListenError);
    expect(error).toMatchObject({
      code: 'ERR_HOST_LISTEN',
      path: 'capture.rpc.port',
      port,
      message: `capture.rpc.port: cannot listen on tcp 127.0.0.1:${port}: address already in use`,
    });
    // The capture service undid its half: the same config starts once the port is free.
    await new Promise<void>((resolve) => (held.pop() as Server).close(() => resolve()));
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port } },
      synthetic: { enabled: false },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    await host.stop();
  });

  it('radius.port (udp)', async () => {
    const port = await holdUdp();
    expect(await startError({ radius: { port } })).toMatchObject({
      code: 'ERR_HOST_LISTEN',
      path: 'radius.port',
      message: `radius.port: cannot listen on udp 127.0.0.1:${port}: address already in use`,
    });
  });

  it('http.port', async () => {
    const port = await holdTcp();
    expect(await startError({ http: { port } })).toMatchObject({
      code: 'ERR_HOST_LISTEN',
      path: 'http.port',
      message: `http.port: cannot listen on tcp 127.0.0.1:${port}: address already in use`,
    });
  });

  it('says why in words for the usual errno codes, brackets an IPv6 address', () => {
    const errno = (code: string) => Object.assign(new Error(`x ${code}`), { code });
    expect(listenReason(errno('EACCES'))).toBe('permission denied');
    expect(listenReason(errno('EADDRNOTAVAIL'))).toBe('address not available on this machine');
    expect(listenReason(errno('EPERM'))).toBe('x EPERM');
    expect(
      new HostListenError(
        'radius.radsec.port',
        { protocol: 'tcp', address: '::1', port: 2083 },
        'r',
      ).message,
    ).toBe('radius.radsec.port: cannot listen on tcp [::1]:2083: r');
  });
});
