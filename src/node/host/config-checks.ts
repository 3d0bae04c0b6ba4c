/**
 * The checks across keys of the service sections (config-services.ts): what
 * one key cannot say alone. Each failure is one ConfigError naming the key to
 * change: a port two services want (the second one named), a file that is not
 * there, a public address without TLS and a token, the demo secret or user on
 * a public address.
 */
import { readFileSync, statSync } from 'node:fs';
import { loadStateKey } from '../cluster/state-key.js';
import { isIP } from 'node:net';
import { isLoopbackAddress } from '../capture/index.js';
import { parseUsersFile } from '../../eap/users-file.js';
import type { HostConfig } from './config.js';
import { DEMO_SECRET, DEMO_USER } from './config-services.js';
import { pemCertificates, pemPrivateKey } from './config-files.js';
import { checkCaptureNats } from './config-nats.js';
import { checkClusterNats } from './config-cluster-nats.js';
import { checkSynthetic } from './config-synthetic.js';
import { providerManifest } from './manifest.js';
import { closest, ConfigError } from './schema.js';

/** One socket a service binds: compared for clashes, and tried before a reload (listen-preflight.ts). */
export interface Binding {
  readonly key: string;
  readonly protocol: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

/** `raw`: the value before defaults were filled in (what the file itself says). */
export function checkServices(config: HostConfig, raw?: unknown): void {
  checkHttp(config);
  checkRadius(config, raw);
  checkCapture(config);
  checkEchoPath(config);
  checkClusterNats(config, {
    checkFile,
    checkPem: (key, file) => {
      checkFile(key, file);
      const certificates = pemCertificates(readFileSync(file, 'latin1'));
      if (typeof certificates === 'string')
        throw new ConfigError(key, `${JSON.stringify(file)} ${certificates}`);
    },
    checkPemPair: (cert, key) => checkPemFiles({ cert, key }),
  });
  checkSynthetic(config, raw);
  checkPortScripts(config);
  checkClashes(listenBindings(config));
}

/** A script file a port names must be there when the host starts (review D5). */
function checkPortScripts(config: HostConfig): void {
  config.ports.forEach((port, i) => {
    const { chat, scp } = port.script;
    if (scp !== '') checkFile(`ports[${i}].script.scp`, scp);
    if (typeof chat === 'string') checkFile(`ports[${i}].script.chat`, chat);
  });
}

/**
 * The PEM files of one TLS listener, by key: each must hold what its key
 * says, and the private key must be the certificate's (review D5).
 */
function checkPemFiles(keys: {
  readonly cert: readonly [string, string];
  readonly key: readonly [string, string];
  readonly ca?: readonly [string, string];
}): void {
  // Every file there first: a missing one is named before a bad one.
  for (const [key, file] of [keys.cert, keys.key, ...(keys.ca ? [keys.ca] : [])])
    checkFile(key, file);
  const read = ([, file]: readonly [string, string]) => readFileSync(file, 'latin1');
  const certificates = pemCertificates(read(keys.cert));
  if (typeof certificates === 'string')
    throw new ConfigError(keys.cert[0], `${JSON.stringify(keys.cert[1])} ${certificates}`);
  const privateKey = pemPrivateKey(read(keys.key));
  if (typeof privateKey === 'string')
    throw new ConfigError(keys.key[0], `${JSON.stringify(keys.key[1])} ${privateKey}`);
  if (certificates[0]?.checkPrivateKey(privateKey) !== true)
    throw new ConfigError(
      keys.key[0],
      `${JSON.stringify(keys.key[1])} is not the private key of the certificate in ${keys.cert[0]} (${JSON.stringify(keys.cert[1])})`,
    );
  if (keys.ca !== undefined) {
    const ca = pemCertificates(read(keys.ca));
    if (typeof ca === 'string')
      throw new ConfigError(keys.ca[0], `${JSON.stringify(keys.ca[1])} ${ca}`);
  }
}

function fileProblem(file: string): string | undefined {
  try {
    return statSync(file).isFile() ? undefined : `${JSON.stringify(file)} is not a file`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `no such file: ${JSON.stringify(file)}`
      : `cannot read ${JSON.stringify(file)}: ${code ?? String(error)}`;
  }
}

function checkFile(key: string, file: string): void {
  if (file === '') return;
  const problem = fileProblem(file);
  if (problem !== undefined) throw new ConfigError(key, problem);
}

/**
 * Whether `secret` is the demo secret: trimmed, since a RADIUS peer typed
 * from the docs with a stray space is still the well-known secret.
 */
export function isDemoSecret(secret: string): boolean {
  return secret.trim() === DEMO_SECRET;
}

/**
 * The demo user's name in a users file's text, for a server off loopback
 * (where it is refused); a file that does not parse is left to the start,
 * which names the line.
 */
export function demoUserInUsersFile(text: string): boolean {
  try {
    return parseUsersFile(text).some((user) => user.name === DEMO_USER.name);
  } catch {
    return false;
  }
}

function checkHttp(config: HostConfig): void {
  const { host, tls, token } = config.http;
  if ((tls.cert === '') !== (tls.key === ''))
    throw new ConfigError(
      tls.cert === '' ? 'http.tls.cert' : 'http.tls.key',
      'give both tls.cert and tls.key (PEM files), or neither',
    );
  if (tls.cert !== '')
    checkPemFiles({ cert: ['http.tls.cert', tls.cert], key: ['http.tls.key', tls.key] });
  if (!isLoopbackAddress(host)) {
    if (tls.cert === '')
      throw new ConfigError(
        'http.tls',
        `http.host ${host} is not loopback: the dashboard and capture endpoints need tls.cert and tls.key there`,
      );
    if (token === '')
      throw new ConfigError(
        'http.token',
        `http.host ${host} is not loopback: set a token every client must present`,
      );
  }
  if (token !== '' && token.trim() !== token)
    // An Authorization header cannot carry it: HTTP trims header values.
    throw new ConfigError('http.token', 'starts or ends with white space');
  if (token !== '' && token.length < 16)
    throw new ConfigError('http.token', 'too short: at least 16 characters');
  const { login, limits } = config.http;
  if (login.maxBackoffSeconds < login.backoffSeconds)
    throw new ConfigError('http.login.maxBackoffSeconds', 'is less than backoffSeconds');
  if (login.maxSessionsPerAddress > login.maxSessions)
    throw new ConfigError('http.login.maxSessionsPerAddress', 'is more than maxSessions');
  if (limits.requestTimeoutMs < limits.headersTimeoutMs)
    throw new ConfigError('http.limits.requestTimeoutMs', 'is less than headersTimeoutMs');
  if (limits.maxConnectionsPerAddress > limits.maxConnections)
    throw new ConfigError('http.limits.maxConnectionsPerAddress', 'is more than maxConnections');
}

/** RadSec needs its three PEM files and at least one client; each client address must parse. */
function checkRadSec(radsec: HostConfig['radius']['radsec']): void {
  if (!radsec.enabled) return;
  for (const key of ['certificate', 'privateKey', 'ca'] as const) {
    if (radsec[key] === '')
      throw new ConfigError(
        `radius.radsec.${key}`,
        'an enabled RadSec listener needs it (a PEM file)',
      );
    checkFile(`radius.radsec.${key}`, radsec[key]);
  }
  checkPemFiles({
    cert: ['radius.radsec.certificate', radsec.certificate],
    key: ['radius.radsec.privateKey', radsec.privateKey],
    ca: ['radius.radsec.ca', radsec.ca],
  });
  if (radsec.clients.length === 0)
    throw new ConfigError(
      'radius.radsec.clients',
      'an enabled RadSec listener needs at least one client (name, and commonName, dnsName or address)',
    );
  radsec.clients.forEach((client, i) => {
    if (client.address === '') return;
    const [address, length, extra] = client.address.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || extra !== undefined || (length !== undefined && !/^\d+$/.test(length)))
      throw new ConfigError(
        `radius.radsec.clients[${i}].address`,
        `expected an IP address or ADDRESS/NN prefix, got ${JSON.stringify(client.address)}`,
      );
  });
}

