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
import { probeTlsRefusal, tlsRefusalOf } from './tls-refusal.js';
import type {
  NatsConnectionSettings,
  NatsConnectionState,
  SharedNatsConnection,
} from './connection-settings.js';

export type * from './connection-settings.js';

/** The client of each connection `connectNats` made (none yet: booted during an outage), and who waits for it. */
const clients = new WeakMap<
  SharedNatsConnection,
  { client: NatsConnection | undefined; readonly waiting: Set<(nc: NatsConnection) => void> }
>();

/** The NATS client inside `connection` (one `connectNats` made). Throws while it has never connected. */
export function natsClientOf(connection: SharedNatsConnection): NatsConnection {
  const nc = natsClientIfConnected(connection);
  if (nc === undefined) {
    throw new NetrxError(
      'ERR_NATS_NOT_CONNECTED',
      'the NATS connection has not reached a server yet (started during an outage)',
    );
  }
  return nc;
}

/** The client inside `connection`, or undefined while it has never connected. */
export function natsClientIfConnected(
  connection: SharedNatsConnection,
): NatsConnection | undefined {
  const entry = clients.get(connection);
  if (entry === undefined) throw new TypeError('not a connection connectNats made');
  return entry.client;
}

/**
 * Calls `listener` with the client once `connection` has one: at once when
 * it has, else when the first server answers. Returns its removal.
 */
export function whenNatsClient(
  connection: SharedNatsConnection,
  listener: (nc: NatsConnection) => void,
): () => void {
  const entry = clients.get(connection);
  if (entry === undefined) throw new TypeError('not a connection connectNats made');
  if (entry.client !== undefined) {
    listener(entry.client);
    return () => undefined;
  }
  entry.waiting.add(listener);
  return () => entry.waiting.delete(listener);
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
 * Connects, then follows the connection's status. A first connect that
 * fails fails with ERR_NATS_CONNECT naming the setting and the servers,
 * unless `startDisconnected` and the failure is one retrying can mend
 * (`firstConnectRetryable`) and no server refused our TLS behind a
 * timeout (`tlsRefusalBehind`): then the connection starts `reconnecting`
 * and tries again every `reconnectTimeWaitMs` until a server answers or
 * it is closed; a TLS refusal found then is counted in `errors`.
 */
export async function connectNats(settings: NatsConnectionSettings): Promise<SharedNatsConnection> {
  const options = await natsConnectOptions(settings);
  const { connect } = await import('@nats-io/transport-node');
  const prefix = settings.errorPrefix ?? 'NATS';
  const servers = options.servers as string[];
  const shownServers = servers.map(natsServerShown).join(', ');
  let first: NatsConnection | undefined;
  let firstError: unknown;
  try {
    first = await connect(options);
  } catch (error) {
    const refusal = await tlsRefusalBehind(error, options);
    if (
      settings.startDisconnected !== true ||
      !firstConnectRetryable(error) ||
      refusal !== undefined
    ) {
      throw new NetrxError(
        'ERR_NATS_CONNECT',
        `${prefix}: cannot connect to ${shownServers}: ${refusal ?? describeConnectError(error)}`,
        { cause: error },
      );
    }
    firstError = error;
  }
  const auth = settings.auth?.kind ?? 'none';
  const tls = options.tls !== undefined;
  const entry = {
    client: undefined as NatsConnection | undefined,
    waiting: new Set<(nc: NatsConnection) => void>(),
  };
  let state: NatsConnectionState = first === undefined ? 'reconnecting' : 'connected';
  let sinceMs = Date.now();
  let server = first?.getServer() ?? servers[0] ?? '';
  let disconnects = 0;
  let reconnects = 0;
  let errorCount = 0;
  let lastError = firstError === undefined ? '' : natsServerShown(describeConnectError(firstError));
  let closing = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const stateListeners = new Set<(state: NatsConnectionState) => void>();
  const errorListeners = new Set<(message: string) => void>();
  const set = (next: NatsConnectionState) => {
    if (next === state) return;
    state = next;
    sinceMs = Date.now();
    for (const listener of [...stateListeners]) listener(next);
  };
  const reportError = (message: string) => {
    errorCount++;
    lastError = natsServerShown(message);
    for (const listener of [...errorListeners]) listener(lastError);
  };
  /** Takes `nc` as the connection's client and follows its status from now on. */
  const adopt = (nc: NatsConnection) => {
    entry.client = nc;
    server = nc.getServer();
    // A server that was only away leaves no error behind once it answers.
    if (errorCount === 0) lastError = '';
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
          case 'error':
            reportError(status.error.message);
            break;
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
    set('connected');
    const waiting = [...entry.waiting];
    entry.waiting.clear();
    for (const listener of waiting) listener(nc);
  };
  /** Booted during an outage: one more first connect, `reconnectTimeWaitMs` from now. */
  const retryFirstConnect = () => {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect(options).then(
        (nc) => {
          if (closing) void nc.close();
          else adopt(nc);
        },
        async (error: unknown) => {
          if (closing) return;
          const refusal = await tlsRefusalBehind(error, options);
          if (closing) return;
          const message = refusal ?? describeConnectError(error);
          // A server that answers and refuses (credentials, TLS) is an error to count and
          // report, as once connected; one that is still away only updates lastError.
          if (refusal === undefined && firstConnectRetryable(error)) {
            lastError = natsServerShown(message);
          } else reportError(message);
          retryFirstConnect();
        },
      );
    }, options.reconnectTimeWait ?? 250);
  };
  const shared: SharedNatsConnection = {
    status: () => ({
      state,
      server: natsServerShown(server),
      serverVersion: entry.client?.info?.version ?? 'unknown',
      auth,
      tls,
      disconnects,
      reconnects,
      errors: errorCount,
      lastError,
      everConnected: entry.client !== undefined,
      sinceMs,
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
      closing = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      retryTimer = undefined;
      entry.waiting.clear();
      const nc = entry.client;
      if (nc === undefined) {
        set('closed');
        return;
      }
      await nc.drain().catch(() => nc.close());
    },
  };
  clients.set(shared, entry);
  if (first === undefined) retryFirstConnect();
  else adopt(first);
  return shared;
}

