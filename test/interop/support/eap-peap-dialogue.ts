// A PEAPv0/EAP-MSCHAPv2 dialogue between netrx's peer and authenticator, both
// on the Node TLS engine, through createEapPair: the peer gives an anonymous
// outer identity and the real one inside the tunnel; the authenticator checks
// it with the local provider. Lets the engines' event-loop turns run until
// both sides have a result.
import {
  LocalAuthenticationProvider,
  StaticUserStore,
  createMschapV2Method,
  createPeapMethod,
  createTtlsMethod,
  type EapMethod,
  type EapSessionResult,
  type TlsEngineFactory,
  type TtlsMethodOptions,
} from '../../../src/eap/index.js';
import {
  createNodeTlsEngineFactory,
  type NodeTlsClientConfig,
  type TlsVersionName,
} from '../../../src/node/eap/index.js';
import { nodeCrypto } from '../../../src/node/runtime/index.js';
import { createEapPair, VirtualClock, type EapPair } from '../../../src/testing/index.js';
import { certs } from './eap-tls-dialogue.js';

export interface PeapRun {
  readonly pair: EapPair;
  readonly peer: EapSessionResult | undefined;
  readonly auth: EapSessionResult | undefined;
  readonly provider: LocalAuthenticationProvider;
}

export async function peapDialogue(
  options: {
    version?: TlsVersionName;
    sendCapacity?: number;
    password?: string;
    innerIdentity?: string;
    client?: Partial<NodeTlsClientConfig>;
    /** TTLS/PAP (true) or TTLS/EAP-MSCHAPv2 ('eap') instead of PEAP/MSCHAPv2. */
    ttls?: boolean | 'eap';
    /** OpenSSL cipher list for both engines (the PRF/exporter hash follows the suite). */
    ciphers?: string;
    /** Both engines' NSS key log lines (for an independent key derivation). */
    onKeylog?: (line: string) => void;
    /** Engine factories to use instead of fresh ones (resumption tests share them across runs). */
    factories?: { server: TlsEngineFactory; client: TlsEngineFactory };
  } = {},
): Promise<PeapRun> {
  const clock = new VirtualClock();
  const version = options.version ?? 'TLSv1.2';
  const peap = options.ttls === undefined || options.ttls === false;
  const make = (o: TtlsMethodOptions): EapMethod =>
    peap && o.inner !== undefined
      ? createPeapMethod({ ...o, inner: o.inner })
      : createTtlsMethod(o);
  const tuning = {
    ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
    ...(options.onKeylog === undefined ? {} : { onKeylog: options.onKeylog }),
  };
  const inner = () =>
    options.ttls === true ? {} : { inner: createMschapV2Method({ crypto: nodeCrypto }) };
  const server = make({
    engines:
      options.factories?.server ??
      createNodeTlsEngineFactory({
        server: {
          cert: certs.server.certPem,
          key: certs.server.keyPem,
          ca: certs.ca.certPem,
          requireClientCertificate: false,
        },
        maxVersion: version,
        ...tuning,
      }),
    ...inner(),
  });
  const client = make({
    engines:
      options.factories?.client ??
      createNodeTlsEngineFactory({
        client: { ca: certs.ca.certPem, serverName: 'radius.netrx.test', ...options.client },
        maxVersion: version,
        ...tuning,
      }),
    ...inner(),
    innerIdentity: options.innerIdentity ?? 'bob',
  });
  const provider = new LocalAuthenticationProvider({
    users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
    crypto: nodeCrypto,
  });
  const results: { peer?: EapSessionResult; auth?: EapSessionResult } = {};
  const pair = createEapPair({
    clock,
    peer: {
      methods: [client],
      identity: 'anonymous',
      password: options.password ?? 'hello',
      ...(options.sendCapacity === undefined ? {} : { sendCapacity: options.sendCapacity }),
      onResult: (r) => (results.peer = r),
    },
    authenticator: {
      methods: [server],
      provider,
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
  return { pair, peer: results.peer, auth: results.auth, provider };
}
