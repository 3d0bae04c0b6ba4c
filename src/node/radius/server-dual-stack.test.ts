// A NAS whose request reaches one server over two sockets: a dual-stack
// socket reports it as `::ffff:127.0.0.1`, an IPv4 socket as `127.0.0.1`.
// RFC 5080's duplicate key is the NAS's address, source port, Identifier and
// Request Authenticator; the address is the NAS's, whatever spelling the
// socket gave it (nas-address.ts), so the second arrival is answered from the
// duplicate cache and not authenticated again (issue 16).
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { LocalAuthenticationProvider, StaticUserStore, createMd5Method } from '../../eap/index.js';
import { RadiusAttributeType } from '../../radius/dictionary.js';
import { RadiusCode, hideUserPassword, signAccessRequest } from '../../radius/index.js';
import { nodeCrypto } from '../runtime/crypto.js';
import { startRadiusServer } from './server.js';

const secret = new TextEncoder().encode('testing123');

function papRequest(identifier: number): Uint8Array {
  const authenticator = nodeCrypto.randomBytes(16);
  return signAccessRequest(
    nodeCrypto,
    RadiusCode.AccessRequest,
    identifier,
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
}

/** Sends `datagram` to `port` and resolves with the answer's bytes. */
function exchange(nas: Socket, datagram: Uint8Array, port: number): Promise<Uint8Array> {
  const answer = new Promise<Uint8Array>((resolve) => nas.once('message', (m) => resolve(m)));
  // From a dual-stack socket: the IPv4 listener sees 127.0.0.1, the dual-stack one ::ffff:127.0.0.1.
  nas.send(datagram, port, '::ffff:127.0.0.1');
  return answer;
}

describe('the duplicate cache across a dual-stack and an IPv4 socket', () => {
  it('answers the same request from its cache whichever spelling of the NAS address it came with', async () => {
    const local = new LocalAuthenticationProvider({
      users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
      crypto: nodeCrypto,
    });
    let authentications = 0;
    const server = await startRadiusServer({
      host: '::',
      port: 0,
      extraListeners: [{ host: '127.0.0.1', port: 0, service: 'auth' }],
      clients: [{ address: '127.0.0.1', secret: 'testing123' }],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      provider: {
        authenticate: (request, done) => {
          authentications++;
          local.authenticate(request, done);
        },
      },
    });
    const nas = createSocket({ type: 'udp6' });
    try {
      await new Promise<void>((resolve) => nas.bind(0, '::', resolve));
      const request = papRequest(42);
      const overDualStack = await exchange(nas, request, server.port);
      const overIpv4 = await exchange(nas, request, server.extraPorts[0] as number);
      expect(overDualStack[0]).toBe(RadiusCode.AccessAccept);
      expect(overIpv4).toEqual(overDualStack);
      expect(authentications).toBe(1);
      expect(server.stats()).toMatchObject({ duplicatesAnswered: 1, accepted: 1 });
    } finally {
      nas.close();
      await server.close();
    }
  });
});