/** The TLS-based methods need the three PEM files; versions in order; resumption is per process. */
function checkRadiusTls(radius: HostConfig['radius']): void {
  const tlsMethods = radius.methods.filter((m) => m === 'peap' || m === 'ttls' || m === 'tls');
  if (tlsMethods.length === 0) return;
  for (const key of ['certificate', 'privateKey', 'ca'] as const) {
    if (radius.tls[key] === '')
      throw new ConfigError(
        `radius.tls.${key}`,
        `methods ${tlsMethods.join(', ')} need it (a PEM file; \`netrx certs demo DIR\` makes demo ones)`,
      );
    checkFile(`radius.tls.${key}`, radius.tls[key]);
  }
  if (radius.tls.minVersion === 'TLSv1.3' && radius.tls.maxVersion === 'TLSv1.2')
    throw new ConfigError('radius.tls.minVersion', 'is above maxVersion');
  if (radius.tls.resumeSeconds > 0 && radius.workers !== 1)
    throw new ConfigError(
      'radius.tls.resumeSeconds',
      'with workers: the session cache is per process (for now); set workers to 1 or resumeSeconds to 0',
    );
}

function checkRadius(config: HostConfig, raw: unknown): void {
  const radius = config.radius;
  if (!radius.enabled) return;
  const publicAddress = !isLoopbackAddress(radius.host);
  if (radius.users.length > 0 && radius.usersFile !== '') {
    // The default users (demo) count as given: say so, or the file that set
    // only usersFile reads as a contradiction (review L5).
    const usersGiven =
      (raw as { radius?: { users?: unknown } } | null | undefined)?.radius?.users !== undefined;
    throw new ConfigError(
      'radius.usersFile',
      usersGiven
        ? 'give users or usersFile, not both'
        : 'the default users (demo) are still set: add `users: []` beside usersFile',
    );
  }
  if (radius.users.length === 0 && radius.usersFile === '')
    throw new ConfigError('radius.users', 'an enabled RADIUS server needs users (or usersFile)');
  checkFile('radius.usersFile', radius.usersFile);
  if (radius.usersFile !== '') {
    const text = readFileSync(radius.usersFile, 'utf8');
    // Parsed here, so a file broken before a SIGHUP refuses the reload and
    // the running server keeps the users it has (review D2).
    try {
      parseUsersFile(text);
    } catch (error) {
      throw new ConfigError(
        'radius.usersFile',
        `${JSON.stringify(radius.usersFile)}:${(error as Error).message}`,
      );
    }
    // Off loopback the demo user must not come in by the file where the
    // list would refuse it (review S3).
    if (publicAddress && demoUserInUsersFile(text))
      throw new ConfigError(
        'radius.usersFile',
        `the demo user ${DEMO_USER.name} is refused on a non-loopback radius.host (${radius.host})`,
      );
  }
  checkRadSec(radius.radsec);
  checkRadiusTls(radius);
  if (radius.cluster.enabled) {
    if (radius.cluster.serverId === '')
      throw new ConfigError('radius.cluster.serverId', 'a clustered server needs its own id');
    if (radius.workers !== 1)
      throw new ConfigError(
        'radius.workers',
        'a RADIUS cluster is served with one worker only (for now): set workers: 1',
      );
    checkStateKey('radius.cluster.stateKey', radius.cluster.stateKey);
    checkStateKey('radius.cluster.previousStateKey', radius.cluster.previousStateKey);
    if (radius.cluster.previousStateKey !== '' && radius.cluster.stateKey === '') {
      throw new ConfigError(
        'radius.cluster.previousStateKey',
        'a previous key is only accepted beside radius.cluster.stateKey',
      );
    }
  } else if (radius.cluster.stateKey !== '') {
    throw new ConfigError(
      'radius.cluster.stateKey',
      'shared conversation state needs radius.cluster.enabled (and cluster.nats.servers)',
    );
  }
  if (radius.clients.length === 0)
    throw new ConfigError('radius.clients', 'an enabled RADIUS server needs at least one client');
  radius.clients.forEach((client, i) => {
    const [address, length, extra] = client.address.split('/');
    const family = isIP(address ?? '');
    const bits = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      extra !== undefined ||
      (length !== undefined && !(/^\d+$/.test(length) && Number(length) <= bits))
    )
      throw new ConfigError(
        `radius.clients[${i}].address`,
        `expected an IP address or ADDRESS/NN prefix, got ${JSON.stringify(client.address)}`,
      );
    if (publicAddress && isDemoSecret(client.secret))
      throw new ConfigError(
        `radius.clients[${i}].secret`,
        `the demo secret ${DEMO_SECRET} is refused on a non-loopback radius.host (${radius.host})`,
      );
  });
  const names = new Set<string>();
  radius.users.forEach((user, i) => {
    if (names.has(user.name))
      throw new ConfigError(
        `radius.users[${i}].name`,
        `${JSON.stringify(user.name)} is listed twice`,
      );
    names.add(user.name);
    if (publicAddress && user.name === DEMO_USER.name)
      throw new ConfigError(
        `radius.users[${i}].name`,
        `the demo user ${DEMO_USER.name} is refused on a non-loopback radius.host (${radius.host})`,
      );
  });
  if (new Set(radius.methods).size !== radius.methods.length || radius.methods.length === 0)
    throw new ConfigError('radius.methods', 'list each method once, at least one');
}

