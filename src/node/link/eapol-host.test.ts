import { afterEach, describe, expect, it } from 'vitest';
import { createMd5Method, createMschapV2Method, StaticUserStore } from '../../eap/index.js';
import { EapolSupplicant, type SupplicantResultEvent } from '../../eapol/index.js';
import { createLinkPair } from '../../testing/index.js';
import { startRadiusServer, type RadiusUdpServer } from '../radius/index.js';
import { nodeCrypto, systemClock } from '../runtime/index.js';
import { attach8021x, type Ieee8021x } from './eapol-host.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The authenticator on a UDP socket relaying to `netrx radius serve`'s core on loopback. */
async function relay(identity: string, password: string, method: 'md5' | 'mschapv2') {
  const server: RadiusUdpServer = await startRadiusServer({
    host: '127.0.0.1',
    port: 0,
    clients: [{ address: '127.0.0.1', secret: 'testing123' }],
    methods: [
      createMd5Method({ crypto: nodeCrypto }),
      createMschapV2Method({ crypto: nodeCrypto }),
    ],
    users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
  });
  cleanups.push(() => server.close());
  const pair = createLinkPair();
  const lines: string[] = [];
  const host: Ieee8021x = attach8021x(
    pair.a,
    {
      authenticator: {
        users: [],
        radius: { servers: [{ address: '127.0.0.1', port: server.port, secret: 'testing123' }] },
      },
      log: (line) => lines.push(line),
    },
    systemClock,
  );
  cleanups.push(() => host.close());
  const results: SupplicantResultEvent[] = [];
  const supplicant = new EapolSupplicant({
    adapter: pair.b,
    clock: systemClock,
    methods: [
      method === 'md5'
        ? createMd5Method({ crypto: nodeCrypto })
        : createMschapV2Method({ crypto: nodeCrypto }),
    ],
    identity,
    password,
    onResult: (event) => results.push(event),
  });
  cleanups.push(() => supplicant.close());
  supplicant.start();
  // Real sockets on loopback: move frames until the supplicant has a result (bounded).
  for (let i = 0; i < 2000 && results.length === 0; i++) {
    pair.flush();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return { results, lines, host, pair, server };
}

describe('attach8021x with a RADIUS pass-through (real UDP on loopback)', () => {
  it('EAP-MD5: the supplicant is authorised by the RADIUS server', async () => {
    const { results, lines, host, pair, server } = await relay('bob', 'hello', 'md5');
    expect(results.map((r) => r.outcome)).toEqual(['success']);
    expect(pair.a.controlledPort.isAuthorized(pair.b.mac)).toBe(true);
    expect(lines.join('\n')).toMatch(/802\.1X authenticator: .* "bob" success \(Access-Accept\)/);
    expect(host.stats().authenticator?.radius).toMatchObject({ accepted: 1, dropped: {} });
    expect(server.core.stats().accepted).toBe(1);
  });

  it('EAP-MSCHAPv2 with a wrong password: rejected, port stays closed', async () => {
    const { results, host, pair } = await relay('bob', 'nope', 'mschapv2');
    expect(results.map((r) => r.outcome)).toEqual(['failure']);
    expect(pair.a.controlledPort.isAuthorized(pair.b.mac)).toBe(false);
    expect(host.stats().authenticator?.radius).toMatchObject({ rejected: 1 });
  });
});
