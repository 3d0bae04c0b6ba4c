/**
 * RadSec (RADIUS over TLS, RFC 6614) on loopback: EAP-MD5 authentications
 * per second and server CPU per authentication of `netrx radius serve
 * --radsec` against FreeRADIUS 3.2's stock TLS listener (sites-available/tls
 * on a private instance, test/interop/support/freeradius.ts, `-f -l stdout`)
 * in the same run, driven by the same generator: the netrx RadSec client
 * (`RadSecConnection` + `RadiusEapClient`), RADSEC_BENCH_CONNECTIONS TLS
 * connections (default 8: FreeRADIUS's stock limit is 16), each running one
 * conversation at a time. Rounds alternate the servers; the median round of
 * each is printed with ours/theirs ratios, the servers' RSS before and
 * after (procfs VmRSS), the generator's CPU share and the load average.
 * Both servers are measured the same way (procfs utime+stime of the server
 * process). Settings: RADSEC_BENCH_AUTHS (4000), RADSEC_BENCH_ROUNDS (3),
 * RADSEC_BENCH_CONNECTIONS (8), RADSEC_BENCH_CPU_PROF=DIR (the netrx server under
 * node --cpu-prof). Nothing fails on speed; a missing
 * FreeRADIUS fails at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMd5Method } from '../src/eap/index.js';
import { createDemoCertificates } from '../src/node/certs/demo.js';
import { RadSecConnection } from '../src/node/radius/index.js';
import { nodeCrypto, systemClock } from '../src/node/runtime/index.js';
import { RadiusEapClient } from '../src/radius/index.js';
import {
  freeradiusVersion,
  hasStockFreeradiusConfig,
  startFreeradius,
} from '../test/interop/support/freeradius.js';
import { stopped, watchChild, type Watched } from '../test/interop/support/processes.js';

const AUTHS = Number(process.env['RADSEC_BENCH_AUTHS'] ?? 4000);
const ROUNDS = Number(process.env['RADSEC_BENCH_ROUNDS'] ?? 3);
const CONNECTIONS = Number(process.env['RADSEC_BENCH_CONNECTIONS'] ?? 8);
const TICK_MS =
  1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || 100);

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

interface Round {
  readonly authsPerSecond: number;
  readonly cpuMsPerAuth: number;
  readonly failures: number;
  readonly generatorCpuShare: number;
}

/** CONNECTIONS RadSec connections to port, kept for every round (as a NAS or proxy keeps them). */
function connectAll(
  port: number,
  certs: ReturnType<typeof createDemoCertificates>,
): Promise<RadSecConnection[]> {
  return Promise.all(
    Array.from({ length: CONNECTIONS }, () =>
      RadSecConnection.connect({
        host: '127.0.0.1',
        port,
        ca: certs.ca.certPem,
        cert: certs.client.certPem,
        key: certs.client.keyPem,
        serverName: 'radius.netrx.test',
        watchdogMs: 0,
      }),
    ),
  );
}

