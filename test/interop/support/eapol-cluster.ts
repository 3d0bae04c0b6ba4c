/**
 * What the eapol_test cluster suites share (radius-cluster-eapol-test,
 * radius-cluster-kv-eapol-test, radius-cluster-kv-f6-eapol-test; the
 * nats3 suite keeps its own for now): the peer (Debian `eapoltest`
 * 2:2.10-12+deb12u3, `eapol_test v2.10`), its network blocks, one run
 * through a forwarder's port, and netrx RADIUS servers of one cluster run
 * in this process (the library's startRadiusServer, as `netrx radius
 * serve --nats --state-key` builds it) when a test needs to reach inside
 * one: `crashAfterWrite` is the fault seam F6's proof needs, a wrapper of
 * the bucket a server is given, so it lives here and nowhere a
 * configuration or the CLI can reach.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StaticUserStore, createMd5Method, createMschapV2Method } from '../../../src/eap/index.js';
import {
  connectRadiusClusterLink,
  type NatsRadiusClusterLink,
} from '../../../src/node/cluster/index.js';
import { startRadiusServer, type RadiusUdpServer } from '../../../src/node/radius/index.js';
import { aes256GcmAead, nodeCrypto } from '../../../src/node/runtime/index.js';
import type { ConversationKv, KvWrite } from '../../../src/radius/index.js';
import { commandExists, requirePeers } from './peers.js';
import { ran } from './processes.js';

/** The peer these suites were checked with (`eapol_test -v`). */
export const RECORDED_EAPOL_TEST = 'eapol_test v2.10';
export const CLUSTER_SECRET = 'cluster-secret';

export function requireEapolTest(suite: string) {
  return requirePeers(suite, [
    {
      name: 'eapol_test',
      ok: () => commandExists('eapol_test'),
      hint: 'apt-get install eapoltest',
    },
  ]);
}

/** eapol_test network blocks written into `dir`; PEAP trusts `certs` (`netrx certs demo`). */
export function eapolConfigs(dir: string, certs: string) {
  const config = (name: string, lines: readonly string[]): string => {
    const file = join(dir, `${name}.conf`);
    writeFileSync(file, ['network={', ...lines.map((l) => `  ${l}`), '}', ''].join('\n'));
    return file;
  };
  return {
    MSCHAPv2: () =>
      config('mschapv2', [
        'key_mgmt=IEEE8021X',
        'eap=MSCHAPV2',
        'identity="bob"',
        'password="hello"',
        'eapol_flags=0',
      ]),
    'PEAP/MSCHAPv2': () =>
      config('peap', [
        'key_mgmt=WPA-EAP',
        'eap=PEAP',
        'identity="bob"',
        'anonymous_identity="anonymous"',
        'password="hello"',
        `ca_cert="${join(certs, 'ca.pem')}"`,
        'domain_suffix_match="netrx.test"',
        'phase1="peaplabel=0"',
        'phase2="auth=MSCHAPV2"',
      ]),
    'EAP-MD5': () =>
      config('md5', [
        'key_mgmt=IEEE8021X',
        'eap=MD5',
        'identity="bob"',
        'password="hello"',
        'eapol_flags=0',
      ]),
    'EAP-TLS': () =>
      config('tls', [
        'key_mgmt=WPA-EAP',
        'eap=TLS',
        'identity="bob"',
        `ca_cert="${join(certs, 'ca.pem')}"`,
        `client_cert="${join(certs, 'client.pem')}"`,
        `private_key="${join(certs, 'client-key.pem')}"`,
      ]),
  } as const;
}

/** One eapol_test run against `port` (a forwarder's); `timeoutS` is its -t. */
export function eapolTest(
  port: number,
  file: string,
  extra: readonly string[] = [],
  timeoutS = 12,
) {
  return ran('eapol_test', [
    '-c',
    file,
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-s',
    CLUSTER_SECRET,
    '-t',
    String(timeoutS),
    ...extra,
  ]);
}

export const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)?.trim() ?? '';

/**
 * The fault seam: the bucket as `inner`, except that after each
 * compare-and-set update it stores, `crashNow` is asked; when it says
 * true (it stops the server), that write never settles, so its server has
 * written the round (the bucket holds it) and never answers it, as a
 * process killed between the two would.
 */
export function crashAfterWrite(inner: ConversationKv, crashNow: () => boolean): ConversationKv {
  return {
    get: (key) => inner.get(key),
    create: (key, value) => inner.create(key, value),
    delete: (key, revision) => inner.delete(key, revision),
    revisionAfter: (key, revision) => inner.revisionAfter(key, revision),
    async update(key, value, revision): Promise<KvWrite> {
      const outcome = await inner.update(key, value, revision);
      if (outcome.kind !== 'stored' || !crashNow()) return outcome;
      return new Promise<KvWrite>(() => {});
    },
  };
}

export interface ClusterServer {
  readonly id: string;
  readonly port: number;
  readonly server: RadiusUdpServer;
  readonly link: NatsRadiusClusterLink;
  /** Closes its socket and its NATS link (no responder for its id any more); idempotent. */
  stop(): Promise<void>;
}

/**
 * A netrx RADIUS server of cluster `clusterId` in this process, with MD5
 * and MSCHAPv2 for bob:hello, its state in the cluster's sealed bucket;
 * `wrapKv` may put a seam around that bucket.
 */
export async function clusterServer(options: {
  readonly id: string;
  readonly natsUrl: string;
  readonly clusterId: string;
  readonly stateKey: Uint8Array;
  readonly wrapKv?: (kv: ConversationKv) => ConversationKv;
}): Promise<ClusterServer> {
  const link = await connectRadiusClusterLink({
    servers: options.natsUrl,
    clusterId: options.clusterId,
  });
  const bucket = await link.conversationBucket({ ttlMs: 30_000 });
  const server = await startRadiusServer({
    host: '127.0.0.1',
    port: 0,
    clients: [{ address: '127.0.0.0/8', secret: CLUSTER_SECRET }],
    methods: [
      createMd5Method({ crypto: nodeCrypto }),
      createMschapV2Method({ crypto: nodeCrypto }),
    ],
    users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
    cluster: {
      serverId: options.id,
      link,
      shared: {
        kv: options.wrapKv === undefined ? bucket : options.wrapKv(bucket),
        aead: aes256GcmAead(options.stateKey),
      },
    },
  });
  let stopping: Promise<void> | undefined;
  return {
    id: options.id,
    port: server.port,
    server,
    link,
    stop: () => (stopping ??= Promise.all([server.close(), link.close()]).then(() => undefined)),
  };
}
