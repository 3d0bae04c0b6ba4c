// The setup `npm start` and `npm test` share: each brings a fresh clone to a
// runnable state by itself. Only Node built-ins here: this runs before
// node_modules exists.
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pruneDist } from './prune-dist.mjs';

export const root = resolve(import.meta.dirname, '..', '..');

/**
 * The Debian packages the interop tests drive, in one list. Each entry says
 * which tests need it, so the list shrinks as honestly as it grows.
 */
export const debianPackages = [
  {
    name: 'tshark',
    for: 'test/interop/pcap-*: reads the captures netrx writes; test/interop/capture-rpc: decodes the LREC DCE/RPC conversation',
  },
  {
    name: 'python3-impacket',
    for: 'test/interop/capture-rpc: impacket as the MS-RPC client of netrx capture serve',
  },
  { name: 'tcpdump', for: 'test/interop/pcap-*: reads the captures netrx writes' },
  {
    name: 'iproute2',
    for: 'test/interop/link-*: network namespaces, veth and the kernel VXLAN device',
  },
  { name: 'iputils-ping', for: 'test/interop/link-*: the kernel ping and ping -6' },
  { name: 'iputils-arping', for: 'test/interop/link-*: the kernel arping' },
  { name: 'ethtool', for: 'test/interop/link-*: checksum offload on and off on vx0' },
  {
    name: 'python3-websockets',
    for: 'test/interop/websocket-python: python websockets as client and server of netrx',
  },
  {
    name: 'ppp',
    for: 'test/interop/port-chat: the real pppd chat that netrx chat is compared with',
  },
  {
    name: 'redis-server',
    for: 'test/interop/port-chat-redis, bench/port: a private loopback redis for the inline-protocol scripts',
  },
  {
    name: 'socat',
    for: 'test/interop/port-chat: the pty that chat needs, bridged to TCP fixtures',
  },
  {
    name: 'wpasupplicant',
    for: 'test/interop/eapol-wired: wpa_supplicant -D wired authenticates against the netrx 802.1X authenticator',
  },
  {
    name: 'hostapd',
    for: 'test/interop/eapol-wired: hostapd (driver=wired, internal EAP server) authenticates the netrx supplicant',
  },
  {
    name: 'eapoltest',
    for: 'test/interop/radius-*: eapol_test as the EAP peer of netrx radius serve',
  },
  {
    name: 'freeradius',
    for: 'test/interop/radius-*: FreeRADIUS 3.2 as the server for netrx radius test',
  },
  {
    name: 'radsecproxy',
    for: 'test/interop/radius-radsec-radsecproxy: radsecproxy forwards eapol_test over RadSec (RADIUS/TLS) to netrx radius serve --radsec',
  },
  {
    name: 'freeradius-utils',
    for: 'bench/eap: radeapclient, the EAP-MD5 load generator',
  },
  {
    name: 'nats-server',
    for: 'test/interop/nats-capture: a private loopback JetStream server for capture fan-in (netrx capture publish / serve --nats)',
  },
  {
    name: 'chromium',
    for: "test/interop/websocket-chromium: headless Chromium as a WebSocket client (playwright-core); test/interop/runtimes-chromium: the core's portable suite in a page",
  },
];

export function step(title) {
  process.stdout.write(`\n== ${title}\n`);
}

/** Runs a command inheriting stdio; returns its exit code. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) {
    process.stderr.write(`cannot run ${command}: ${result.error.message}\n`);
    return 1;
  }
  return result.status ?? 1;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs a command inheriting stdio and resolves its exit code, passing on
 * SIGINT, SIGTERM and SIGHUP sent to this process: a `kill <npm start's
 * PID>` during the first build or install stops tsc/npm too instead of
 * leaving it writing dist/ as an orphan. A child killed by a signal resolves
 * 128 + its number, as a shell reports it.
 */
export function runForwardingSignals(command, args, options = {}) {
  return new Promise((resolveCode) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
    const forward = (signal) => child.kill(signal);
    for (const signal of STOP_SIGNALS) process.on(signal, forward);
    const done = (code) => {
      for (const signal of STOP_SIGNALS) process.off(signal, forward);
      resolveCode(code);
    };
    child.once('error', (error) => {
      process.stderr.write(`cannot run ${command}: ${error.message}\n`);
      done(1);
    });
    child.once('exit', (code, signal) =>
      done(code ?? (signal === null ? 1 : 128 + (constants.signals[signal] ?? 0))),
    );
  });
}

/** Runs the project's TypeScript compiler with `args`; returns its exit code. */
export function tsc(...args) {
  return run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), ...args]);
}

export function bin(name) {
  return join(root, 'node_modules', '.bin', name);
}

/**
 * Installs npm dependencies from the lock file when node_modules is missing
 * or older than it. Resolves the exit code (a signal stops npm ci too).
 */
export async function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return 0;
  step('installing npm dependencies (npm ci)');
  return runForwardingSignals('npm', ['ci', '--no-audit', '--no-fund']);
}

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Builds dist/ when it is missing or older than any source or build setting.
 * Resolves the exit code; a signal to this process stops tsc too (an
 * interrupted build writes no stamp, so the next start builds again).
 */