/** Socket errors that say "no server there yet", which a later attempt can cure. */
const SERVER_AWAY = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether a first connect's failure is one that retrying can mend (the
 * server is away, unreachable or slow, its name does not resolve yet) as
 * opposed to a refusal by a server that answered (credentials, TLS, the
 * protocol), which fails the start: waiting would not fix a wrong
 * password, and a host that seems up but can never join is worse than one
 * that says why it did not start.
 */
export function firstConnectRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError') return true;
  for (let cause: unknown = error; cause instanceof Error;) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && SERVER_AWAY.has(code)) return true;
    const next: unknown = (cause as { cause?: unknown }).cause;
    if (next === cause) break;
    cause = next;
  }
  return false;
}

/**
 * A first connect over TLS that timed out or was reset may be a server
 * refusing our TLS: under TLS 1.3 the client reports a missing or
 * untrusted client certificate as a bare timeout (tls-refusal.ts). Each
 * server is then asked directly; the first refusal found, naming its
 * server, or undefined.
 */
export async function tlsRefusalBehind(
  error: unknown,
  options: Pick<NodeConnectionOptions, 'servers' | 'tls' | 'timeout'>,
): Promise<string | undefined> {
  const tls = options.tls;
  if (tls === undefined || tls === null || !firstConnectRetryable(error)) return undefined;
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  if (!timedOut && tlsRefusalOf(error, true) === undefined) return undefined;
  const servers = typeof options.servers === 'string' ? [options.servers] : (options.servers ?? []);
  const timeoutMs = options.timeout ?? 2000;
  const refusals = await Promise.all(
    servers.map(async (url) => {
      const reason = await probeTlsRefusal(url, tls, timeoutMs);
      return reason === undefined ? undefined : `${natsServerShown(url)}: ${reason}`;
    }),
  );
  const refusal = refusals.find((reason) => reason !== undefined);
  return refusal === undefined
    ? undefined
    : `the server refused the TLS session (${refusal}): it wants a client certificate it trusts (tls.certificate, tls.privateKey)`;
}

/** The first connect's failure in a line: the client's own words (never a credential). */
function describeConnectError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const detail =
    cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : '';
  return `${error.message}${detail}`;
}
