import { readFileSync } from 'node:fs';
import {
  StaticUserStore,
  UsersFileError,
  usersFileStore,
  type UserStore,
} from '../../eap/index.js';
import { LISTEN_ADDRESS, parseListenAddress } from '../../node/host/address.js';
import { RADIUS_SERVER_DEFAULTS } from '../../radius/index.js';
import {
  standardWorkerSetup,
  startRadSecServer,
  startRadiusServer,
  workerCount,
  type RadiusUdpServerStats,
} from '../../node/radius/index.js';
import { integer, required } from '../args.js';
import {
  RADIUS_CLUSTER_OPTIONS,
  RADIUS_CLUSTER_USAGE,
  connectRadiusCluster,
  radiusClusterFlags,
  sharedConversationState,
} from './radius-cluster.js';
import { UsageError, type CliCommand } from '../command.js';
import {
  METHODS,
  TLS_METHODS,
  certsDir,
  serverMethod,
  serverMethodName,
  serverPem,
  tlsLine,
  tlsVersionFlags,
} from './radius-methods.js';
import { list, methodNames, user } from './radius-args.js';
import { radsecOptions, radsecTrace } from './radius-radsec.js';

export const radiusServeCommand: CliCommand = {
  path: ['radius', 'serve'],
  summary:
    'a RADIUS server running EAP-MD5, EAP-MSCHAPv2 and, with --certs, PEAP, TTLS and EAP-TLS against a user list (--methods from md5, mschapv2, peap, ttls-pap, ttls-mschapv2, tls); prints ready',
  usage:
    'radius serve [--host ADDR] [--port PORT --secret SECRET] [--radsec PORT [--radsec-client NAME=CN ...] [--radsec-idle MS]] (--user NAME:PASSWORD ... | --users FILE) [--client PREFIX] [--acct-port PORT] [--methods md5,mschapv2,peap,ttls-pap,...] [--certs DIR [--tls-resume SECONDS] [--tls-min-version TLSv1.2|TLSv1.3] [--tls-max-version TLSv1.2|TLSv1.3]] [--strict] [--workers N|auto] ' +
    RADIUS_CLUSTER_USAGE,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    secret: { type: 'string' },
    user: { type: 'string', multiple: true },
    users: { type: 'string' },
    client: { type: 'string', multiple: true },
    'acct-port': { type: 'string' },
    methods: { type: 'string' },
    certs: { type: 'string' },
    'tls-resume': { type: 'string' },
    'tls-min-version': { type: 'string' },
    'tls-max-version': { type: 'string' },
    strict: { type: 'boolean' },
    radsec: { type: 'string' },
    'radsec-client': { type: 'string', multiple: true },
    'radsec-idle': { type: 'string' },
    workers: { type: 'string' },
    ...RADIUS_CLUSTER_OPTIONS,
  },
  async run(values, _positionals, io) {
    const clusterFlags = radiusClusterFlags(values);
    const workersText = typeof values['workers'] === 'string' ? values['workers'] : '1';
    let workers: number;
    try {
      workers = workerCount(workersText === 'auto' ? 'auto' : Number(workersText));
    } catch {
      throw new UsageError(
        `--workers: expected auto or an integer from 1 to 255, got ${JSON.stringify(workersText)}`,
      );
    }
    const hostText = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
    const host = parseListenAddress(hostText);
    if (host === undefined)
      throw new UsageError(`--host: expected ${LISTEN_ADDRESS}, got ${JSON.stringify(hostText)}`);
    const radsecPort =
      values['radsec'] === undefined ? undefined : integer('--radsec', values['radsec'], 0, 65535);
    // With --radsec alone there is no UDP listener (and no UDP secret).
    const udp = radsecPort === undefined || values['port'] !== undefined;
    const port = udp ? integer('--port', values['port'], 0, 65535) : 0;
    const accountingPort =
      values['acct-port'] === undefined
        ? undefined
        : integer('--acct-port', values['acct-port'], 0, 65535);
    const secret = udp ? required('--secret', values['secret']) : 'radsec';
    const specs = list(values['user']);
    const file = typeof values['users'] === 'string' ? values['users'] : undefined;
    if ((specs.length === 0) === (file === undefined)) {
      throw new UsageError('give either --user NAME:PASSWORD (repeatable) or --users FILE');
    }
    let users: UserStore;
    let usersText: string | undefined;
    if (file !== undefined) {
      const text = readFileSync(file, 'utf8');
      usersText = text;
      try {
        users = usersFileStore(text);
      } catch (error) {
        if (error instanceof UsersFileError) {
          io.err(`netrx radius serve: ${file}:${error.message}`);
          return 1;
        }
        throw error;
      }
    } else {
      try {
        users = new StaticUserStore(specs.map(user));
      } catch (error) {
        throw new UsageError(`--user: ${(error as Error).message}`);
      }
    }
    const certs = certsDir(typeof values['certs'] === 'string' ? values['certs'] : undefined);
    // TLS session resumption for the TLS methods: off unless asked (0 keeps it off).
    const resumeSeconds =
      values['tls-resume'] === undefined
        ? 0
        : integer('--tls-resume', values['tls-resume'], 0, 7 * 24 * 3600);
    const resume = resumeSeconds === 0 ? undefined : { lifetimeSeconds: resumeSeconds };
    if (resume !== undefined && certs === undefined)
      throw new UsageError('--tls-resume needs --certs DIR');
    if (resume !== undefined && workers > 1)
      throw new UsageError(
        '--tls-resume with --workers: the session cache is per process (for now)',
      );
    const tlsOptions = {
      ...tlsVersionFlags(values, certs),
      ...(resume === undefined ? {} : { resumption: resume }),
    };
    // Without --certs the TLS-based methods are left out of the default list.
    const names =
      values['methods'] === undefined
        ? METHODS.filter((name) => certs !== undefined || !TLS_METHODS.includes(name))
        : methodNames('--methods', required('--methods', values['methods']));
    // PEAP/TTLS sessions never resume (docs/eap-tls13.md): --tls-resume without tls does nothing.
    if (resume !== undefined && !names.includes('tls'))
      throw new UsageError(
        '--tls-resume resumes EAP-TLS sessions only, and --methods has no tls: PEAP and TTLS are never resumed (docs/eap-tls13.md)',
      );
    // One TTLS method serves PAP and EAP-MSCHAPv2 (the peer's AVPs choose): keep the first.
    const methods = names
      .filter(
        (name, i) =>
          !name.startsWith('ttls-') || names.findIndex((n) => n.startsWith('ttls-')) === i,
      )
      .map((name) => serverMethod(name, certs, tlsOptions));
    const prefixes = list(values['client']);
    const strict = values['strict'] === true;
    const clients = (prefixes.length === 0 ? ['127.0.0.0/8', '::1'] : prefixes).map((address) => ({
      address,
      secret,
      requireMessageAuthenticatorFirst: strict,
    }));
    const radsec =
      radsecPort === undefined ? undefined : radsecOptions(host, radsecPort, certs, values);
    // RadSec connections are printed as they come and go: `radsec accepted|closed|refused …`.
    const trace = radsec === undefined ? undefined : radsecTrace((line) => io.out(line));
    const accounting = (record: {
      client: string;
      statusType: number | undefined;
      sessionId: string | undefined;
      userName: string | undefined;
    }) =>
      io.out(
        `accounting ${record.client} ${String(record.statusType)} ${record.sessionId ?? '-'} ${record.userName ?? '-'}`,
      );
    // With workers, each worker builds the same methods and users from plain data.
    const serverMethods = [...new Set(names.map(serverMethodName))];
    const workerSetup =
      workers === 1
        ? undefined
        : standardWorkerSetup({
            methods: serverMethods,
            ...(usersText === undefined ? { users: specs.map(user) } : { usersFile: usersText }),
            ...(certs === undefined || !serverMethods.some((n) => TLS_METHODS.includes(n))
              ? {}
              : { tls: serverPem(certs), tlsOptions: tlsVersionFlags(values, certs) }),
          });
    if (clusterFlags !== undefined && (workers > 1 || !udp)) {
      throw new UsageError('--nats: a cluster is served over UDP with one worker only (for now)');
    }
    let link;
    try {
      link = clusterFlags === undefined ? undefined : await connectRadiusCluster(clusterFlags);
    } catch (error) {
      io.err(`netrx radius serve: ${(error as Error).message}`);
      return 1;
    }
    let shared;
    try {
      shared =
        link === undefined || clusterFlags === undefined
          ? undefined
          : await sharedConversationState(
              clusterFlags,
              link,
              RADIUS_SERVER_DEFAULTS.sessionTimeoutMs,
            );
    } catch (error) {
      await link?.close();
      io.err(`netrx radius serve: --state-key: the KV bucket: ${(error as Error).message}`);
      return 1;
    }
    const cluster =
      link === undefined || clusterFlags === undefined
        ? undefined
        : {
            link,
            serverId: clusterFlags.serverId,
            ...(shared === undefined ? {} : { shared }),
            ...(clusterFlags.forwardTimeoutMs === undefined
              ? {}
              : { forwardTimeoutMs: clusterFlags.forwardTimeoutMs }),
          };
    let server;
    try {
      server =
        udp || radsec === undefined || workers > 1
          ? await startRadiusServer({
              host,
              port,
              // --radsec alone with workers: the pool behind RadSec, no UDP socket.
              udp,
              workers,
              ...(workerSetup === undefined ? {} : { workerSetup }),
              ...(accountingPort === undefined ? {} : { accountingPort }),
              // RadSec alone: every request's client comes from its certificate, none by address.
              clients: udp ? clients : [],
              methods,
              users,
              accounting,
              ...(radsec === undefined ? {} : { radsec }),
              ...(trace === undefined ? {} : { trace }),
              ...(cluster === undefined ? {} : { cluster }),
            })
          : await startRadSecServer({
              methods,
              users,
              accounting,
              radsec,
              ...(trace === undefined ? {} : { trace }),
            });
    } catch (error) {
      await link?.close();
      if (error instanceof TypeError || error instanceof RangeError)
        throw new UsageError(`--client: ${error.message}`);
      io.err(`netrx radius serve: ${(error as Error).message}`);
      return 1;
    }
    const shown = host.includes(':') ? `[${host}]` : host;
    const tlsPort = 'listener' in server ? server.port : server.radsec?.port;
    const udpText =
      'listener' in server || !udp
        ? ''
        : `udp ${shown}:${server.port}${server.accountingPort === undefined ? '' : ` (accounting ${server.accountingPort})`}`;
    const tlsText = tlsPort === undefined ? '' : `radsec tls ${shown}:${tlsPort}`;
    io.out(
      `listening on ${[udpText, tlsText].filter((t) => t !== '').join(' and ')}, methods ${names.join(',')}${workers === 1 ? '' : `, ${workers} workers`}`,
    );
    if (certs !== undefined && names.some((n) => TLS_METHODS.includes(n)))
      io.out(tlsLine(certs, tlsOptions));
    if (clusterFlags !== undefined) {
      io.out(
        `cluster ${clusterFlags.clusterId} server ${clusterFlags.serverId} on nats ${clusterFlags.servers.join(',')} (${link?.serverVersion ?? ''})${shared === undefined ? '' : ', conversation state in KV'}`,
      );
    }
    io.out('ready');
    await io.untilStopped();
    await server.close();
    await link?.close();
    const stats: RadiusUdpServerStats = 'listener' in server ? server.core.stats() : server.stats();
    const pool = stats.workers;
    io.err(
      `netrx radius serve: ${stats.accepted} accepted, ${stats.rejected} rejected, ${stats.droppedTotal} dropped` +
        (pool === undefined
          ? ''
          : `; ${pool.workers} workers, ${pool.restarts} restarts, ${pool.conversationsLost} conversations lost, ` +
            `${pool.routedByState} routed by State (${pool.routedAcross} to another worker than their hash)`) +
        (stats.cluster === undefined
          ? ''
          : `; cluster ${stats.cluster.forwarded} forwarded, ${stats.cluster.answered} answered by their owner, ${stats.cluster.served} served for others` +
            (stats.cluster.shared === undefined
              ? ''
              : `, ${stats.cluster.restored} answered from KV, ${stats.cluster.shared.stored} stored, ${stats.cluster.shared.conflicts} conflicts, ${stats.cluster.shared.refused} refused, ${stats.cluster.shared.writeFailed} write failures`)),
    );
    return 0;
  },
};
