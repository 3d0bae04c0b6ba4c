import {
  SYNTHETIC_PROVIDER_NAME,
  SessionTable,
  startSyntheticProvider,
} from '../../capture/index.js';
import { readFile } from 'node:fs/promises';
import { PACKET_CAPTURE_PROVIDER_NAME } from '../../link/index.js';
import {
  CAPTURE_TOKEN_ENV,
  startLrecTcpServer,
  startLrecWsServer,
  type LrecTcpServer,
  type LrecWsNodeServer,
} from '../../node/capture/index.js';
import {
  MAX_BATCH_BYTES,
  MIN_CONFIGURED_BATCH_BYTES,
  MIN_READER_PULL_BYTES,
} from '../../node/cluster/index.js';
import { queueLimits } from '../../node/host/capture-service.js';
import { MAX_READER_PULL_BYTES } from '../../node/host/config-nats.js';
import { systemClock } from '../../node/runtime/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { integer, required } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { errorLine, fileErrorLine } from '../files.js';
import { parseLinkVxlan, startCaptureLinks } from './capture-serve-link.js';
import { natsSessionSource } from './capture-nats.js';
import {
  NATS_CONNECTION_OPTIONS,
  NATS_CONNECTION_USAGE,
  natsConnectionFlags,
} from './nats-flags.js';

// One sizing rule for `--queue-events` and the host's `capture.sessions[].queueEvents`.
export { queueLimits };

