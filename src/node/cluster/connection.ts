/**
 * One NATS connection, with its credentials and TLS, that capture fan-in
 * and RADIUS clustering share (`cluster.nats` in `netrx up`): one reconnect
 * state to watch, one set of credentials to rotate, one TCP/TLS session per
 * host. The client (`@nats-io/transport-node`) loads only when
 * `connectNats` is called, and reconnects forever by itself; this keeps the
 * state an operator asks for (connected or reconnecting, the server in use
 * without credentials, disconnects, reconnects, failed attempts and the
 * last error). Secrets (password, token, seed, key) are read here, handed
 * to the client and never kept in a message: the errors this module throws
 * name the setting (`errorPrefix`) and the server, never a credential.
 */
import { readFile } from 'node:fs/promises';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { NetrxError } from '../../runtime/index.js';
import type {
  NatsConnectionSettings,
  NatsConnectionState,
  SharedNatsConnection,
} from './connection-settings.js';

export type * from './connection-settings.js';

/** The client of each connection `connectNats` made. */
const clients = new WeakMap<SharedNatsConnection, NatsConnection>();

/** The NATS client inside `connection` (one `connectNats` made). */
export function natsClientOf(connection: SharedNatsConnection): NatsConnection {
  const nc = clients.get(connection);
  if (nc === undefined) throw new TypeError('not a connection connectNats made');
  return nc;
}

/** The client's options for `settings`: files read, authenticator built. */
export async function natsConnectOptions(
  settings: NatsConnectionSettings,
): Promise<NodeConnectionOptions> {
  const prefix = settings.errorPrefix ?? 'NATS';
  const servers = typeof settings.servers === 'string' ? [settings.servers] : [...settings.servers];
  const auth = settings.auth ?? { kind: 'none' };
  const read = async (key: string, file: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new NetrxError(
        'ERR_NATS_CONFIG',
        `${prefix}: cannot read ${key} ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
  const { nkeyAuthenticator, credsAuthenticator } = await import('@nats-io/transport-node');
  let credentials: Partial<NodeConnectionOptions> = {};
  switch (auth.kind) {
    case 'user':
      credentials = { user: auth.user, pass: auth.password };
      break;
    case 'token':
      credentials = { token: auth.token };
      break;
    case 'nkey': {
      const seed = new TextEncoder().encode(
        (await read('nkeySeed', auth.seedFile)).toString().trim(),
      );
      credentials = { authenticator: nkeyAuthenticator(seed) };
      break;
    }
    case 'creds':
      credentials = {
        authenticator: credsAuthenticator(new Uint8Array(await read('credsFile', auth.credsFile))),
      };
      break;
    case 'none':
      break;
  }
  const wantsTls = settings.tls !== undefined || servers.some((url) => /^tls:\/\//i.test(url));
  const files = settings.tls ?? {};
  const pem = async (key: string, file: string | undefined) =>
    file === undefined || file === '' ? undefined : (await read(key, file)).toString('latin1');
  const [ca, cert, key] = await Promise.all([
    pem('tls.ca', files.ca),
    pem('tls.certificate', files.certificate),
    pem('tls.privateKey', files.privateKey),
  ]);
  // The client merges these into node:tls options, so `servername` reaches it too.
  const tls = wantsTls
    ? {
        ...(ca === undefined ? {} : { ca }),
        ...(cert === undefined ? {} : { cert }),
        ...(key === undefined ? {} : { key }),
        ...(files.serverName === undefined || files.serverName === ''
          ? {}
          : { servername: files.serverName }),
      }
    : undefined;
  return {
    servers,
    name: settings.name ?? 'netrx',
    // Without it the client builds two or three Error objects (stack traces)
    // per request, a sixth of a KV server's CPU in bench/cluster's profile;
    // errors keep their class and code.
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
    // A reconnect refused for its credentials (rotated on the server) is
    // retried like any other: fixing the server heals the host, no restart.
    ignoreAuthErrorAbort: true,
    reconnectTimeWait: settings.reconnectTimeWaitMs ?? 250,
    timeout: settings.timeoutMs ?? 2000,
    ...credentials,
    ...(tls === undefined ? {} : { tls }),
    ...(settings.noRandomize === true ? { noRandomize: true } : {}),
  };
}

/** A URL (or `host:port`) as it may be shown: any `user:password@` replaced by `***@`. */
export function natsServerShown(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1***@');
}

/**
 * Connects (the first connect must succeed: a wrong password, a TLS
 * failure or no server fails it, with ERR_NATS_CONNECT naming the setting
 * and the servers), then follows the connection's status.
 */
export async function connectNats(settings: NatsConnectionSettings): Promise<SharedNatsConnection> {
  const options = await natsConnectOptions(settings);
  const { connect } = await import('@nats-io/transport-node');
  const prefix = settings.errorPrefix ?? 'NATS';
  const shownServers = (options.servers as string[]).map(natsServerShown).join(', ');
  let nc: NatsConnection;
  try {
    nc = await connect(options);
  } catch (error) {
    throw new NetrxError(
      'ERR_NATS_CONNECT',
      `${prefix}: cannot connect to ${shownServers}: ${describeConnectError(error)}`,
      { cause: error },
    );
  }
  const auth = settings.auth?.kind ?? 'none';
  const tls = options.tls !== undefined;
  let state: NatsConnectionState = 'connected';
  let server = nc.getServer();
  let disconnects = 0;
  let reconnects = 0;
  let errorCount = 0;
  let lastError = '';
  const stateListeners = new Set<(state: NatsConnectionState) => void>();
  const errorListeners = new Set<(message: string) => void>();
  const set = (next: NatsConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of [...stateListeners]) listener(next);
  };
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
          disconnects++;
          server = status.server;
          set('reconnecting');
          break;
        case 'reconnect':
          reconnects++;
          server = status.server;
          set('connected');
          break;
        case 'error': {
          errorCount++;
          lastError = natsServerShown(status.error.message);
          for (const listener of [...errorListeners]) listener(lastError);
          break;
        }
        case 'close':
          set('closed');
          break;
        default:
          // Pings, cluster updates, lame-duck notices…: not a change of state.
          break;
      }
    }
  })();
  void nc.closed().then(() => set('closed'));
  const shared: SharedNatsConnection = {
    status: () => ({
      state,
      server: natsServerShown(server),
      serverVersion: nc.info?.version ?? 'unknown',
      auth,
      tls,
      disconnects,
      reconnects,
      errors: errorCount,
      lastError,
    }),
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    onError(listener) {
      errorListeners.add(listener);
      return () => errorListeners.delete(listener);
    },
    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
  clients.set(shared, nc);
  return shared;
}

/** The first connect's failure in a line: the client's own words (never a credential). */
function describeConnectError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const detail =
    cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : '';
  return `${error.message}${detail}`;
}
