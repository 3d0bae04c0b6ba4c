/**
 * `capture.nats` in `netrx up`: capture fan-in over NATS JetStream
 * (docs/cluster.md). `servers` empty (the default) means off: the host
 * loads no NATS code. `publish` names sessions of `capture.sessions` whose
 * events this host publishes as `host`; `serve` adds sessions read from the
 * streams of many hosts (`stream`: the published session's name, by default
 * the served session's; `hosts`: a name or a `*`/`?` glob). A host that
 * publishes `default` and watches the fleet serves e.g. `{ name: fleet,
 * stream: default, hosts: 'lab-*' }`.
 */
import { ConfigError, field, integer, list, object, required, section, string } from './schema.js';
import type { HostConfig } from './config.js';

const sessionName = string({
  pattern: /^[A-Za-z0-9_-]{1,32}$/,
  describe: 'a session name of 1 to 32 of A-Z a-z 0-9 _ - (a NATS subject token)',
});

export const captureNatsSection = section(
  object({
    /** NATS server URLs (`nats://host:port`); none: capture fan-in is off. */
    servers: field(
      list(
        string({
          pattern: /^(nats|tls):\/\/\S+$/,
          describe: 'a nats:// or tls:// URL',
          show: maskUserinfo,
        }),
        16,
      ),
      [],
    ),
    /** This host's name in subjects and in delivered events' ActivityId. */
    host: field(
      string({
        pattern: /^[A-Za-z0-9_-]{1,16}$/,
        describe: 'a host name of 1 to 16 of A-Z a-z 0-9 _ -',
      }),
      'netrx',
    ),
    /** Sessions of capture.sessions whose events this host publishes. */
    publish: field(list(sessionName, 64), []),
    /** Sessions this host serves from the streams. */
    serve: field(
      list(
        object({
          name: required(sessionName),
          /** The published session whose stream this session reads ('': the same name). */
          stream: field(
            string({
              pattern: /^([A-Za-z0-9_-]{1,32})?$/,
              describe: "a published session's name, or '' for this session's own",
            }),
            '',
          ),
          hosts: field(
            string({ pattern: /^[A-Za-z0-9_*?-]{1,64}$/, describe: 'a host name or glob' }),
            '*',
          ),
        }),
        64,
      ),
      [],
    ),
    /** Events a publisher holds while NATS is away; past it they are dropped and counted. */
    maxBuffered: field(integer(1, 1_000_000), 4096),
    /** Copies of the streams this host creates, in a JetStream cluster (1 on a single server). */
    replicas: field(integer(1, 5), 1),
  }),
);

/** A server URL as it may be quoted: any `user:password@` (or token@) replaced by `***@`. */
export function maskUserinfo(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1***@');
}

/** The credentials in the server URLs (`nats://user:password@host`), as secrets to scrub. */
export function natsSecrets(servers: readonly string[]): string[] {
  return servers.flatMap((url) => {
    const userinfo = /^[a-z]+:\/\/([^/@]*)@/i.exec(url)?.[1];
    if (userinfo === undefined) return [];
    const colon = userinfo.indexOf(':');
    const parts = colon < 0 ? [userinfo] : [userinfo.slice(colon + 1), userinfo];
    return parts.flatMap((p) => [p, safeDecode(p)]).filter((p) => p.length >= 4);
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function checkCaptureNats(config: HostConfig): void {
  const { nats, sessions } = config.capture;
  if (nats.servers.length === 0) {
    if (nats.publish.length > 0 || nats.serve.length > 0)
      throw new ConfigError('capture.nats.servers', 'name at least one server to publish or serve');
    return;
  }
  const local = new Set(sessions.map((s) => s.name));
  nats.publish.forEach((name, i) => {
    if (!local.has(name))
      throw new ConfigError(
        `capture.nats.publish[${i}]`,
        `${JSON.stringify(name)} is not a session of capture.sessions`,
      );
  });
  const served = new Set<string>();
  nats.serve.forEach((entry, i) => {
    if (local.has(entry.name) || served.has(entry.name))
      throw new ConfigError(
        `capture.nats.serve[${i}].name`,
        `${JSON.stringify(entry.name)} is already a session of this host`,
      );
    served.add(entry.name);
  });
}
