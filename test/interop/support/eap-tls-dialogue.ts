// An EAP-TLS dialogue between netrx's peer and authenticator, both on the
// Node TLS engine, through createEapPair: delivers packets and lets the
// engines' event-loop turns run until both sides have a result.
import { createDemoCertificates, type DemoCertificates } from '../../../src/node/certs/demo.js';
import {
  createNodeTlsEngineFactory,
  type NodeTlsClientConfig,
  type TlsVersionName,
} from '../../../src/node/eap/index.js';
import {
  createTlsMethod,
  type EapSessionResult,
  type TlsEngineFactory,
} from '../../../src/eap/index.js';
import { createEapPair, VirtualClock, type EapPair } from '../../../src/testing/index.js';

export const certs: DemoCertificates = createDemoCertificates();

export interface Run {
  readonly pair: EapPair;
  readonly peer: EapSessionResult | undefined;
  readonly auth: EapSessionResult | undefined;
}

export async function dialogue(options: {
  version: TlsVersionName;
  sendCapacity?: number;
  client?: Partial<NodeTlsClientConfig>;
  server?: { cert?: string; key?: string; ca?: string };
  ciphers?: string;
  onKeylog?: (line: string) => void;
  /** Engine factories to use instead of fresh ones (resumption tests share them across runs). */
  factories?: { server: TlsEngineFactory; client: TlsEngineFactory };
}): Promise<Run> {
  const clock = new VirtualClock();
  const server = createTlsMethod({
    engines:
      options.factories?.server ??
      createNodeTlsEngineFactory({
        server: {
          cert: options.server?.cert ?? certs.server.certPem,
          key: options.server?.key ?? certs.server.keyPem,
          ca: options.server?.ca ?? certs.ca.certPem,
        },
        maxVersion: options.version,
        minVersion: options.version,
      }),
  });
  const client = createTlsMethod({
    engines:
      options.factories?.client ??
      createNodeTlsEngineFactory({
        client: {
          ca: certs.ca.certPem,
          cert: certs.client.certPem,
          key: certs.client.keyPem,
          serverName: 'radius.netrx.test',
          ...options.client,
        },
        maxVersion: options.version,
        ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
        ...(options.onKeylog === undefined ? {} : { onKeylog: options.onKeylog }),
      }),
  });
  const results: { peer?: EapSessionResult; auth?: EapSessionResult } = {};
  const pair = createEapPair({
    clock,
    peer: {
      methods: [client],
      identity: 'bob',
      ...(options.sendCapacity === undefined ? {} : { sendCapacity: options.sendCapacity }),
      onResult: (r) => (results.peer = r),
    },
    authenticator: {
      methods: [server],
      initialIdentifier: 1,
      maxRounds: 500,
      ...(options.sendCapacity === undefined ? {} : { sendCapacity: options.sendCapacity }),
      onResult: (r) => (results.auth = r),
    },
  });
  pair.authenticator.start();
  for (
    let turn = 0;
    turn < 5000 && (results.peer === undefined || results.auth === undefined);
    turn++
  ) {
    if (pair.flush() === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return { pair, peer: results.peer, auth: results.auth };
}
