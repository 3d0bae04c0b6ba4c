/**
 * The NATS connection flags every command with `--nats` takes (`radius
 * serve`, `capture publish`, `capture serve`), parsed in one place so they
 * mean the same everywhere and match `cluster.nats` in `netrx up`:
 * credentials (at most one kind: `--nats-user` with `--nats-password-file`,
 * `--nats-token-file`, `--nats-nkey` or `--nats-creds`) and TLS
 * (`--nats-tls-ca`, `--nats-tls-cert` with `--nats-tls-key`,
 * `--nats-tls-server-name`). Secrets come from files, never from the
 * command line, where `ps` would show them; errors name the flag, never a
 * secret.
 */
import { readFileSync } from 'node:fs';
import type { NatsAuth, NatsConnectionSettings } from '../../node/cluster/connection-settings.js';
import { credsProblem, nkeyUserSeedProblem } from '../../node/cluster/nkey-seed.js';
import { UsageError } from '../command.js';

export const NATS_CONNECTION_OPTIONS = {
  'nats-user': { type: 'string' },
  'nats-password-file': { type: 'string' },
  'nats-token-file': { type: 'string' },
  'nats-nkey': { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-tls-ca': { type: 'string' },
  'nats-tls-cert': { type: 'string' },
  'nats-tls-key': { type: 'string' },
  'nats-tls-server-name': { type: 'string' },
} as const;

export const NATS_CONNECTION_USAGE =
  '[--nats-user NAME --nats-password-file FILE] [--nats-token-file FILE] [--nats-nkey SEEDFILE] [--nats-creds FILE] [--nats-tls-ca FILE] [--nats-tls-cert FILE --nats-tls-key FILE] [--nats-tls-server-name NAME]';

const FLAGS = Object.keys(NATS_CONNECTION_OPTIONS);

/** Comma-separated `--nats` servers. */
export function natsServerList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function readSecret(flag: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${flag}: cannot read ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  // One line: a trailing newline (echo secret > file) is not part of it.
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new UsageError(`${flag}: ${JSON.stringify(file)} is empty`);
  return secret;
}

function checkedFile(flag: string, file: string, problem: (text: string) => string | undefined) {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (error) {
    throw new UsageError(
      `${flag}: cannot read ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const wrong = problem(text);
  if (wrong !== undefined) throw new UsageError(`${flag}: ${JSON.stringify(file)}: ${wrong}`);
}

/**
 * The connection settings of `--nats URL[,URL…]` and the flags above.
 * `servers` undefined (no `--nats`): any of these flags is a usage error.
 */
export function natsConnectionFlags(
  values: Record<string, string | boolean | undefined>,
  servers: string | undefined,
  name: string,
): NatsConnectionSettings | undefined {
  const given = FLAGS.filter((flag) => typeof values[flag] === 'string');
  if (servers === undefined) {
    const [first] = given;
    if (first !== undefined) throw new UsageError(`--${first} needs --nats URL`);
    return undefined;
  }
  const urls = natsServerList(servers);
  if (urls.length === 0) throw new UsageError('--nats: give at least one server URL');
  const text = (flag: string) => {
    const value = values[flag];
    return typeof value === 'string' ? value : undefined;
  };
  const user = text('nats-user');
  const passwordFile = text('nats-password-file');
  if ((user === undefined) !== (passwordFile === undefined))
    throw new UsageError('--nats-user and --nats-password-file go together');
  const kinds = ['nats-user', 'nats-token-file', 'nats-nkey', 'nats-creds'].filter(
    (flag) => text(flag) !== undefined,
  );
  if (kinds.length > 1)
    throw new UsageError(`give one kind of NATS credentials: --${kinds.join(' and --')}`);
  let auth: NatsAuth = { kind: 'none' };
  if (user !== undefined && passwordFile !== undefined)
    auth = { kind: 'user', user, password: readSecret('--nats-password-file', passwordFile) };
  const tokenFile = text('nats-token-file');
  if (tokenFile !== undefined)
    auth = { kind: 'token', token: readSecret('--nats-token-file', tokenFile) };
  const seedFile = text('nats-nkey');
  if (seedFile !== undefined) {
    checkedFile('--nats-nkey', seedFile, nkeyUserSeedProblem);
    auth = { kind: 'nkey', seedFile };
  }
  const credsFile = text('nats-creds');
  if (credsFile !== undefined) {
    checkedFile('--nats-creds', credsFile, credsProblem);
    auth = { kind: 'creds', credsFile };
  }
  for (const url of urls) {
    if (/^[a-z]+:\/\/[^/@]*@/i.test(url))
      throw new UsageError(
        '--nats: no credentials in the URL; use --nats-user, --nats-token-file…',
      );
  }
  const tlsUrl = urls.some((url) => /^tls:\/\//i.test(url));
  const tlsFlags = given.filter((flag) => flag.startsWith('nats-tls-'));
  const [firstTls] = tlsFlags;
  if (firstTls !== undefined && !tlsUrl)
    throw new UsageError(`--${firstTls} needs tls:// URLs in --nats`);
  const certificate = text('nats-tls-cert');
  const privateKey = text('nats-tls-key');
  if ((certificate === undefined) !== (privateKey === undefined))
    throw new UsageError('--nats-tls-cert and --nats-tls-key go together');
  const ca = text('nats-tls-ca');
  const serverName = text('nats-tls-server-name');
  return {
    servers: urls,
    name,
    auth,
    errorPrefix: '--nats',
    ...(tlsUrl
      ? {
          tls: {
            ...(ca === undefined ? {} : { ca }),
            ...(certificate === undefined ? {} : { certificate }),
            ...(privateKey === undefined ? {} : { privateKey }),
            ...(serverName === undefined ? {} : { serverName }),
          },
        }
      : {}),
  };
}