export async function ensureBuild({ force = false } = {}) {
  const stamp = join(root, 'dist', '.build-stamp');
  const newest = Math.max(...buildInputs().map(newestMtime));
  if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= newest) return 0;
  step('building dist/ (tsc -p tsconfig.build.json)');
  const code = await runForwardingSignals(process.execPath, [
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    'tsconfig.build.json',
  ]);
  if (code === 0) {
    pruneDist(join(root, 'src'), join(root, 'dist'));
    chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
  }
  return code === 0 ? ensureDashboard({ force }) : code;
}

/**
 * What `npm start` needs before `netrx up` (review M1): dist/ fresh from
 * either build, the full one (`npm run build`, `npm test`) or the quick one
 * (transpile.mjs: oxc, no type check, well under a second of CPU where tsc
 * takes 15 s), then the dashboard. A quick build that fails falls back to
 * tsc, which says what is wrong.
 */
export async function ensureStartBuild() {
  const dist = join(root, 'dist');
  const stamps = [join(dist, '.build-stamp'), join(dist, '.start-stamp')];
  const newest = Math.max(...buildInputs().map(newestMtime));
  if (stamps.some((stamp) => existsSync(stamp) && statSync(stamp).mtimeMs >= newest))
    return ensureDashboard();
  step('building dist/ for netrx up (oxc transpile; npm run build type-checks)');
  const code = await runForwardingSignals(process.execPath, [
    join(root, 'scripts', 'lib', 'transpile.mjs'),
    join(root, 'src'),
    dist,
  ]);
  // Stopped by a signal (passed on to it): stop, do not start tsc instead.
  if (code >= 128) return code;
  if (code !== 0) {
    process.stderr.write('the quick build failed: running tsc, which says why\n');
    return ensureBuild();
  }
  pruneDist(join(root, 'src'), dist);
  chmodSync(join(dist, 'cli', 'main.js'), 0o755);
  writeFileSync(stamps[1], `${new Date().toISOString()}\n`);
  return ensureDashboard();
}

/** What dist/ is built from. */
function buildInputs() {
  return ['src', 'package.json', 'tsconfig.base.json', 'tsconfig.build.json'].map((p) =>
    join(root, p),
  );
}

/**
 * Builds the dashboard (ui/, Vite) into ui/dist when it is missing or older
 * than its sources or the cores it imports (src/wire, src/trace, src/bytes).
 */
export async function ensureDashboard({ force = false } = {}) {
  const ui = join(root, 'ui');
  const stamp = join(ui, 'dist', '.build-stamp');
  const inputs = [
    join(ui, 'src'),
    join(ui, 'index.html'),
    join(ui, 'public'),
    join(ui, 'vite.config.js'),
    join(ui, 'package.json'),
    join(root, 'src', 'wire'),
    join(root, 'src', 'trace'),
    join(root, 'src', 'bytes'),
  ];
  const newest = Math.max(...inputs.map(newestMtime));
  if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= newest) return 0;
  step('building the dashboard ui/dist/ (vite build)');
  // Built beside ui/dist, then published into it: Vite empties its outDir
  // first, and a host starting meanwhile (a test file beside the one that
  // builds) would find no page and answer 503.
  const staging = join(ui, `.dist-build-${process.pid}`);
  const code = await runForwardingSignals(
    process.execPath,
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--logLevel',
      'warn',
      '--outDir',
      staging,
      '--emptyOutDir',
    ],
    { cwd: ui },
  );
  if (code === 0) {
    publishDashboard(staging, join(ui, 'dist'));
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
  }
  rmSync(staging, { recursive: true, force: true });
  return code;
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/**
 * Puts a build into `out` so a reader finds a whole page at every moment:
 * the assets first (content-hashed names: new ones do not replace old
 * ones), then each other file by rename (atomic), index.html last, and only
 * then the files the new build no longer has.
 */
function publishDashboard(staging, out) {
  const fresh = filesUnder(staging);
  const ordered = [
    ...fresh.filter((f) => f !== 'index.html'),
    ...fresh.filter((f) => f === 'index.html'),
  ];
  for (const file of ordered) {
    const target = join(out, file);
    mkdirSync(dirname(target), { recursive: true });
    const temporary = join(dirname(target), `.${process.pid}.tmp`);
    copyFileSync(join(staging, file), temporary);
    renameSync(temporary, target);
  }
  const keep = new Set([...fresh, '.build-stamp']);
  for (const file of filesUnder(out)) if (!keep.has(file)) rmSync(join(out, file), { force: true });
}

function installed(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

/** Installs the missing Debian packages (apt-get update once first). */
export function ensureDebianPackages() {
  if (process.platform !== 'linux' || spawnSync('dpkg-query', ['--version']).status !== 0) {
    process.stdout.write('not a Debian system: interop peers are not installed\n');
    return 0;
  }
  const missing = debianPackages.map((p) => p.name).filter((name) => !installed(name));
  if (missing.length === 0) return 0;
  if (process.getuid?.() !== 0) {
    process.stdout.write(
      `missing Debian packages ${missing.join(' ')}, and not root: install them by hand\n`,
    );
    return 0;
  }
  step(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update', '-q'], { env }) !== 0) return 1;
  return run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
}
