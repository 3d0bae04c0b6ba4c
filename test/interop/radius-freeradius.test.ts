/**
 * `netrx radius test` (the netrx EAP peer and RADIUS client, from dist/)
 * against FreeRADIUS 3.2.1, a RADIUS/EAP server nobody here wrote: EAP-MD5
 * and EAP-MSCHAPv2 succeed with FreeRADIUS's MS-MPPE keys equal to the
 * peer's MSK, and a wrong password ends in Access-Reject (exit 1).
 *
 * FreeRADIUS runs as `freeradius -X -d DIR` on a private copy of the stock
 * Debian configuration (docs/radius.md, "Interop"): loopback only, IPv4 only,
 * ports P (auth), P+1 (acct) and P+2 (inner-tunnel) instead of the shared
 * 1812/1813/18120, logs and pid under DIR, no user/group switch (the tests
 * run as root and DIR is 0700), no proxying, user bob prepended to the users file. It is
 * stopped by its PID.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, isRoot, requirePeers } from './support/peers.js';
import { ran, stopped, watched, type Watched } from './support/processes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const STOCK = '/etc/freeradius/3.0';
const SECRET = 'interop-freeradius-secret';
const RECORDED = { freeradius: '3.2.1+dfsg-4+deb12u1' };

const peers = requirePeers('radius-freeradius interop', [
  { name: 'freeradius', ok: () => commandExists('freeradius'), hint: 'apt-get install freeradius' },
  {
    name: `${STOCK} (stock configuration)`,
    ok: () => spawnSync('test', ['-f', join(STOCK, 'radiusd.conf')]).status === 0,
    hint: 'apt-get install freeradius',
  },
  { name: 'root', ok: isRoot, hint: 'FreeRADIUS reads the root-only stock configuration' },
]);
const installed = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'freeradius'], {
  encoding: 'utf8',
}).stdout.trim();
console.info(`peers: freeradius ${installed || 'unknown'}`);
if (installed !== '' && installed !== RECORDED.freeradius) {
  console.warn(`[netrx interop] freeradius is ${installed}; checked with ${RECORDED.freeradius}`);
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
  expect(kinds.sort()).toEqual(['acct', 'auth']);
  return out;
}

function configure(dir: string, port: number): void {
  const raddb = join(dir, 'raddb');
  execFileSync('cp', ['-a', STOCK, raddb]);
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

  const conf = join(raddb, 'radiusd.conf');
  let text = readFileSync(conf, 'utf8');
  text = edit(text, /^(\s*)(user\s*=)/m, '$1#$2', 'user =');
  text = edit(text, /^(\s*)(group\s*=)/m, '$1#$2', 'group =');
  text = edit(text, /^raddbdir\s*=.*$/m, `raddbdir = ${raddb}`, 'raddbdir');
  text = edit(text, /^logdir\s*=.*$/m, `logdir = ${join(dir, 'log')}`, 'logdir');
  text = edit(text, /^run_dir\s*=.*$/m, `run_dir = ${join(dir, 'run')}`, 'run_dir');
  // No proxying, so no proxy socket on every address.
  text = edit(text, /^proxy_requests\s*=\s*yes/m, 'proxy_requests = no', 'proxy_requests');
  writeFileSync(conf, text);

  const authorize = join(raddb, 'mods-config', 'files', 'authorize');
  writeFileSync(
    authorize,
    `bob Cleartext-Password := "hello"\n\n${readFileSync(authorize, 'utf8')}`,
  );

  const clients = join(raddb, 'clients.conf');
  writeFileSync(
    clients,
    edit(
      readFileSync(clients, 'utf8'),
      /^(\s*secret\s*=\s*)testing123\s*$/gm,
      `$1${SECRET}`,
      'secret',
    ),
  );
}

async function startFreeradius(dir: string): Promise<{ server: Watched; port: number }> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const attemptDir = join(dir, `attempt-${attempt}`);
    mkdirSync(attemptDir);
    configure(attemptDir, port);
    const server = watched('freeradius', ['-X', '-d', join(attemptDir, 'raddb')]);
    try {
      await server.until(/Ready to process requests/, 30_000);
      return { server, port };
    } catch (error) {
      await stopped(server);
      last = (error as Error).message;
      if (!/Address already in use/.test(server.text())) break; // only a port clash is worth a retry
    }
  }
  throw new Error(`FreeRADIUS did not start: ${last}`);
}

function radiusTest(port: number, method: 'md5' | 'mschapv2', password: string) {
  return ran(process.execPath, [
    main,
    'radius',
    'test',
    '--server',
    `127.0.0.1:${port}`,
    '--secret',
    SECRET,
    '--method',
    method,
    '--user',
    `bob:${password}`,
  ]);
}

describe.skipIf(peers.skip)('netrx radius test against FreeRADIUS', () => {
  let dir: string;
  let server: Watched | undefined;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netrx-freeradius-')); // 0700
    ({ server, port } = await startFreeradius(dir));
    console.info(
      `peers: ${/FreeRADIUS Version [^\s,]+/.exec(server.text())?.[0] ?? 'FreeRADIUS ?'}`,
    );
  });

  afterAll(async () => {
    await stopped(server);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('FreeRADIUS listens on 127.0.0.1 only, on the private ports, and proxies nothing', () => {
    const listening = [...(server?.text() ?? '').matchAll(/^Listening on (.*)$/gm)].map(
      (m) => m[1],
    );
    expect(listening.sort()).toEqual([
      `acct address 127.0.0.1 port ${port + 1} bound to server default`,
      `auth address 127.0.0.1 port ${port} bound to server default`,
      `auth address 127.0.0.1 port ${port + 2} bound to server inner-tunnel`,
    ]);
  });

  it('EAP-MD5: SUCCESS, exit 0', async () => {
    const run = await radiusTest(port, 'md5', 'hello');
    expect(run.text).toMatch(
      new RegExp(`^server 127\\.0\\.0\\.1:${port}, method MD5-Challenge,`, 'm'),
    );
    expect(run.text).toMatch(/^SUCCESS$/m);
    expect(run.code).toBe(0);
  });

  it("EAP-MSCHAPv2 (after a Nak of FreeRADIUS's MD5 proposal): MPPE keys match, SUCCESS", async () => {
    const run = await radiusTest(port, 'mschapv2', 'hello');
    expect(run.text).toMatch(/, method MSCHAPv2, 4 Access-Requests$/m); // Identity, Nak, Response, Success ack
    expect(run.text).toMatch(/^MPPE keys match$/m);
    expect(run.text).toMatch(/^SUCCESS$/m);
    expect(run.code).toBe(0);
  });

  it('a wrong password: FAILURE: Access-Reject ..., exit 1', async () => {
    const run = await radiusTest(port, 'mschapv2', 'wrong');
    expect(run.text).toMatch(/^FAILURE: Access-Reject \(method failed with 691\)$/m);
    expect(run.text).not.toMatch(/^SUCCESS$/m);
    expect(run.code).toBe(1);
    expect(server?.text()).toMatch(/Sent Access-Reject[\s\S]*MS-CHAP-Error = .*E=691/);
  });
});
