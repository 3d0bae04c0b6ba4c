import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { LocalAuthenticationProvider, StaticUserStore, createMd5Method } from '../../eap/index.js';
import { RadiusAttributeType } from '../../radius/dictionary.js';
import { RadiusCode, hideUserPassword, signAccessRequest } from '../../radius/index.js';
import { nodeCrypto } from '../runtime/crypto.js';
import { startRadiusServer } from './server.js';

const secret = new TextEncoder().encode('testing123');

describe('startRadiusServer (UDP, loopback)', () => {
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