export const captureServeCommand: CliCommand = {
  path: ['capture', 'serve'],
  summary:
    'an MS-LREC event session served over DCE/RPC (ncacn_ip_tcp, loopback) and/or WebSocket (netrx.lrec.v1)',
  usage: `capture serve --session NAME [--rpc-port PORT] [--ws-port PORT [--ws-host HOST] [--ws-token TOKEN] [--tls-cert FILE --tls-key FILE] [--ws-max-per-address N] [--ws-keepalive-ms MS] [--ws-keepalive-timeout-ms MS]] [--insecure-no-auth] [--synthetic EVENTS_PER_SECOND] [--synthetic-count N] [--queue-events N] [--timer-ms MS] [--link-vxlan SPEC]... [--nats URL[,URL...] [--hosts PATTERN] [--reader-id ID] [--replicas N] [--pull-budget-bytes N] [--batch-bytes N] ${NATS_CONNECTION_USAGE}]`,
  options: {
    session: { type: 'string' },
    'rpc-port': { type: 'string' },
    'ws-port': { type: 'string' },
    'ws-host': { type: 'string' },
    'ws-token': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'ws-max-per-address': { type: 'string' },
    'ws-keepalive-ms': { type: 'string' },
    'ws-keepalive-timeout-ms': { type: 'string' },
    'insecure-no-auth': { type: 'boolean' },
    synthetic: { type: 'string' },
    'synthetic-count': { type: 'string' },
    'queue-events': { type: 'string' },
    'timer-ms': { type: 'string' },
    'link-vxlan': { type: 'string', multiple: true },
    nats: { type: 'string' },
    ...NATS_CONNECTION_OPTIONS,
    hosts: { type: 'string' },
    'reader-id': { type: 'string' },
    'pull-budget-bytes': { type: 'string' },
    'batch-bytes': { type: 'string' },
    replicas: { type: 'string' },
  },
  async run(values, _positionals, io) {
    const name = required('--session', values['session']);
    if (name.length > 1024) throw new UsageError('--session: at most 1024 characters');
    const rpcPort =
      values['rpc-port'] === undefined
        ? undefined
        : integer('--rpc-port', values['rpc-port'], 0, 65535);
    const wsPort =
      values['ws-port'] === undefined
        ? undefined
        : integer('--ws-port', values['ws-port'], 0, 65535);
    if (rpcPort === undefined && wsPort === undefined) {
      throw new UsageError('give --rpc-port PORT, --ws-port PORT, or both');
    }
    const insecure = values['insecure-no-auth'] === true;
    if (rpcPort !== undefined && !insecure) {
      throw new UsageError(
        '--insecure-no-auth is required with --rpc-port: authentication (NTLM) is not implemented yet, and unauthenticated capture is served on loopback only',
      );
    }
    const wsOnly = [
      'ws-host',
      'ws-token',
      'tls-cert',
      'tls-key',
      'ws-max-per-address',
      'ws-keepalive-ms',
      'ws-keepalive-timeout-ms',
    ].find((flag) => values[flag] !== undefined && wsPort === undefined);
    if (wsOnly !== undefined) throw new UsageError(`--${wsOnly} needs --ws-port`);
    const wsLimits = {
      ...(values['ws-max-per-address'] === undefined
        ? {}
        : {
            maxConnectionsPerAddress: integer(
              '--ws-max-per-address',
              values['ws-max-per-address'],
              1,
              65_536,
            ),
          }),
      ...(values['ws-keepalive-ms'] === undefined
        ? {}
        : {
            keepAliveIntervalMs: integer(
              '--ws-keepalive-ms',
              values['ws-keepalive-ms'],
              0,
              3_600_000,
            ),
          }),
      ...(values['ws-keepalive-timeout-ms'] === undefined
        ? {}
        : {
            keepAliveTimeoutMs: integer(
              '--ws-keepalive-timeout-ms',
              values['ws-keepalive-timeout-ms'],
              100,
              600_000,
            ),
          }),
    };
    {
      const every = wsLimits.keepAliveIntervalMs ?? 30_000;
      const within = wsLimits.keepAliveTimeoutMs ?? 10_000;
      if (every > 0 && within >= every) {
        throw new UsageError(
          `--ws-keepalive-timeout-ms (${within}) must be less than --ws-keepalive-ms (${every})`,
        );
      }
    }
    const certFile = values['tls-cert'];
    const keyFile = values['tls-key'];
    if ((certFile === undefined) !== (keyFile === undefined)) {
      throw new UsageError('--tls-cert and --tls-key go together');
    }
    const wsToken =
      typeof values['ws-token'] === 'string'
        ? values['ws-token']
        : wsPort === undefined
          ? undefined
          : process.env[CAPTURE_TOKEN_ENV] || undefined;
    const rate =
      values['synthetic'] === undefined
        ? undefined
        : integer('--synthetic', values['synthetic'], 0, 100_000_000);
    const count =
      values['synthetic-count'] === undefined
        ? undefined
        : integer('--synthetic-count', values['synthetic-count'], 0, Number.MAX_SAFE_INTEGER);
    if (count !== undefined && rate === undefined)
      throw new UsageError('--synthetic-count needs --synthetic');
    const queueEvents =
      values['queue-events'] === undefined
        ? undefined
        : integer('--queue-events', values['queue-events'], 1, 65_536);
    const timerMs =
      values['timer-ms'] === undefined
        ? undefined
        : integer('--timer-ms', values['timer-ms'], 100, 1000);

    // Hosts on VXLAN segments whose frames the session carries (packet-capture provider).
    const links = ((values['link-vxlan'] as unknown as string[] | undefined) ?? []).map(
      parseLinkVxlan,
    );

    for (const flag of ['hosts', 'reader-id', 'replicas', 'pull-budget-bytes', 'batch-bytes']) {
      if (values[flag] !== undefined && values['nats'] === undefined) {
        throw new UsageError(`--${flag} needs --nats`);
      }
    }
    const replicas =
      values['replicas'] === undefined ? 1 : integer('--replicas', values['replicas'], 1, 5);
    // The bytes the session's hosts may have asked NATS for at once (review16c N12).
    const pullBudgetBytes =
      values['pull-budget-bytes'] === undefined
        ? undefined
        : integer(
            '--pull-budget-bytes',
            values['pull-budget-bytes'],
            MIN_READER_PULL_BYTES,
            MAX_READER_PULL_BYTES,
          );
    // The publishers' batch cut, should this server create the stream (issue #16).
    const batchBytes =
      values['batch-bytes'] === undefined
        ? undefined
        : integer(
            '--batch-bytes',
            values['batch-bytes'],
            MIN_CONFIGURED_BATCH_BYTES,
            MAX_BATCH_BYTES,
          );
    // With --nats the session reads the hosts' events from the session's JetStream stream.
    let nats: Awaited<ReturnType<typeof natsSessionSource>> | undefined;
    const connection = natsConnectionFlags(
      values,
      values['nats'] as string | undefined,
      'netrx capture serve',
    );
    if (connection !== undefined) {
      try {
        nats = await natsSessionSource(
          name,
          connection,
          values['hosts'] as string | undefined,
          replicas,
          values['reader-id'] as string | undefined,
          pullBudgetBytes,
          batchBytes,
        );
      } catch (error) {
        if (error instanceof UsageError) throw error;
        io.err(`netrx capture serve: ${errorLine(error)}`);
        return 1;
      }
    }

    const clock = systemClock;
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock });
    const session = table.createSession({
      name,
      ...(nats === undefined ? {} : { source: nats.source }),
      // Without --synthetic the session listens to every provider of this process.
      providers:
        nats !== undefined && rate === undefined
          ? []
          : [
              { provider: rate === undefined ? '*' : SYNTHETIC_PROVIDER_NAME, level: 0 },
              // With --synthetic, the links' frames too.
              ...(rate !== undefined && links.length > 0
                ? [{ provider: PACKET_CAPTURE_PROVIDER_NAME, level: 0 }]
                : []),
            ],
      limits: {
        ...(queueEvents === undefined ? {} : queueLimits(queueEvents)),
        ...(timerMs === undefined ? {} : { timerMs }),
      },
    });
    session.start();
    // Starts emitting when the first client opens the session (the enable callback).
    const synthetic =
      rate === undefined
        ? undefined
        : startSyntheticProvider({
            registry,
            clock,
            eventsPerSecond: rate,
            startOnEnable: true,
            ...(count === undefined ? {} : { count }),
          });
    // MS-LREC stops the session when a client's connection drops; a server
    // left running starts it again so the next client can open it.
    const onConnectionClosed = () => {
      if (session.state === 'Stopped') session.start();
    };
    let rpc: LrecTcpServer | undefined;
    let ws: LrecWsNodeServer | undefined;
    let capturing: { stop(): Promise<void> } | undefined;
    const stopAll = async () => {
      synthetic?.stop();
      session.stop();
      await Promise.all([rpc?.close(), ws?.close()]);
      await capturing?.stop();
      await nats?.close();
    };
    let tls: { cert: Uint8Array; key: Uint8Array } | undefined;
    if (certFile !== undefined && keyFile !== undefined) {
      const read = async (file: string | boolean) => {
        try {
          return await readFile(String(file));
        } catch (error) {
          throw new Error(fileErrorLine(String(file), error), { cause: error });
        }
      };
      try {
        tls = { cert: await read(certFile), key: await read(keyFile) };
      } catch (error) {
        synthetic?.stop();
        io.err(`netrx capture serve: ${(error as Error).message}`);
        return 1;
      }
    }
    try {
      capturing = links.length === 0 ? undefined : await startCaptureLinks(links, registry);
      if (rpcPort !== undefined) {
        rpc = await startLrecTcpServer({
          table,
          port: rpcPort,
          insecureNoAuth: true,
          trace: registry,
          onConnectionClosed,
        });
      }
      if (wsPort !== undefined) {
        ws = await startLrecWsServer({
          table,
          port: wsPort,
          ...(typeof values['ws-host'] === 'string' ? { host: values['ws-host'] } : {}),
          ...(wsToken === undefined ? {} : { token: wsToken }),
          ...(tls === undefined ? {} : { tls }),
          insecureNoAuth: insecure,
          trace: registry,
          ...wsLimits,
          onConnectionClosed,
        });
      }
    } catch (error) {
      await stopAll();
      io.err(`netrx capture serve: ${errorLine(error)}`);
      return 1;
    }
    if (rpc !== undefined) {
      io.out(`listening on rpc://127.0.0.1:${rpc.port} session ${JSON.stringify(name)}`);
    }
    if (ws !== undefined) {
      const host = ws.host.includes(':') ? `[${ws.host}]` : ws.host;
      io.out(
        `listening on ${ws.scheme}://${host}:${ws.port} session ${JSON.stringify(name)}` +
          (wsToken === undefined ? ' (no token: loopback only)' : ' (bearer token required)'),
      );
    }
    if (nats !== undefined) {
      // The durables name this server (--reader-id): two servers must show two (review16c N1).
      io.out(
        `reading stream netrx-${name} for hosts ${JSON.stringify(values['hosts'] ?? '*')}: durables ${nats.durable}-<host>, ${nats.durable}-loss; pull budget ${nats.pullBudgetBytes} bytes`,
      );
    }
    io.out('ready');
    await io.untilStopped();
    await stopAll();
    return 0;
  },
};