function checkCapture(config: HostConfig): void {
  const { rpc, sessions } = config.capture;
  if (rpc.enabled && !isLoopbackAddress(rpc.host))
    throw new ConfigError(
      'capture.rpc.host',
      `${rpc.host} is not loopback: the RPC transport has no authentication yet (NTLM), so it is served on loopback only`,
    );
  const names = new Set<string>();
  sessions.forEach((session, i) => {
    if (names.has(session.name))
      throw new ConfigError(
        `capture.sessions[${i}].name`,
        `${JSON.stringify(session.name)} is listed twice`,
      );
    names.add(session.name);
    if (session.providers.length === 0)
      throw new ConfigError(
        `capture.sessions[${i}].providers`,
        'name at least one provider (or *)',
      );
    session.providers.forEach((provider, j) =>
      checkProviderName(provider, `capture.sessions[${i}].providers[${j}]`),
    );
  });
  checkCaptureNats(config);
}

const GUID = /^\{?[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\}?$/i;

/**
 * A session naming a provider no service has would watch nothing, forever
 * and silently: the likeliest typo. GUIDs pass as they are (a provider
 * this build does not ship may register under one).
 */
function checkProviderName(provider: string, key: string): void {
  if (provider === '*' || GUID.test(provider)) return;
  const names = providerManifest().map((p) => p.name);
  if (names.some((name) => name.toLowerCase() === provider.toLowerCase())) return;
  const near = closest(provider, names);
  throw new ConfigError(
    key,
    `no provider is named ${JSON.stringify(provider)}${near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`}; the providers are: ${names.join(', ')} (or * for all, or a GUID)`,
  );
}

/**
 * Paths the host serves itself. An echo endpoint on one of them (or below
 * it) would take that route's upgrades: at /capture it accepted the
 * capture clients and echoed their PDUs back (review H3).
 */
const HOST_PATHS = ['/health', '/metrics', '/login', '/logout', '/trace', '/api', '/capture'];

function checkEchoPath(config: HostConfig): void {
  const { enabled, path } = config.websocket.echo;
  if (!enabled) return;
  const taken = HOST_PATHS.find((own) => path === own || path.startsWith(`${own}/`));
  if (taken !== undefined)
    throw new ConfigError(
      'websocket.echo.path',
      `${path} is the host's own ${taken === path ? 'path' : `${taken} route`}; pick another (the host serves ${HOST_PATHS.join(', ')})`,
    );
}

