/**
 * `cluster.nats` in `netrx up`: the host's one NATS connection, shared by
 * RADIUS clustering (`radius.cluster`: forwarding and the conversation
 * bucket) and capture fan-in (`capture.nats`: publishers and readers). One
 * connection, not one per service, so the host has one reconnect state to
 * watch, one set of credentials to rotate and one entry in the server's
 * connection list. Credentials: at most one of `user`/`password`, `token`,
 * `nkeySeed` (a file holding an NKey user seed) or `credsFile` (a `.creds`
 * file); TLS with `tls://` URLs and the PEM files of `tls`. The checks here
 * run before the host starts and name the key that is wrong, never a
 * secret's value.
 */
import { readFileSync } from 'node:fs';
import type { NatsAuth, NatsConnectionSettings } from '../cluster/connection-settings.js';
import { credsProblem, nkeyUserSeedProblem } from '../cluster/nkey-seed.js';
import type { HostConfig } from './config.js';
import { ConfigError, field, list, object, section, string } from './schema.js';

const filename = string({ describe: "a file name ('' for none)" });

export const clusterNatsSection = section(
  object({
    /** `nats://` or `tls://` URLs, without credentials; none: no NATS (the default). */
    servers: field(
      list(
        string({
          // No userinfo (review F11): credentials in a URL would bypass "one kind of credentials".
          pattern: /^(nats|tls):\/\/[^\s/@]+(\/\S*)?$/,
          describe:
            'a nats:// or tls:// URL without user:password@ (credentials go in cluster.nats.user and password, or token)',
          show: maskUserinfo,
        }),
        16,
      ),
      [],
    ),
    /** The connection's name, as the NATS server lists it. */
    name: field(
      string({ pattern: /^[\x21-\x7e ]{1,64}$/, describe: '1 to 64 printable ASCII characters' }),
      'netrx up',
    ),
    user: field(string({ describe: "a NATS user name ('' for none)" }), ''),
    password: field(string({ describe: "the user's password", sensitive: true }), ''),
    token: field(string({ describe: "a NATS token ('' for none)", sensitive: true }), ''),
    /** A file holding an NKey user seed (`SU…`). */
    nkeySeed: field(filename, ''),
    /** A `.creds` file: a user JWT and its seed. */
    credsFile: field(filename, ''),
    /** TLS to the servers (with `tls://` URLs): PEM files. */
    tls: section(
      object({
        /** The CA of the servers' certificates ('': the system's roots). */
        ca: field(filename, ''),
        /** A client certificate and its key, for servers that verify clients. */
        certificate: field(filename, ''),
        privateKey: field(filename, ''),
        /** The name the servers' certificates carry ('': each URL's host). */
        serverName: field(
          string({
            pattern: /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.|$))*$/,
            describe: "a DNS name ('' for each URL's host)",
          }),
          '',
        ),
      }),
    ),
  }),
);

export type ClusterNatsConfig = HostConfig['cluster']['nats'];

/** What `radius.cluster.servers` and `capture.nats.servers` say now (removed in 0.x). */
export const MOVED_TO_CLUSTER_NATS =
  'moved to cluster.nats.servers: the host has one NATS connection, shared by RADIUS and capture (docs/cluster.md)';

/** A server URL as it may be quoted: any `user:password@` (or token@) replaced by `***@`. */
export function maskUserinfo(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1***@');
}

/** The credentials kind configured, or why the credentials are wrong (naming the key). */
function authOf(nats: ClusterNatsConfig): NatsAuth {
  const given: { key: string; auth: NatsAuth }[] = [];
  if (nats.user !== '' || nats.password !== '') {
    if (nats.user === '')
      throw new ConfigError('cluster.nats.user', 'a password needs its user name');
    if (nats.password === '')
      throw new ConfigError(
        'cluster.nats.password',
        `user ${JSON.stringify(nats.user)} needs a password`,
      );
    given.push({ key: 'user', auth: { kind: 'user', user: nats.user, password: nats.password } });
  }
  if (nats.token !== '') given.push({ key: 'token', auth: { kind: 'token', token: nats.token } });
  if (nats.nkeySeed !== '')
    given.push({ key: 'nkeySeed', auth: { kind: 'nkey', seedFile: nats.nkeySeed } });
  if (nats.credsFile !== '')
    given.push({ key: 'credsFile', auth: { kind: 'creds', credsFile: nats.credsFile } });
  const [first, second] = given;
  if (second !== undefined)
    throw new ConfigError(
      `cluster.nats.${second.key}`,
      `give one kind of credentials (user/password, token, nkeySeed or credsFile): ${first?.key} is set already`,
    );
  return first?.auth ?? { kind: 'none' };
}

