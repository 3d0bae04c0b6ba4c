/**
 * What the eapol_test cluster suites share (radius-cluster-eapol-test,
 * radius-cluster-kv-eapol-test, radius-cluster-kv-f6-eapol-test,
 * radius-cluster-nats3-eapol-test, radius-cluster-dual-stack): the peer
 * (Debian `eapoltest` 2:2.10-12+deb12u3, `eapol_test v2.10`), its network
 * blocks, one run through a forwarder's port and what a success shows,
 * the demo certificates, `netrx radius serve` child processes (dist), and
 * netrx RADIUS servers of one cluster run
 * in this process (the library's startRadiusServer, as `netrx radius
 * serve --nats --state-key` builds it) when a test needs to reach inside
 * one: `crashAfterWrite` is the fault seam F6's proof needs, a wrapper of
 * the bucket a server is given, so it lives here and nowhere a
 * configuration or the CLI can reach.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { StaticUserStore, createMd5Method, createMschapV2Method } from '../../../src/eap/index.js';
import {
  connectRadiusClusterLink,
  type NatsRadiusClusterLink,
} from '../../../src/node/cluster/index.js';
import { startRadiusServer, type RadiusUdpServer } from '../../../src/node/radius/index.js';
import { aes256GcmAead, nodeCrypto } from '../../../src/node/runtime/index.js';
import type { ConversationKv, KvWrite } from '../../../src/radius/index.js';
import { commandExists, requirePeers, versionOf } from './peers.js';
import { ran, watched, type Watched } from './processes.js';

/** The peer these suites were checked with (`eapol_test -v`). */
export const RECORDED_EAPOL_TEST = 'eapol_test v2.10';
export const CLUSTER_SECRET = 'cluster-secret';

/** The CLI the suites run as child processes (`npm run build`). */
export const main = resolve(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');

/** The suite's eapol_test peer (missing fails under CI=true), its version printed and checked against the record. */
export function requireEapolTest(suite: string) {
  const peers = requirePeers(suite, [
    {
      name: 'eapol_test',
      ok: () => commandExists('eapol_test'),
      hint: 'apt-get install eapoltest',
    },
  ]);
  if (!peers.skip) {
    const version = versionOf('eapol_test', ['-v']);
    console.info(`peers: ${version}`);
    if (!version.startsWith(RECORDED_EAPOL_TEST)) {
      console.warn(`[netrx interop] checked with ${RECORDED_EAPOL_TEST}`);
    }
  }
  return peers;
}

/** `netrx certs demo --out certs`: the CA, server and client certificates the PEAP and EAP-TLS blocks trust. */
export async function demoCerts(certs: string): Promise<void> {
  const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
  expect(made.code).toBe(0);
}

/** A `netrx radius serve` child process and the UDP port it listens on. */
export interface ServeProcess {
  readonly id: string;
  readonly process: Watched;
  readonly port: number;
}

/**
 * `netrx radius serve` for bob:hello with the demo certificates in `certs`,
 * on `host` (default 127.0.0.1) and a free port, with the cluster secret;
 * with `nats`, a server `id` of that cluster (and `stateKey`: its bucket
 * sealed). Resolves once it has printed its port and `ready`.
 */
export async function radiusServe(options: {
  readonly id: string;
  readonly certs: string;
  readonly host?: string;
  readonly nats?: { readonly url: string; readonly clusterId: string };
  readonly stateKey?: string;
}): Promise<ServeProcess> {
  const host = options.host ?? '127.0.0.1';
  const { nats, stateKey } = options;
  const child = watched(process.execPath, [
    main,
    'radius',
    'serve',
    '--host',
    host,
    '--port',
    '0',
    '--secret',
    CLUSTER_SECRET,
    '--user',
    'bob:hello',
    '--certs',
    options.certs,
    ...(nats === undefined
      ? []
      : ['--nats', nats.url, '--cluster-id', nats.clusterId, '--server-id', options.id]),
    ...(stateKey === undefined ? [] : ['--state-key', stateKey]),
  ]);
  // An IPv4 host is printed as given; another (`::`) in the form the CLI prints it.
  const address = host === '127.0.0.1' ? '127\\.0\\.0\\.1' : '\\S+';
  const listening = await child.until(
    new RegExp(`^listening on udp ${address}:(\\d+)`, 'm'),
    20_000,
  );
  await child.until(/^ready$/m, 20_000);
  return { id: options.id, process: child, port: Number(listening[1]) };
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

/** What a successful eapol_test run shows: MS-MPPE keys checked, `SUCCESS` last, exit 0. */
export function expectSuccess(
  run: { readonly text: string; readonly code: unknown },
  name: string,
) {
  expect(run.text, name).toContain('MPPE keys OK: 1  mismatch: 0');
  expect(lastLine(run.text), name).toBe('SUCCESS');
  expect(run.code, name).toBe(0);
}

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
