/**
 * A private, unprivileged FreeRADIUS 3.2 instance on loopback, shared by
 * test/interop/radius-freeradius.test.ts and bench/eap.ts: a copy of the
 * stock Debian configuration under DIR, listening on 127.0.0.1 only, IPv4
 * only, ports P (auth), P+1 (acct) and P+2 (inner-tunnel) instead of the
 * shared 1812/1813/18120, logs and pid under DIR, no user/group switch,
 * no proxying, the given users prepended to the users file. Every edit
 * checks that the text it changes is there, so a changed stock
 * configuration fails loudly. The process is stopped by its PID
 * (`stopped` in ./processes.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopped, watched, type Watched } from './processes.js';

export const FREERADIUS_STOCK = '/etc/freeradius/3.0';

/** The installed Debian package version, or '' when it is not installed. */
export function freeradiusVersion(): string {
  const result = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'freeradius'], {
    encoding: 'utf8',
  });
  return result.status === 0 ? result.stdout.trim() : '';
}

export function hasStockFreeradiusConfig(): boolean {
  return spawnSync('test', ['-r', join(FREERADIUS_STOCK, 'radiusd.conf')]).status === 0;
}

/** Replaces a pattern that must be there, so a changed stock configuration fails loudly. */
function edit(text: string, pattern: RegExp, replacement: string, what: string): string {
  if (!pattern.test(text)) throw new Error(`FreeRADIUS configuration: no ${what} (${pattern})`);
  return text.replace(pattern, replacement);
}

/** sites-available/default with its listen sections on 127.0.0.1:port (auth) and port+1 (acct). */
function defaultSite(text: string, port: number): string {
  const kinds: string[] = [];
  const out = text.replace(/^listen \{\n[\s\S]*?^\}\n/gm, (block) => {
    if (/^\s*ipv6addr\s*=/m.test(block)) return ''; // IPv4 only: ::1 may not exist here
    const kind = /^\s*type\s*=\s*(auth|acct)\s*$/m.exec(block)?.[1];
    if (kind === undefined)
      throw new Error(`FreeRADIUS default site: a listen without type:\n${block}`);
    kinds.push(kind);
    const withPort = edit(
      block,
      /^(\s*port\s*=\s*)0\s*$/m,
      `$1${kind === 'auth' ? port : port + 1}`,
      'port = 0',
    );
    return edit(withPort, /^(\s*ipaddr\s*=\s*)\*/m, '$1127.0.0.1', 'ipaddr = *');
  });
  if (kinds.sort().join(',') !== 'acct,auth')
    throw new Error(
      `FreeRADIUS default site: expected auth and acct listens, got ${kinds.join(',')}`,
    );
  return out;
}

export interface FreeradiusConfig {
  /** The shared secret of the stock `localhost` client (127.0.0.1). */
  readonly secret: string;
  /** Users prepended to mods-config/files/authorize. */
  readonly users: readonly { readonly name: string; readonly password: string }[];
  /** PEM files for the eap module's tls-common (PEAP, TTLS, EAP-TLS) instead of the snakeoil pair. */
  readonly tls?: {
    readonly certificate: string;
    readonly privateKey: string;
    readonly ca: string;
    /** The eap module's `tls_max_version`; default the stock "1.2". */
    readonly maxVersion?: '1.2' | '1.3';
  };
  /**
   * RadSec (RFC 6614) from the stock sites-available/tls: a TLS listener on
   * 127.0.0.1:P+3 (auth+acct, client certificates checked against `ca`,
   * client 127.0.0.1 with secret radsec) and, with `homePort`, a TLS
   * `home_server` on 127.0.0.1:homePort presenting `clientCertificate`, the
   * pool `tls` and the realm `tls.netrx.test` (nostrip: the stock `tls` with the
   * dot filter_username wants) that proxy `user@tls.netrx.test` there.
   */
  readonly radsec?: {
    readonly certificate: string;
    readonly privateKey: string;
    readonly ca: string;
    readonly clientCertificate?: string;
    readonly clientPrivateKey?: string;
    readonly homePort?: number;
  };
}

