/**
 * The floor under bench/eap (issue 13): what the cryptography alone costs a
 * TLS server per EAP authentication, with the same RSA-2048 `netrx certs
 * demo --key rsa` certificates, suites and groups both servers negotiate
 * there, measured three ways in one run, all as CPU time:
 *
 * 1. Node `crypto`, one call per server operation (bench/support/eap-floor-crypto.ts),
 *    summed per case: the cryptography of the handshake and nothing else;
 * 2. `openssl speed` (CPU user time) for the two operations that dominate:
 *    RSA-2048 sign and verify, X25519;
 * 3. OpenSSL's own server, `openssl s_server` over loopback TCP, driven by
 *    `openssl s_time -new` (a full handshake per connection, client
 *    certificate for the EAP-TLS cases, no tickets and no session cache as
 *    FreeRADIUS's stock eap module), its CPU per handshake from procfs: the
 *    whole TLS library (crypto, handshake state machine, X.509, BIOs) with
 *    no EAP, RADIUS or fragmentation around it.
 *
 * Compare with the server CPU per authentication bench/eap prints for netrx
 * and FreeRADIUS (the same machine, best in the same minutes). Settings:
 * EAP_FLOOR_ITERATIONS (400 per round), EAP_FLOOR_ROUNDS (3),
 * EAP_FLOOR_SECONDS (3, per s_time run). Nothing fails on speed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoCertificates } from '../src/node/certs/index.js';
import {
  cpuMicrosPerCall,
  floorOperations,
  gcmOpen,
  type FloorCase,
} from './support/eap-floor-crypto.js';
import { cpuMs } from './support/procfs.js';

const ITERATIONS = Number(process.env['EAP_FLOOR_ITERATIONS'] ?? 400);
const ROUNDS = Number(process.env['EAP_FLOOR_ROUNDS'] ?? 3);
const SECONDS = Number(process.env['EAP_FLOOR_SECONDS'] ?? 3);

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function nodeFloor(certs: string): Map<FloorCase, number> {
  const read = (file: string): string => readFileSync(join(certs, file), 'utf8');
  const { operations, cases } = floorOperations({
    serverKeyPem: read('server-key.pem'),
    clientCertPem: read('client.pem'),
    clientKeyPem: read('client-key.pem'),
    caCertPem: read('ca.pem'),
  });
  const perCall = new Map<string, number>();
  process.stdout.write(
    `Node ${process.version} crypto (OpenSSL ${process.versions.openssl}), CPU µs per call, median of ${ROUNDS} × ${ITERATIONS}:\n`,
  );
  for (const operation of operations) {
    const micros = cpuMicrosPerCall(operation.run, ITERATIONS, ROUNDS);
    perCall.set(operation.name, micros);
    process.stdout.write(`  ${micros.toFixed(1).padStart(7)}  ${operation.name}\n`);
  }
  const opened = cpuMicrosPerCall(gcmOpen(), ITERATIONS, ROUNDS);
  process.stdout.write(
    `  ${opened.toFixed(1).padStart(7)}  (AES-128-GCM open, one 64 B record, for comparison)\n`,
  );
  const totals = new Map<FloorCase, number>();
  for (const [name, steps] of Object.entries(cases) as [
    FloorCase,
    (readonly [string, number])[],
  ][]) {
    const total = steps.reduce((sum, [op, times]) => sum + (perCall.get(op) ?? 0) * times, 0);
    totals.set(name, total);
    process.stdout.write(
      `  = ${total.toFixed(0).padStart(5)} µs per authentication, ${name}: ${steps.map(([op, times]) => `${times}× ${op.split(' (')[0]}`).join(' + ')}\n`,
    );
  }
  return totals;
}

function opensslSpeed(): void {
  const run = spawnSync('openssl', ['speed', '-seconds', '2', 'rsa2048', 'ecdhx25519'], {
    encoding: 'utf8',
  });
  const rsa = /^rsa 2048 bits\s+([\d.]+)s\s+([\d.]+)s/m.exec(run.stdout);
  const x25519 = /\(X25519\)\s+([\d.]+)s\s+([\d.]+)/m.exec(run.stdout);
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(
    `openssl speed (${version}, CPU user time): RSA-2048 sign ${rsa === null ? '?' : (Number(rsa[1]) * 1e6).toFixed(0)} µs, ` +
      `verify ${rsa === null ? '?' : (Number(rsa[2]) * 1e6).toFixed(1)} µs; ` +
      `X25519 ${x25519 === null ? '?' : (1e6 / Number(x25519[2])).toFixed(1)} µs per shared secret (key generation is another)\n`,
  );
}

interface HandshakeCase {
  readonly name: string;
  readonly server: readonly string[];
  readonly client: readonly string[];
}

function handshakeCases(certs: string): HandshakeCase[] {
  const clientCert = ['-cert', join(certs, 'client.pem'), '-key', join(certs, 'client-key.pem')];
  const tls12 = ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'];
  const tls13 = ['-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384'];
  return [
    { name: "TLS 1.2, no client certificate (PEAP's handshake)", server: tls12, client: tls12 },
    {
      name: 'TLS 1.2, client certificate (EAP-TLS 1.2)',
      server: [...tls12, '-Verify', '1'],
      client: [...tls12, ...clientCert],
    },
    {
      name: 'TLS 1.3, client certificate (EAP-TLS 1.3)',
      server: [...tls13, '-Verify', '1'],
      client: [...tls13, ...clientCert],
    },
  ];
}

/** Whether a TCP socket listens on 127.0.0.1:`port` (/proc/net/tcp, state 0A). */
function listening(port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1] === local && fields[3] === '0A';
    });
}

