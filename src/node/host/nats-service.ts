/**
 * The `nats` service of `netrx up`: the host's one NATS connection
 * (`cluster.nats`), started before the services that use it (RADIUS
 * clustering, capture fan-in), which ask for it by name
 * (`natsConnectionOf(context)`) and restart with it on a reload. Its
 * `/health` entry is the connection: connected or reconnecting, the server
 * in use (never credentials), the kind of credentials and whether TLS is
 * on, disconnects, reconnects and the client's errors; `/metrics` has the
 * same counts. A first connect that finds no server (refused, unreachable,
 * timed out: NATS down while the host boots, review F10) starts the
 * service `reconnecting`: RADIUS answers new conversations from local
 * state, capture publishing counts its loss, `/health` says `degraded`
 * with the reason, and everything attaches once NATS answers. A first
 * connect that a server refuses (credentials, TLS) fails the start, naming
 * `cluster.nats`: waiting would not mend it. Afterwards the client
 * reconnects forever, and an attempt refused (wrong credentials after a
 * rotation, a TLS failure) is counted and traced (`NatsConnectionError`),
 * never a crash; while it is away `/health` says `degraded` too.
 */
import type { NatsConnectionStatus, SharedNatsConnection } from '../cluster/connection-settings.js';
import { CLUSTER_PROVIDER, ClusterEvent } from '../cluster/events.js';
import type { HostConfig } from './config.js';
import { natsSettingsOf } from './config-cluster-nats.js';
import type { HostContext, HostService } from './host.js';
import type { MetricFamily } from './metrics.js';

export const NATS_SERVICE = 'nats';

export interface NatsService extends HostService {
  /** The running connection (undefined before start and after stop). */
  connection(): SharedNatsConnection | undefined;
}

function isNatsService(service: HostService | undefined): service is NatsService {
  return (
    service?.name === NATS_SERVICE && typeof (service as NatsService).connection === 'function'
  );
}

/**
 * The host's NATS connection, for a service starting after `nats`: the
 * `nats` service built with it from the same configuration when that one
 * started (a first start, or a reload that restarted it), else the running
 * one (a reload that kept it). Throws when there is none (config-checks.ts
 * makes sure the `nats` service runs whenever a service needs it).
 */
export function natsConnectionOf(
  context: HostContext,
  sibling: NatsService | undefined,
  who: string,
): SharedNatsConnection {
  const service = context.service(NATS_SERVICE);
  const connection =
    sibling?.connection() ?? (isNatsService(service) ? service.connection() : undefined);
  if (connection === undefined)
    throw new Error(`${who} needs the host's NATS connection (cluster.nats), which is not running`);
  return connection;
}

export function natsService(config: HostConfig['cluster']['nats']): NatsService {
  let connection: SharedNatsConnection | undefined;
  let stopWatching: (() => void)[] = [];
  return {
    name: NATS_SERVICE,
    fingerprint: JSON.stringify(config),
    connection: () => connection,
    async start(context) {
      // Loaded only here: a host without cluster.nats never loads the NATS client.
      const { connectNats } = await import('../cluster/connection.js');
      const running = await connectNats({ ...natsSettingsOf(config), startDisconnected: true });
      connection = running;
      const provider = context.trace.register(CLUSTER_PROVIDER);
      stopWatching = [
        running.onState((state) => {
          const { server } = running.status();
          provider.emit(ClusterEvent.connectionState, { server, state });
          context.log(`nats: ${state} (${server})`);
        }),
        running.onError((error) => {
          const { server, errors } = running.status();
          provider.emit(ClusterEvent.connectionError, { server, errors: BigInt(errors), error });
          context.log(`nats: ${error} (${server}); the client keeps trying`);
        }),
      ];
      const status = running.status();
      if (!status.everConnected) {
        return `NATS reconnecting: no server answers yet (${status.lastError}); RADIUS serves from local state and capture counts its loss until one does`;
      }
      const tls = status.tls ? ', tls' : '';
      const auth = status.auth === 'none' ? '' : `, ${status.auth} credentials`;
      return `NATS ${status.server} (nats-server ${status.serverVersion}${tls}${auth})`;
    },
    async stop() {
      for (const stop of stopWatching) stop();
      stopWatching = [];
      const running = connection;
      connection = undefined;
      await running?.close();
    },
    status: () => (connection === undefined ? {} : { ...connection.status() }),
    degraded: () => (connection === undefined ? undefined : natsDegraded(connection.status())),
    metrics: () => (connection === undefined ? [] : natsConnectionMetrics(connection)),
  };
}

/** `/health`'s reason while the connection is not up ('connected': none). */
export function natsDegraded(status: NatsConnectionStatus): string | undefined {
  if (status.state === 'connected') return undefined;
  const since = new Date(status.sinceMs).toISOString();
  const why = status.lastError === '' ? '' : `: ${status.lastError}`;
  return status.everConnected
    ? `NATS ${status.state} since ${since} (last server ${status.server})${why}`
    : `NATS not reached since the start (${since})${why}; RADIUS answers new conversations from local state, capture counts its loss`;
}

function natsConnectionMetrics(connection: SharedNatsConnection): MetricFamily[] {
  const status = connection.status();
  const counter = (name: string, help: string, value: number): MetricFamily => ({
    name,
    help,
    type: 'counter',
    samples: [{ labels: {}, value }],
  });
  return [
    {
      name: 'netrx_nats_connected',
      help: "1 while the host's NATS connection (cluster.nats) is up.",
      type: 'gauge',
      samples: [{ labels: {}, value: status.state === 'connected' ? 1 : 0 }],
    },
    counter(
      'netrx_nats_disconnects_total',
      "Times the host's NATS connection was lost.",
      status.disconnects,
    ),
    counter(
      'netrx_nats_reconnects_total',
      "Times the host's NATS connection came back after a disconnect.",
      status.reconnects,
    ),
    counter(
      'netrx_nats_errors_total',
      'Errors the NATS client reported: reconnect attempts refused (authorization, TLS), permission violations.',
      status.errors,
    ),
  ];
}