/** AUTHS EAP-MD5 authentications over the connections to port. */
async function round(
  pid: number,
  port: number,
  connections: readonly RadSecConnection[],
): Promise<Round> {
  let started = 0;
  let failures = 0;
  const cpuBefore = cpuMs(pid);
  const ownBefore = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    connections.map(async (connection) => {
      while (started < AUTHS) {
        started++;
        const result = await new Promise<string>((resolve) => {
          const client = new RadiusEapClient({
            clock: systemClock,
            crypto: nodeCrypto,
            servers: [{ address: '127.0.0.1', port, secret: 'radsec' }],
            methods: [createMd5Method({ crypto: nodeCrypto })],
            identity: 'bob',
            password: 'hello',
            retries: 0,
            timeoutMs: 10_000,
            send: (datagram) => connection.send(datagram),
            onResult: (r) => resolve(r.outcome),
          });
          connection.onPacket = (packet) => client.receive(packet, { address: '127.0.0.1', port });
          client.start();
        });
        if (result !== 'success') failures++;
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const own = process.cpuUsage(ownBefore);
  const serverCpu = cpuMs(pid) - cpuBefore;
  return {
    authsPerSecond: (AUTHS / wallMs) * 1000,
    cpuMsPerAuth: serverCpu / AUTHS,
    failures,
    generatorCpuShare: (own.user + own.system) / 1000 / wallMs,
  };
}

function median(rounds: readonly Round[]): Round {
  const sorted = [...rounds].sort((a, b) => a.authsPerSecond - b.authsPerSecond);
  return sorted[Math.floor(sorted.length / 2)] as Round;
}

async function main(): Promise<void> {
  if (freeradiusVersion() === '' || !hasStockFreeradiusConfig()) {
    console.error('bench/radsec needs FreeRADIUS 3.2 (apt-get install freeradius) and root');
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'netrx-bench-radsec-'));
  const certs = createDemoCertificates();
  const certDir = join(dir, 'certs');
  spawnSync('mkdir', ['-p', certDir]);
  const files = {
    'ca.pem': certs.ca.certPem,
    'server.pem': certs.server.certPem,
    'server-key.pem': certs.server.keyPem,
    'client.pem': certs.client.certPem,
    'client-key.pem': certs.client.keyPem,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(certDir, name), text);
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
  let netrx: Watched | undefined;
  let freeradius: Watched | undefined;
  try {
    netrx = watchChild(
      spawn(
        process.execPath,
        [
          ...(process.env['RADSEC_BENCH_CPU_PROF'] === undefined
            ? []
            : ['--cpu-prof', '--cpu-prof-dir', process.env['RADSEC_BENCH_CPU_PROF']]),
          cli,
          'radius',
          'serve',
          '--radsec',
          '0',
          '--certs',
          certDir,
          '--user',
          'bob:hello',
          '--methods',
          'md5',
          '--radsec-client',
          `bench=*`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    const netrxPort = Number((await netrx.until(/radsec tls 127\.0\.0\.1:(\d+)/))[1]);
    await netrx.until(/^ready$/m);
    const started = await startFreeradius(
      dir,
      {
        secret: 'bench-radsec-udp',
        users: [{ name: 'bob', password: 'hello' }],
        radsec: {
          certificate: join(certDir, 'server.pem'),
          privateKey: join(certDir, 'server-key.pem'),
          ca: join(certDir, 'ca.pem'),
        },
      },
      ['-f', '-l', 'stdout'],
    );
    freeradius = started.server;
    const fport = started.port + 3;
    const npid = netrx.child.pid as number;
    const fpid = freeradius.child.pid as number;
    const rss0 = { ours: rssBytes(npid), theirs: rssBytes(fpid) };
    const ours: Round[] = [];
    const theirs: Round[] = [];
    const toOurs = await connectAll(netrxPort, certs);
    const toTheirs = await connectAll(fport, certs);
    // Warm-up, not counted.
    await round(npid, netrxPort, toOurs);
    await round(fpid, fport, toTheirs);
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await round(npid, netrxPort, toOurs));
      theirs.push(await round(fpid, fport, toTheirs));
    }
    for (const connection of [...toOurs, ...toTheirs]) connection.close();
    const rss1 = { ours: rssBytes(npid), theirs: rssBytes(fpid) };
    const o = median(ours);
    const t = median(theirs);
    const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
    console.log(
      `radsec EAP-MD5, ${AUTHS} auths x ${ROUNDS} rounds over ${CONNECTIONS} TLS connections (FreeRADIUS ${freeradiusVersion()})`,
    );
    for (const [name, r] of [
      ['netrx', o],
      ['FreeRADIUS', t],
    ] as const) {
      console.log(
        `  ${name.padEnd(10)} ${r.authsPerSecond.toFixed(0).padStart(6)} auths/s  ${r.cpuMsPerAuth.toFixed(3)} ms CPU/auth  failures ${r.failures}  generator CPU ${(r.generatorCpuShare * 100).toFixed(0)} %`,
      );
    }
    console.log(
      `  ratio ours/theirs: auths/s ${(o.authsPerSecond / t.authsPerSecond).toFixed(2)}x, CPU/auth ${(o.cpuMsPerAuth / t.cpuMsPerAuth).toFixed(2)}x (lower is better)`,
    );
    console.log(
      `  RSS netrx ${mb(rss0.ours)} -> ${mb(rss1.ours)}, FreeRADIUS ${mb(rss0.theirs)} -> ${mb(rss1.theirs)}`,
    );
    console.log(
      `  load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await stopped(netrx);
    await stopped(freeradius);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