/** One s_server, one s_time; the server's CPU µs per handshake, or a reason. */
async function opensslServer(certs: string, which: HandshakeCase): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const server = spawn(
      'openssl',
      [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-quiet',
        '-cert',
        join(certs, 'server.pem'),
        '-key',
        join(certs, 'server-key.pem'),
        '-CAfile',
        join(certs, 'ca.pem'),
        '-groups',
        'X25519',
        // FreeRADIUS's stock eap module: no session cache, no tickets.
        '-no_cache',
        '-no_ticket',
        '-num_tickets',
        '0',
        ...which.server,
      ],
      // Not piped: s_server writes verify lines per handshake, and spawnSync below blocks
      // this event loop, so a pipe would fill and stall the server.
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    // -quiet prints nothing when ready: wait for the socket to listen (procfs), not for text.
    const ready = await new Promise<boolean>((done) => {
      const poll = setInterval(() => {
        if (listening(port)) finish(true);
        else if (server.exitCode !== null) finish(false);
      }, 20);
      const timer = setTimeout(() => finish(false), 10_000);
      function finish(ok: boolean): void {
        clearInterval(poll);
        clearTimeout(timer);
        done(ok);
      }
    });
    if (!ready) {
      server.kill('SIGKILL'); // by PID
      if (server.exitCode !== null) continue; // most likely the port was taken
      return 's_server did not start listening';
    }
    const pid = server.pid ?? 0;
    const before = cpuMs(pid);
    const client = spawnSync(
      'openssl',
      [
        's_time',
        '-connect',
        `127.0.0.1:${port}`,
        '-new',
        '-time',
        String(SECONDS),
        '-CAfile',
        join(certs, 'ca.pem'),
        ...which.client,
      ],
      { encoding: 'utf8' },
    );
    const used = cpuMs(pid) - before;
    server.kill('SIGKILL'); // by PID
    const connections = /(\d+) connections in [\d.]+s/.exec(client.stdout);
    if (connections === null)
      return `s_time failed: ${client.stdout.slice(-200)} ${client.stderr.slice(-200)}`;
    const count = Number(connections[1]);
    return `${((used * 1000) / count).toFixed(0)} µs per handshake (${count} handshakes, ${used.toFixed(0)} ms CPU, load ${load()})`;
  }
  return 'no free port';
}

const dir = mkdtempSync(join(tmpdir(), 'eap-perf-floor-'));
try {
  const certs = join(dir, 'certs');
  await writeDemoCertificates(certs, { keyAlgorithm: 'rsa' });
  process.stdout.write(`bench eap-floor, load average ${load()}\n`);
  nodeFloor(certs);
  opensslSpeed();
  process.stdout.write(
    `OpenSSL's own server (openssl s_server, s_time -new, ${SECONDS} s each), server CPU (procfs):\n`,
  );
  for (const which of handshakeCases(certs))
    process.stdout.write(`  ${which.name}: ${await opensslServer(certs, which)}\n`);
  process.stdout.write(`load average after ${load()}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
