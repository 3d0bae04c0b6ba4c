/**
 * The host's structured log: pino, one JSON object per line (`level`,
 * `time`, `msg`, and the fields a line carries), at `log.level`. Secrets
 * never reach it: keys that hold them (`token`, `secret`, `password`,
 * `authorization`, at any depth pino's redaction covers) are censored by
 * pino's `redact`, and every configured secret's value is replaced wherever
 * it appears in a line, message text included, since a service may quote
 * an input that happens to contain one.
 */
import { pino, type Logger } from 'pino';
import type { HostConfig } from './config.js';
import { DEMO_USER } from './config-services.js';

export type HostLogger = Logger;
export type LogLevel = HostConfig['log']['level'];

export const REDACTED = '[redacted]';

const REDACT_PATHS = [
  'token',
  'secret',
  'password',
  'authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'config.http.token',
  'config.radius.clients[*].secret',
  'config.radius.users[*].password',
  'config.synthetic.secret',
  'config.synthetic.password',
  'config.link.vxlan[*].authenticator.users[*].password',
  'config.link.vxlan[*].authenticator.radius.servers[*].secret',
  'config.link.vxlan[*].supplicant.password',
  'config.cluster.nats.password',
  'config.cluster.nats.token',
];

/** The secrets a configuration holds, as values to scrub from every line. */
export function secretsOf(config: HostConfig): string[] {
  const values = [
    config.http.token,
    ...config.radius.clients.map((c) => c.secret),
    ...config.radius.users.map((u) => u.password),
    config.synthetic.secret,
    config.synthetic.password,
    ...config.link.vxlan.flatMap((v) => [
      ...v.authenticator.users.map((u) => u.password),
      ...v.authenticator.radius.servers.map((s) => s.secret),
      v.supplicant.password,
    ]),
    // cluster.nats: never a URL's userinfo (refused); the password and token.
    config.cluster.nats.password,
    config.cluster.nats.token,
  ];
  // The demo password is the demo user's name too, and public: scrubbing it
  // would blank the user name from every line. Every other value goes.
  return [...new Set(values.filter((v) => v !== '' && v !== DEMO_USER.password))].sort(
    (a, b) => b.length - a.length,
  );
}

/** What `--print-config` prints for a secret (review S4). */
export const PRINTED_SECRET = '***';
const SECRET_KEYS = new Set(['token', 'secret', 'password', 'ntHash']);

/**
 * The configuration with every secret replaced by `***`: `token`, `secret`,
 * `password` values and the password in a `nats://user:password@host` URL.
 * By key, not by value, so a user named like a secret stays readable.
 */
export function redactConfig(config: HostConfig): unknown {
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string') {
      if (key !== undefined && SECRET_KEYS.has(key)) return value === '' ? '' : PRINTED_SECRET;
      return value.replace(
        /^([a-z]+:\/\/)([^/@]*)@/i,
        (_all, scheme: string, userinfo: string) =>
          `${scheme}${userinfo.includes(':') ? `${userinfo.slice(0, userinfo.indexOf(':'))}:` : ''}${PRINTED_SECRET}@`,
      );
    }
    if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  return walk(config, undefined);
}

export interface HostLoggerOptions {
  readonly level: LogLevel;
  /** Where each JSON line goes (with its newline). */
  readonly write: (line: string) => void;
  /** Values replaced by [redacted] wherever they appear. */
  readonly secrets?: readonly string[];
}

export interface ScrubbingLogger {
  readonly logger: HostLogger;
  /** Replaces the values scrubbed (after a reload changed the secrets). */
  setSecrets(secrets: readonly string[]): void;
}

export function createHostLogger(options: HostLoggerOptions): ScrubbingLogger {
  let secrets = [...(options.secrets ?? [])];
  const scrub = (line: string) => {
    let out = line;
    for (const secret of secrets) {
      // The secret as it appears in JSON (quotes and backslashes escaped).
      const encoded = JSON.stringify(secret).slice(1, -1);
      if (out.includes(encoded)) out = out.split(encoded).join(REDACTED);
    }
    return out;
  };
  const logger = pino(
    {
      level: options.level,
      base: { name: 'netrx' },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: { level: (label, number) => ({ level: number, levelName: label }) },
    },
    { write: (line: string) => options.write(scrub(line)) },
  );
  return {
    logger,
    setSecrets(next) {
      secrets = [...next];
    },
  };
}
