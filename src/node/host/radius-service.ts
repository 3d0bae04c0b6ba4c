/**
 * `radius` in `netrx up`: the RADIUS/EAP server (netrx/radius on UDP) with
 * the configured clients, users (a list or a FreeRADIUS users file) and EAP
 * methods. It writes `netrx-radius` events onto the host's trace bus; the
 * service listens to the RadiusSessionEnded ones itself to count
 * authentications by method and result for `/metrics`.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { filesFingerprint } from './config-files.js';
import { HostListenError, listenReason } from './start-errors.js';
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  usersFileStore,
  type UserStore,
} from '../../eap/index.js';
import {
  RADIUS_PROVIDER,
  RADIUS_SERVER_DEFAULTS,
  RadiusEventDescriptor,
  RadiusKeyword,
} from '../../radius/index.js';
import { decodePayload, TraceLevel, type TraceSubscription } from '../../trace/index.js';
import {
  createServerMethod,
  serverTlsSummary,
  standardWorkerSetup,
  type ServerMethodOptions,
  type ServerTlsPem,
  type ServerTlsSummary,
  startRadiusServer,
  workerCount,
  type RadSecListenerOptions,
  type RadiusUdpServer,
  type StandardMethodName,
  type StandardWorkerUsers,
} from '../radius/index.js';
import type { NatsRadiusClusterLink } from '../cluster/radius-link.js';
import { loadStateKey } from '../cluster/state-key.js';
import { NATS_SERVICE, natsConnectionOf, type NatsService } from './nats-service.js';
import { aes256GcmAead } from '../runtime/aead.js';
import type { HostConfig } from './config.js';
import { DEMO_SECRET, DEMO_USER } from './config-services.js';
import { demoUserInUsersFile } from './config-checks.js';
import { RECENT_AUTHENTICATIONS, type SnapshotAuthentication } from './dashboard-snapshot.js';
import { isLoopbackAddress } from '../capture/index.js';
import type { HostService } from './host.js';
import type { MetricFamily } from './metrics.js';
import { radiusMetrics } from './radius-metrics.js';

export type RadiusConfig = HostConfig['radius'];

export interface RadiusService extends HostService {
  /** Where it listens once started (the bound port when `port` is 0). */
  address(): { readonly address: string; readonly port: number } | undefined;
  /** The `radius` section it runs with (after a reload's update in place, the new one). */
  radiusConfig(): RadiusConfig;
}

/** True for the radius service (what `context.service('radius')` finds). */
export function isRadiusService(service: HostService | undefined): service is RadiusService {
  return service?.name === 'radius' && typeof (service as RadiusService).address === 'function';
}

/** The server-side method name: one TTLS method serves PAP and EAP-MSCHAPv2. */
export function standardMethodOf(name: RadiusConfig['methods'][number]): StandardMethodName {
  // The schema admits md5, mschapv2, peap, ttls and tls only.
  return name === 'ttls' ? 'ttls-mschapv2' : (name as StandardMethodName);
}

/** The methods that need `radius.tls`. */
export const RADIUS_TLS_METHODS: readonly RadiusConfig['methods'][number][] = [
  'peap',
  'ttls',
  'tls',
];

export function usesTls(config: RadiusConfig): boolean {
  return config.methods.some((m) => RADIUS_TLS_METHODS.includes(m));
}

/** `radius.tls`'s PEM files, read now, or undefined when no TLS method is listed. */
async function tlsPemOf(config: RadiusConfig): Promise<ServerTlsPem | undefined> {
  if (!usesTls(config)) return undefined;
  const { certificate, privateKey, ca } = config.tls;
  const [cert, key, caText] = await Promise.all(
    [certificate, privateKey, ca].map((file) => readFile(file, 'utf8')),
  );
  return { cert: cert as string, key: key as string, ca: caText as string };
}

/**
 * The fingerprint a reload compares: the configuration and, with TLS
 * methods, the PEM files' contents, so a renewed certificate under the
 * same name restarts the service. An unreadable file hashes as such (start
 * then reports it).
 */
/**
 * What a reload compares: the config and the contents of every file it
 * names (users, RadSec and EAP-TLS PEMs), so a file renewed in place
 * restarts the service.
 */
function fingerprintOf(config: RadiusConfig): string {
  return JSON.stringify({
    config,
    files: filesFingerprint([
      config.usersFile,
      ...(config.radsec.enabled
        ? [config.radsec.certificate, config.radsec.privateKey, config.radsec.ca]
        : []),
      ...(usesTls(config) ? [config.tls.certificate, config.tls.privateKey, config.tls.ca] : []),
    ]),
  });
}

