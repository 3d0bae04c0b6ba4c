import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { LocalAuthenticationProvider, StaticUserStore, createMd5Method } from '../../eap/index.js';
import { RadiusAttributeType } from '../../radius/dictionary.js';
import { RadiusCode, hideUserPassword, signAccessRequest } from '../../radius/index.js';
import { nodeCrypto } from '../runtime/crypto.js';
import { startRadiusServer } from './server.js';

const secret = new TextEncoder().encode('testing123');

describe('startRadiusServer (UDP, loopback)', () => {
  it('an answer that comes after close (a KV write, a directory lookup in flight) is dropped, not thrown', async () => {
    // Regression: the answer went to the closed socket, whose send throws
    // ERR_SOCKET_DGRAM_NOT_RUNNING from inside a promise: an unhandled error at every
    // `netrx up` stop with a clustered server (seen in test/interop/up-nats-auth.test.ts).
    const local = new LocalAuthenticationProvider({
      users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
      crypto: nodeCrypto,
    });
    let answer: (() => void) | undefined;
    const server = await startRadiusServer({
      host: '127.0.0.1',
      port: 0,
      clients: [{ address: '127.0.0.1', secret: 'testing123' }],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      // Holds the answer until the test releases it, after close.
      provider: { authenticate: (r, done) => (answer = () => local.authenticate(r, done)) },
    });
    const nas = createSocket('udp4');
    try {
      await new Promise<void>((resolve) => nas.bind(0, '127.0.0.1', resolve));
      const authenticator = nodeCrypto.randomBytes(16);
      const request = signAccessRequest(
        nodeCrypto,
        RadiusCode.AccessRequest,
        7,
        authenticator,
        [
          { type: RadiusAttributeType.UserName, value: new TextEncoder().encode('bob') },
          {
            type: RadiusAttributeType.UserPassword,
            value: hideUserPassword(
              nodeCrypto,
              new TextEncoder().encode('hello'),
              secret,
              authenticator,
            ),
          },
        ],
        secret,
      );
      nas.send(request, server.port, '127.0.0.1');
      const deadline = Date.now() + 5000;
      while (answer === undefined && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(answer).toBeDefined();
      await server.close();
      expect(() => answer?.()).not.toThrow();
    } finally {
      nas.close();
    }
  });

  it('a late (asynchronous) answer leaves from the socket the request came in on', async () => {
    const local = new LocalAuthenticationProvider({
      users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
      crypto: nodeCrypto,
    });
    const server = await startRadiusServer({
      host: '127.0.0.1',
      port: 0,
      accountingPort: 0,
      extraListeners: [{ host: '127.0.0.1', port: 0, service: 'auth' }],
      clients: [{ address: '127.0.0.1', secret: 'testing123' }],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      // Answers on a later turn of the event loop, as a directory lookup would.
      provider: { authenticate: (r, done) => setImmediate(() => local.authenticate(r, done)) },
    });
    const nas = createSocket('udp4');
    try {
      await new Promise<void>((resolve) => nas.bind(0, '127.0.0.1', resolve));
      const reply = new Promise<{ code: number; port: number }>((resolve) =>
        nas.once('message', (m, rinfo) => resolve({ code: m[0] as number, port: rinfo.port })),
      );
      const authenticator = nodeCrypto.randomBytes(16);
      const request = signAccessRequest(
        nodeCrypto,
        RadiusCode.AccessRequest,
        1,
        authenticator,
        [
          { type: RadiusAttributeType.UserName, value: new TextEncoder().encode('bob') },
          {
            type: RadiusAttributeType.UserPassword,
            value: hideUserPassword(
              nodeCrypto,
              new TextEncoder().encode('hello'),
              secret,
              authenticator,
            ),
          },
        ],
        secret,
      );
      const extraPort = server.extraPorts[0] as number;
      nas.send(request, extraPort, '127.0.0.1');
      const got = await reply;
      expect(got).toEqual({ code: RadiusCode.AccessAccept, port: extraPort });
      expect(extraPort).not.toBe(server.port);
    } finally {
      nas.close();
      await server.close();
    }
  });
});