/** The connection settings `cluster.nats` asks for ('' TLS files left out). */
export function natsSettingsOf(nats: ClusterNatsConfig): NatsConnectionSettings {
  const tls = nats.tls;
  const tlsWanted = nats.servers.some((url) => url.startsWith('tls://'));
  return {
    servers: nats.servers,
    name: nats.name,
    auth: authOf(nats),
    errorPrefix: 'cluster.nats',
    ...(tlsWanted
      ? {
          tls: {
            ...(tls.ca === '' ? {} : { ca: tls.ca }),
            ...(tls.certificate === '' ? {} : { certificate: tls.certificate }),
            ...(tls.privateKey === '' ? {} : { privateKey: tls.privateKey }),
            ...(tls.serverName === '' ? {} : { serverName: tls.serverName }),
          },
        }
      : {}),
  };
}

/**
 * `cluster.nats` across its keys, and against the services that use it.
 * `checkFile` and `checkPemFiles` are config-checks.ts's (files there and
 * holding what their key says).
 */
export function checkClusterNats(
  config: HostConfig,
  files: {
    readonly checkFile: (key: string, file: string) => void;
    readonly checkPem: (key: string, file: string, what: 'certificates') => void;
    readonly checkPemPair: (cert: [string, string], key: [string, string]) => void;
  },
): void {
  const nats = config.cluster.nats;
  const users: string[] = [];
  if (config.radius.enabled && config.radius.cluster.enabled) users.push('radius.cluster.enabled');
  if (config.capture.nats.publish.length > 0) users.push('capture.nats.publish');
  if (config.capture.nats.serve.length > 0) users.push('capture.nats.serve');
  const configured =
    nats.user !== '' ||
    nats.password !== '' ||
    nats.token !== '' ||
    nats.nkeySeed !== '' ||
    nats.credsFile !== '' ||
    Object.values(nats.tls).some((value) => value !== '');
  if (nats.servers.length === 0) {
    const [user] = users;
    if (user !== undefined) throw new ConfigError(user, 'needs cluster.nats.servers (NATS)');
    if (configured)
      throw new ConfigError('cluster.nats.servers', 'credentials and TLS need servers to go to');
    return;
  }
  const schemes = new Set(nats.servers.map((url) => url.slice(0, url.indexOf(':'))));
  if (schemes.size > 1)
    throw new ConfigError(
      'cluster.nats.servers',
      'give all nats:// or all tls:// URLs (one TLS setting for the connection)',
    );
  const tlsUrls = schemes.has('tls');
  const auth = authOf(nats);
  if (auth.kind === 'nkey') {
    const problem = nkeyUserSeedProblem(readChecked(files, 'cluster.nats.nkeySeed', auth.seedFile));
    if (problem !== undefined)
      throw new ConfigError(
        'cluster.nats.nkeySeed',
        `${JSON.stringify(auth.seedFile)}: ${problem}`,
      );
  }
  if (auth.kind === 'creds') {
    const problem = credsProblem(readChecked(files, 'cluster.nats.credsFile', auth.credsFile));
    if (problem !== undefined)
      throw new ConfigError(
        'cluster.nats.credsFile',
        `${JSON.stringify(auth.credsFile)}: ${problem}`,
      );
  }
  const tls = nats.tls;
  const tlsGiven = Object.entries(tls).find(([, value]) => value !== '');
  if (tlsGiven !== undefined && !tlsUrls)
    throw new ConfigError(
      `cluster.nats.tls.${tlsGiven[0]}`,
      'TLS settings need tls:// URLs in cluster.nats.servers',
    );
  if ((tls.certificate === '') !== (tls.privateKey === ''))
    throw new ConfigError(
      tls.certificate === '' ? 'cluster.nats.tls.certificate' : 'cluster.nats.tls.privateKey',
      'give both tls.certificate and tls.privateKey (PEM files), or neither',
    );
  if (tls.ca !== '') files.checkPem('cluster.nats.tls.ca', tls.ca, 'certificates');
  if (tls.certificate !== '')
    files.checkPemPair(
      ['cluster.nats.tls.certificate', tls.certificate],
      ['cluster.nats.tls.privateKey', tls.privateKey],
    );
}

/** A credentials file's text; a file that is not there or not readable is named by its key. */
function readChecked(
  files: { readonly checkFile: (key: string, file: string) => void },
  key: string,
  file: string,
): string {
  files.checkFile(key, file);
  try {
    return readFileSync(file, 'latin1');
  } catch (error) {
    throw new ConfigError(
      key,
      `cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}