/** sites-available/tls edited: loopback, private ports, our certificates. */
function radsecSite(
  text: string,
  port: number,
  radsec: NonNullable<FreeradiusConfig['radsec']>,
): string {
  const sections = text.split(/^(?=(?:listen|clients|home_server|home_server_pool|realm)\b)/m);
  const keep: string[] = [];
  for (const section of sections) {
    const kind = /^(listen|clients|home_server_pool|home_server|realm)\b/.exec(section)?.[1];
    if (kind === undefined) {
      keep.push(section);
      continue;
    }
    if (kind !== 'listen' && kind !== 'clients' && radsec.homePort === undefined) continue;
    let s = section;
    const certs = (cert: string, key: string) => {
      s = edit(
        s,
        /^(\s*)private_key_password\s*=.*$/m,
        '$1#private_key_password',
        'private_key_password',
      );
      s = edit(s, /^(\s*private_key_file\s*=\s*).*$/m, `$1${key}`, 'private_key_file');
      s = edit(s, /^(\s*certificate_file\s*=\s*).*$/m, `$1${cert}`, 'certificate_file');
      s = edit(s, /^(\s*ca_file\s*=\s*).*$/m, `$1${radsec.ca}`, 'ca_file');
      s = edit(s, /^(\s*)(ca_path\s*=)/m, '$1#$2', 'ca_path');
    };
    if (kind === 'listen') {
      s = edit(s, /^(\s*ipaddr\s*=\s*)\*/m, '$1127.0.0.1', 'listen ipaddr = *');
      s = edit(s, /^(\s*port\s*=\s*)2083\s*$/m, `$1${port + 3}`, 'listen port 2083');
      certs(radsec.certificate, radsec.privateKey);
    } else if (kind === 'home_server') {
      s = edit(
        s,
        /^(\s*port\s*=\s*)2083\s*$/m,
        `$1${String(radsec.homePort)}`,
        'home_server port 2083',
      );
      // The watchdog of RFC 3539 with Status-Server, as a RadSec client should run it.
      s = edit(s, /^(\s*status_check\s*=\s*)none/m, '$1status-server', 'status_check = none');
      certs(
        radsec.clientCertificate ?? radsec.certificate,
        radsec.clientPrivateKey ?? radsec.privateKey,
      );
    } else if (kind === 'realm') {
      s = edit(s, /^(\s*auth_pool\s*=\s*tls)\s*$/m, '$1\n      nostrip', 'realm auth_pool = tls');
      // The default site's filter_username rejects a realm without a dot.
      s = edit(s, /^realm tls \{/m, 'realm tls.netrx.test {', 'realm tls');
    }
    keep.push(s);
  }
  return keep.join('');
}

/** Writes DIR/raddb (a copy of the stock configuration, edited), DIR/log and DIR/run. */
export function configureFreeradius(dir: string, port: number, config: FreeradiusConfig): string {
  const raddb = join(dir, 'raddb');
  execFileSync('cp', ['-a', FREERADIUS_STOCK, raddb]);
  for (const sub of ['log', 'run']) mkdirSync(join(dir, sub));

  const site = (name: string, change: (text: string) => string) => {
    const file = join(raddb, 'sites-enabled', name);
    const text = readFileSync(join(raddb, 'sites-available', name), 'utf8');
    unlinkSync(file); // a symlink into sites-available: replace it by an edited copy
    writeFileSync(file, change(text));
  };
  site('default', (text) => defaultSite(text, port));
  site('inner-tunnel', (text) =>
    edit(text, /^(\s*port\s*=\s*)18120\s*$/m, `$1${port + 2}`, 'inner-tunnel port 18120'),
  );

  if (config.radsec !== undefined) {
    const text = readFileSync(join(raddb, 'sites-available', 'tls'), 'utf8');
    writeFileSync(join(raddb, 'sites-enabled', 'tls'), radsecSite(text, port, config.radsec));
  }

  const conf = join(raddb, 'radiusd.conf');
  let text = readFileSync(conf, 'utf8');
  text = edit(text, /^(\s*)(user\s*=)/m, '$1#$2', 'user =');
  text = edit(text, /^(\s*)(group\s*=)/m, '$1#$2', 'group =');
  text = edit(text, /^raddbdir\s*=.*$/m, `raddbdir = ${raddb}`, 'raddbdir');
  text = edit(text, /^logdir\s*=.*$/m, `logdir = ${join(dir, 'log')}`, 'logdir');
  text = edit(text, /^run_dir\s*=.*$/m, `run_dir = ${join(dir, 'run')}`, 'run_dir');
  // No proxying (so no proxy socket on every address), unless RadSec proxies to a home server.
  if (config.radsec?.homePort === undefined)
    text = edit(text, /^proxy_requests\s*=\s*yes/m, 'proxy_requests = no', 'proxy_requests');
  writeFileSync(conf, text);

  if (config.tls !== undefined) {
    // mods-enabled/eap is a relative symlink, so it points into this copy.
    const eap = join(raddb, 'mods-available', 'eap');
    let module = readFileSync(eap, 'utf8');
    module = edit(
      module,
      /^(\s*private_key_file\s*=\s*)\/etc\/ssl\/private\/ssl-cert-snakeoil\.key\s*$/m,
      `$1${config.tls.privateKey}`,
      'private_key_file (snakeoil)',
    );
    module = edit(
      module,
      /^(\s*certificate_file\s*=\s*)\/etc\/ssl\/certs\/ssl-cert-snakeoil\.pem\s*$/m,
      `$1${config.tls.certificate}`,
      'certificate_file (snakeoil)',
    );
    module = edit(
      module,
      /^(\s*ca_file\s*=\s*)\/etc\/ssl\/certs\/ca-certificates\.crt\s*$/m,
      `$1${config.tls.ca}`,
      'ca_file',
    );
    if (config.tls.maxVersion !== undefined)
      module = edit(
        module,
        /^(\s*tls_max_version\s*=\s*)"1\.2"\s*$/m,
        `$1"${config.tls.maxVersion}"`,
        'tls_max_version',
      );
    writeFileSync(eap, module);
  }

  const authorize = join(raddb, 'mods-config', 'files', 'authorize');
  const users = config.users
    .map((user) => `${user.name} Cleartext-Password := ${JSON.stringify(user.password)}\n\n`)
    .join('');
  writeFileSync(authorize, `${users}${readFileSync(authorize, 'utf8')}`);

  const clients = join(raddb, 'clients.conf');
  writeFileSync(
    clients,
    edit(
      readFileSync(clients, 'utf8'),
      /^(\s*secret\s*=\s*)testing123\s*$/gm,
      `$1${config.secret}`,
      'secret',
    ),
  );
  return raddb;
}

export interface StartedFreeradius {
  readonly server: Watched;
  readonly port: number;
  readonly raddb: string;
}

/**
 * Configures DIR/attempt-N and starts `freeradius ARGS -d RADDB` (ARGS:
 * `-X` for a debug log, `-f -l stdout` for full speed) on a random port,
 * retrying on a port clash; resolves once it is ready.
 */
export async function startFreeradius(
  dir: string,
  config: FreeradiusConfig,
  args: readonly string[] = ['-X'],
): Promise<StartedFreeradius> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const attemptDir = join(dir, `attempt-${attempt}`);
    mkdirSync(attemptDir);
    const raddb = configureFreeradius(attemptDir, port, config);
    const server = watched('freeradius', [...args, '-d', raddb]);
    try {
      await server.until(/Ready to process requests/, 30_000);
      return { server, port, raddb };
    } catch (error) {
      await stopped(server);
      last = (error as Error).message;
      if (!/Address already in use/.test(server.text())) break; // only a port clash is worth a retry
    }
  }
  throw new Error(`FreeRADIUS did not start: ${last}`);
}