/** Every socket the configuration's services listen on, each with the key that sets its port. */
export function listenBindings(config: HostConfig): Binding[] {
  const out: Binding[] = [
    { key: 'http.port', protocol: 'tcp', address: config.http.host, port: config.http.port },
  ];
  if (config.radius.enabled)
    out.push({
      key: 'radius.port',
      protocol: 'udp',
      address: config.radius.host,
      port: config.radius.port,
    });
  if (config.radius.enabled && config.radius.radsec.enabled)
    out.push({
      key: 'radius.radsec.port',
      protocol: 'tcp',
      address: config.radius.radsec.host,
      port: config.radius.radsec.port,
    });
  if (config.capture.rpc.enabled)
    out.push({
      key: 'capture.rpc.port',
      protocol: 'tcp',
      address: config.capture.rpc.host,
      port: config.capture.rpc.port,
    });
  config.link.vxlan.forEach((vxlan, i) =>
    out.push({
      key: `link.vxlan[${i}].bind`,
      protocol: 'udp',
      address: vxlan.bind.address,
      port: vxlan.bind.port,
    }),
  );
  return out;
}

function normal(address: string): string {
  return address === 'localhost' ? '127.0.0.1' : address;
}

/** Two binds collide on one port when one address is the other or a wildcard covering it. */
export function addressesOverlap(a: string, b: string): boolean {
  const [x, y] = [normal(a), normal(b)];
  if (x === y) return true;
  const wildcard = (w: string, other: string) =>
    w === '::' || (w === '0.0.0.0' && isIP(other) === 4);
  return wildcard(x, y) || wildcard(y, x);
}

function checkClashes(all: readonly Binding[]): void {
  all.forEach((binding, i) => {
    if (binding.port === 0) return;
    const earlier = all
      .slice(0, i)
      .find(
        (other) =>
          other.port === binding.port &&
          other.protocol === binding.protocol &&
          addressesOverlap(other.address, binding.address),
      );
    if (earlier !== undefined)
      throw new ConfigError(
        binding.key,
        `${binding.protocol} port ${binding.port} on ${binding.address} is already ${earlier.key} (${earlier.address}); pick another port`,
      );
  });
}

/** Reads a state key now so a bad one fails the check, naming the setting (never the key). */
function checkStateKey(setting: string, value: string): void {
  if (value === '') return;
  try {
    loadStateKey(setting, value).fill(0);
  } catch (error) {
    throw new ConfigError(setting, (error as Error).message.replace(`${setting}: `, ''));
  }
}