/** The RadSec listener options from `radius.radsec` (its PEM files read now), or undefined when off. */
async function radsecOf(
  config: RadiusConfig,
): Promise<Omit<RadSecListenerOptions, 'trace'> | undefined> {
  const radsec = config.radsec;
  if (!radsec.enabled) return undefined;
  const [cert, key, ca] = await Promise.all(
    [radsec.certificate, radsec.privateKey, radsec.ca].map((file) => readFile(file, 'utf8')),
  );
  return {
    host: radsec.host,
    port: radsec.port,
    tls: { cert: cert as string, key: key as string, ca: ca as string },
    clients: radsec.clients.map((c) => ({
      name: c.name,
      ...(c.commonName === '' ? {} : { commonName: c.commonName }),
      ...(c.dnsName === '' ? {} : { dnsName: c.dnsName }),
      ...(c.address === '' ? {} : { address: c.address }),
    })),
    idleTimeoutMs: radsec.idleTimeoutMs,
    maxConnections: radsec.maxConnections,
    maxConnectionsPerClient: radsec.maxConnectionsPerClient,
  };
}

async function usersOf(config: RadiusConfig): Promise<{ store: UserStore; text?: string }> {
  if (config.usersFile === '') return { store: new StaticUserStore(config.users) };
  return usersFromText(config, await readFile(config.usersFile, 'utf8'));
}

