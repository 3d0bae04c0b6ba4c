// The RADIUS EAP client with a peer method that answers later (a TLS
// engine's pendingWork): the conversation waits for it instead of ending
// with "the peer did not answer". Regression: before the peer's `busy`
// check, PEAP and EAP-TLS through `netrx radius test` ended at the Start.
import { describe, expect, it } from 'vitest';
import { certs } from '../../test/interop/support/eap-tls-dialogue.js';
import {
  EapAction,
  EapMethodFlag,
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  createPeapMethod,
  type EapMethod,
} from '../eap/index.js';
import { EapType } from '../wire/eap.js';
import { createNodeTlsEngineFactory } from '../node/eap/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusEapClient, RadiusServer, type RadiusEapResult } from './index.js';

function peap(side: 'server' | 'client', maxVersion: 'TLSv1.2' | 'TLSv1.3'): EapMethod {
  return createPeapMethod({
    engines: createNodeTlsEngineFactory({
      ...(side === 'server'
        ? {
            server: {
              cert: certs.server.certPem,
              key: certs.server.keyPem,
              ca: certs.ca.certPem,
              requireClientCertificate: false,
            },
          }
        : { client: { ca: certs.ca.certPem, serverName: 'radius.netrx.test' } }),
      maxVersion,
    }),
    inner: createMschapV2Method({ crypto: nodeCrypto }),
    innerIdentity: 'bob',
  });
}

describe('RadiusEapClient with a method that answers later', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    'PEAP over %s through RadiusServer: Access-Accept, MPPE keys and EAP-Key-Name match',
    async (version) => {
      const clock = new VirtualClock();
      const box: { client?: RadiusEapClient } = {};
      const server = new RadiusServer({
        clock,
        crypto: nodeCrypto,
        clients: [{ address: '127.0.0.1', secret: 'testing123' }],
        methods: [peap('server', version)],
        users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
        send: (datagram) => {
          const copy = datagram.slice();
          setImmediate(() => box.client?.receive(copy, { address: '127.0.0.1', port: 1812 }));
        },
      });
      const result = await new Promise<RadiusEapResult>((resolve) => {
        box.client = new RadiusEapClient({
          clock,
          crypto: nodeCrypto,
          servers: [{ address: '127.0.0.1', port: 1812, secret: 'testing123' }],
          methods: [peap('client', version)],
          identity: 'anonymous',
          password: 'hello',
          send: (datagram) => {
            const copy = datagram.slice();
            setImmediate(() => server.receive(copy, { address: '127.0.0.1', port: 40000 }));
          },
          onResult: resolve,
        });
        box.client.start();
      });
      expect(result).toMatchObject({ outcome: 'success', keysMatch: true, keyNameMatch: true });
      expect(result.eap?.reason).toContain(`(${version})`);
      expect(result.eap?.method).toBe('PEAP');
      expect(server.stats().accepted).toBe(1);
    },
  );
});

/**
 * A peer-side MD5 stand-in whose answer is pending work that ends in failure
 * with no last packet, as the TLS peer ends when the server sends it what
 * its tunnel cannot take (TTLS/PAP answered by an inner Request/Identity).
 */
function failsLater(): { method: EapMethod; complete: () => void } {
  let done: (() => void) | undefined;
  const method: EapMethod<{ pending: boolean }> = {
    info: { type: EapType.Md5Challenge, name: 'fails-later', flags: EapMethodFlag.Peer },
    begin: () => ({ pending: false }),
    end: () => {},
    makeMessage(work, _received, _capacity, input) {
      if (input?.workComplete === true) {
        return { action: EapAction.Done, authResultCode: 691, reason: 'failed in pending work' };
      }
      work.pending = true;
      return { action: EapAction.NoAction, pendingWork: { whenDone: (d) => (done = d) } };
    },
  };
  return { method, complete: () => done?.() };
}

describe('RadiusEapClient with a peer that ends later without a packet', () => {
  it("ends with the peer's failure at once (regression: it waited forever, no timer armed)", () => {
    const clock = new VirtualClock();
    const box: { client?: RadiusEapClient } = {};
    const server = new RadiusServer({
      clock,
      crypto: nodeCrypto,
      clients: [{ address: '127.0.0.1', secret: 'testing123' }],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
      send: (datagram) =>
        box.client?.receive(datagram.slice(), { address: '127.0.0.1', port: 1812 }),
    });
    const stub = failsLater();
    const results: RadiusEapResult[] = [];
    box.client = new RadiusEapClient({
      clock,
      crypto: nodeCrypto,
      servers: [{ address: '127.0.0.1', port: 1812, secret: 'testing123' }],
      methods: [stub.method],
      identity: 'bob',
      password: 'hello',
      send: (datagram) => server.receive(datagram.slice(), { address: '127.0.0.1', port: 40000 }),
      onResult: (r) => results.push(r),
    });
    box.client.start();
    expect(results).toEqual([]); // the MD5 Request arrived; the stub's answer is pending
    stub.complete();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ outcome: 'failure', reason: 'failed in pending work' });
    // Nothing is left to fire later.
    clock.advance(60_000);
    expect(results).toHaveLength(1);
  });
});