function usersFromText(config: RadiusConfig, text: string): { store: UserStore; text: string } {
  // Checked again when read: the file may have changed since the config
  // check (review S3).
  if (!isLoopbackAddress(config.host) && demoUserInUsersFile(text))
    throw new Error(
      `radius.usersFile ${config.usersFile}: the demo user ${DEMO_USER.name} is refused on a non-loopback radius.host (${config.host})`,
    );
  try {
    return { store: usersFileStore(text), text };
  } catch (error) {
    throw new Error(`radius.usersFile ${config.usersFile}:${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** True when the demo secret or the demo user is configured (loopback only: config-checks.ts). */
export function usesDemoCredentials(config: RadiusConfig): boolean {
  return (
    config.clients.some((c) => c.secret === DEMO_SECRET) ||
    config.users.some((u) => u.name === DEMO_USER.name)
  );
}

/**
 * True when `before` and `after` differ only in who the users are
 * (`users`, `usersFile`): what a running single-process server takes in
 * place, its conversations in progress included.
 */
function onlyUsersDiffer(before: RadiusConfig, after: RadiusConfig): boolean {
  const rest = (c: RadiusConfig) =>
    JSON.stringify({ ...c, users: undefined, usersFile: undefined });
  return rest(before) === rest(after);
}

/**
 * `nats`: the host's NATS service built from the same configuration, whose
 * connection a clustered server (`radius.cluster.enabled`) shares.
 */
export function radiusService(initial: RadiusConfig, nats?: NatsService): RadiusService {
  // Replaced by a reload's update in place (the users only).
  let config = initial;
  let fingerprint = fingerprintOf(config);
  /** The users now: the server asks through `users`, so a reload can swap them. */
  let currentUsers: UserStore = new StaticUserStore([]);
  const users: UserStore = { lookup: (name) => currentUsers.lookup(name) };
  let server: RadiusUdpServer | undefined;
  let link: NatsRadiusClusterLink | undefined;
  let subscription: TraceSubscription | undefined;
  let log: (line: string) => void = () => undefined;
  /** `method result` → count, from RadiusSessionEnded. */
  const auths = new Map<string, { method: string; result: string; count: number }>();
  /** The newest ended conversations, newest first, for the dashboard's snapshot. */
  const recent: SnapshotAuthentication[] = [];
  /** The TLS settings /health shows (never keys), with TLS methods only. */
  let tlsSummary: ServerTlsSummary | undefined;
  return {
    name: 'radius',
    // Clustered, it runs on the host's NATS connection: it restarts with it.
    ...(initial.enabled && initial.cluster.enabled ? { dependsOn: [NATS_SERVICE] } : {}),
    get fingerprint() {
      return fingerprint;
    },
    /**
     * A reload that changes only the users (a user added to `radius.users`
     * or to the users file, as with FreeRADIUS): the running server looks
     * them up in the new list from now on, and an EAP conversation half-way
     * through goes on (review D7). With worker threads, each worker is sent
     * the new users (`RadiusWorkerPool.updateUsers`): requests routed after
     * the update see them, conversations in progress keep their State. In
     * a cluster each server runs its own configuration: this one's users
     * change here, the others' with their own files. A users file that
     * does not read or parse (or names the demo user off loopback) leaves
     * it to a restart, which refuses the reload as before.
     */
    updateInPlace(next) {
      const running = server;
      if (running === undefined || !isRadiusService(next)) return undefined;
      const wanted = next.radiusConfig();
      if (!onlyUsersDiffer(config, wanted)) return undefined;
      let store: UserStore;
      let forWorkers: StandardWorkerUsers;
      try {
        if (wanted.usersFile === '') {
          store = new StaticUserStore(wanted.users);
          forWorkers = { users: wanted.users };
        } else {
          const loaded = usersFromText(wanted, readFileSync(wanted.usersFile, 'utf8'));
          store = loaded.store;
          forWorkers = { usersFile: loaded.text };
        }
      } catch {
        return undefined;
      }
      const nextFingerprint = next.fingerprint ?? fingerprintOf(wanted);
      return () => {
        currentUsers = store;
        // Checked here already (parsed above): a worker refusing them keeps its old users, said in the log.
        running.pool
          ?.updateUsers(forWorkers)
          .catch((error: unknown) =>
            log(`radius: users not updated in a worker: ${(error as Error).message}`),
          );
        config = wanted;
        fingerprint = nextFingerprint;
      };
    },
    radiusConfig: () => config,
    address: () => (server === undefined ? undefined : { address: config.host, port: server.port }),
    async start(context) {
      log = context.log;
      const loaded = await usersOf(config);
      currentUsers = loaded.store;
      const radsec = await radsecOf(config);
      const pem = await tlsPemOf(config);
      const versions: Pick<ServerMethodOptions, 'minVersion' | 'maxVersion'> = {
        minVersion: config.tls.minVersion,
        maxVersion: config.tls.maxVersion,
      };
      const names = [...new Set(config.methods.map(standardMethodOf))];
      const resumption =
        config.tls.resumeSeconds > 0 ? { lifetimeSeconds: config.tls.resumeSeconds } : undefined;
      tlsSummary =
        pem === undefined
          ? undefined
          : serverTlsSummary(pem, {
              ...versions,
              ...(resumption === undefined ? {} : { resumption }),
            });
      // MD5 and MSCHAPv2 with the host's crypto (tests give a fixed one); the TLS methods from the shared factory.
      const methods = names.map((name) =>
        name === 'md5'
          ? createMd5Method({ crypto: context.crypto })
          : name === 'mschapv2'
            ? createMschapV2Method({ crypto: context.crypto })
            : createServerMethod(name, pem, {
                ...versions,
                ...(name === 'tls' && config.tls.resumeSeconds > 0
                  ? { resumption: { lifetimeSeconds: config.tls.resumeSeconds } }
                  : {}),
              }),
      );
      const workers = workerCount(config.workers);
      const fields = RadiusEventDescriptor.sessionEnded.fields ?? [];
      context.trace.register(RADIUS_PROVIDER);
      subscription = context.trace.enable(
        RADIUS_PROVIDER.name,
        (event) => {
          if (event.descriptor.id !== RadiusEventDescriptor.sessionEnded.id) return;
          const decoded = decodePayload(fields, event.payload);
          if (!decoded.ok) return;
          const method = String(decoded.values['method'] ?? '') || 'none';
          const result = String(decoded.values['outcome'] ?? '') || 'unknown';
          const key = `${method} ${result}`;
          const entry = auths.get(key) ?? { method, result, count: 0 };
          entry.count++;
          auths.set(key, entry);
          const durationMs = decoded.values['durationMs'];
          recent.unshift({
            timeMs: event.timestamp,
            identity: String(decoded.values['identity'] ?? ''),
            method,
            outcome: result,
            // -1: begun on another server of a cluster, so not known here.
            ...(typeof durationMs === 'number' && durationMs >= 0 ? { durationMs } : {}),
          });
          if (recent.length > RECENT_AUTHENTICATIONS) recent.pop();
        },
        { level: TraceLevel.Information, matchAnyKeyword: RadiusKeyword.Sessions },
      );
      const clustered = config.cluster.enabled;
      try {
        // Loaded only when configured: a host without a cluster never loads the NATS client.
        link = clustered
          ? await (
              await import('../cluster/radius-link.js')
            ).radiusClusterLinkOver(
              natsConnectionOf(context, nats, 'radius.cluster'),
              config.cluster.id,
            )
          : undefined;
        server = await startRadiusServer({
          host: config.host,
          port: config.port,
          clients: config.clients.map((c) => ({ address: c.address, secret: c.secret })),
          methods,
          users,
          workers,
          ...(workers === 1
            ? {}
            : {
                workerSetup: standardWorkerSetup({
                  methods: names,
                  ...(pem === undefined ? {} : { tls: pem, tlsOptions: versions }),
                  ...(loaded.text === undefined
                    ? { users: config.users }
                    : { usersFile: loaded.text }),
                }),
              }),
          trace: context.trace,
          clock: context.clock,
          crypto: context.crypto,
          ...(radsec === undefined ? {} : { radsec }),
          ...(link === undefined
            ? {}
            : {
                cluster: {
                  link,
                  serverId: config.cluster.serverId,
                  forwardTimeoutMs: config.cluster.forwardTimeoutMs,
                  ...(config.cluster.stateKey === ''
                    ? {}
                    : {
                        shared: {
                          kv: await link.conversationBucket({
                            ttlMs: RADIUS_SERVER_DEFAULTS.sessionTimeoutMs,
                            replicas: config.cluster.replicas,
                          }),
                          aead: aes256GcmAead(
                            loadStateKey('radius.cluster.stateKey', config.cluster.stateKey),
                          ),
                          ...(config.cluster.previousStateKey === ''
                            ? {}
                            : {
                                previousAead: aes256GcmAead(
                                  loadStateKey(
                                    'radius.cluster.previousStateKey',
                                    config.cluster.previousStateKey,
                                  ),
                                ),
                              }),
                        },
                      }),
                },
              }),
        });
      } catch (error) {
        subscription.disable();
        await link?.close();
        link = undefined;
        // Not a socket's: the cluster's (the bucket refused, NATS went away), named so.
        if ((error as NodeJS.ErrnoException).syscall === undefined && clustered)
          throw new Error(`radius.cluster: ${(error as Error).message}`, { cause: error });
        // A TCP listen that failed is RadSec's; a UDP bind, the RADIUS port's.
        const radsec = (error as NodeJS.ErrnoException).syscall === 'listen';
        throw new HostListenError(
          radsec ? 'radius.radsec.port' : 'radius.port',
          radsec
            ? { protocol: 'tcp', address: config.radsec.host, port: config.radsec.port }
            : { protocol: 'udp', address: config.host, port: config.port },
          listenReason(error),
          error,
        );
      }
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      const demo = usesDemoCredentials(config)
        ? `; DEMO ONLY: secret ${DEMO_SECRET}, user ${DEMO_USER.name}/${DEMO_USER.password}`
        : '';
      const tls =
        server.radsec === undefined
          ? ''
          : ` and radsec tls ${config.radsec.host.includes(':') ? `[${config.radsec.host}]` : config.radsec.host}:${server.radsec.port}`;
      const threads = workers === 1 ? '' : `, ${workers} workers`;
      const cluster = clustered
        ? `, cluster ${config.cluster.id} as ${config.cluster.serverId}`
        : '';
      return `RADIUS/EAP on udp ${host}:${server.port}${tls} (${config.methods.join(', ')}${threads}${cluster})${demo}`;
    },
    async stop() {
      const running = server;
      server = undefined;
      subscription?.disable();
      subscription = undefined;
      // Datagram service: nothing to finish; conversations in progress are
      // answered by nobody and their NASes retry or fail over.
      await running?.close();
      await link?.close();
      link = undefined;
    },
    snapshot: () => ({
      byResult: Object.fromEntries([...auths].map(([key, a]) => [key, a.count])),
      recent: [...recent],
    }),
    status: () => {
      if (server === undefined) return {};
      const stats = server.stats();
      return {
        host: config.host,
        port: server.port,
        methods: config.methods,
        ...(tlsSummary === undefined ? {} : { tls: tlsSummary }),
        ...stats,
        ...(server.radsec === undefined
          ? {}
          : { radsec: { port: server.radsec.port, ...server.radsec.stats() } }),
        ...(link === undefined
          ? {}
          : {
              clusterLink: {
                attached: link.attached,
                connected: link.connected,
                ...(link.attachError === '' ? {} : { attachError: link.attachError }),
              },
            }),
      };
    },
    degraded: () => {
      if (link === undefined) return undefined;
      // Booted during a NATS outage (review F10): serving, from local state only.
      if (!link.attached)
        return `radius.cluster waits for NATS: new conversations are answered from local state, forwards fail${link.attachError === '' ? '' : ` (${link.attachError})`}`;
      // NATS away since (audit16 A9): the same, and what the bucket held cannot go on meanwhile.
      if (!link.connected)
        return 'radius.cluster: NATS away: new conversations are answered from local state, forwards fail, conversations kept in the bucket fail';
      return undefined;
    },
    metrics: (): MetricFamily[] =>
      server === undefined
        ? []
        : radiusMetrics({
            stats: server.stats(),
            auths: [...auths.values()],
            radsec: server.radsec?.stats(),
            workers: server.pool?.workerStats() ?? [],
          }),
  };
}
