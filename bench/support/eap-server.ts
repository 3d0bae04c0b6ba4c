/**
 * The netrx RADIUS server as its own process for bench/eap.ts, with the
 * options `netrx radius serve --host 127.0.0.1 --port 0 --secret S --user
 * bob:hello` uses (methods md5,mschapv2, clients 127.0.0.0/8 and ::1, not
 * strict); with a fourth argument, a `netrx certs demo` directory, also
 * peap and tls (as `--method md5,mschapv2,peap,tls --certs DIR`). It prints `ready PORT` once it listens; each `mem` line on stdin
 * is answered with one JSON line of its memory (after a GC when run with
 * --expose-gc) and counters; each `stats` line with one JSON line of its CPU
 * time so far (`process.cpuUsage()`, user + system µs) and counters, without
 * a GC; stdin closing stops it. With NETRX_BENCH_NATS=URL and
 * NETRX_BENCH_STATE_KEY=64 hex digits in its environment (one worker only),
 * it is server `bench` of cluster `bench` with its conversation state sealed
 * in the cluster's KV bucket, as `netrx radius serve --nats URL --cluster-id
 * bench --server-id ID --state-key HEX`, ID from NETRX_BENCH_SERVER_ID
 * (default `bench`; bench/support/cluster-auth.ts);
 * its `stats` answer then carries the cluster counters too.
 */
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StaticUserStore } from '../../src/eap/index.js';
import { connectRadiusClusterLink } from '../../src/node/cluster/index.js';
import { aes256GcmAead } from '../../src/node/runtime/index.js';
import { RADIUS_SERVER_DEFAULTS } from '../../src/radius/index.js';
import {
  createServerMethod,
  standardWorkerSetup,
  startRadiusServer,
  type ServerTlsPem,
  type StandardMethodName,
} from '../../src/node/radius/index.js';

const [secret = 'bench-secret', user = 'bob:hello', workersText = '1', certs] =
  process.argv.slice(2);
const at = user.indexOf(':');
const workers = Number(workersText);
const users = [{ name: user.slice(0, at), password: user.slice(at + 1) }];
const tls: ServerTlsPem | undefined =
  certs === undefined
    ? undefined
    : {
        cert: readFileSync(join(certs, 'server.pem'), 'utf8'),
        key: readFileSync(join(certs, 'server-key.pem'), 'utf8'),
        ca: readFileSync(join(certs, 'ca.pem'), 'utf8'),
      };
const names: StandardMethodName[] =
  tls === undefined ? ['md5', 'mschapv2'] : ['md5', 'mschapv2', 'peap', 'tls'];
const natsUrl = process.env['NETRX_BENCH_NATS'];
const stateKeyHex = process.env['NETRX_BENCH_STATE_KEY'];
const link =
  natsUrl === undefined
    ? undefined
    : await connectRadiusClusterLink({ servers: natsUrl, clusterId: 'bench', name: 'netrx-bench' });
const cluster =
  link === undefined
    ? undefined
    : {
        link,
        serverId: process.env['NETRX_BENCH_SERVER_ID'] ?? 'bench',
        ...(stateKeyHex === undefined
          ? {}
          : {
              shared: {
                // The TTL `netrx radius serve --state-key` gives the bucket.
                kv: await link.conversationBucket({
                  ttlMs: RADIUS_SERVER_DEFAULTS.sessionTimeoutMs,
                }),
                aead: aes256GcmAead(Uint8Array.from(Buffer.from(stateKeyHex, 'hex'))),
              },
            }),
      };
// NETRX_BENCH_MAX_CACHED=0: every later round read back from KV (the cache off, for a same-run comparison).
const maxCached = process.env['NETRX_BENCH_MAX_CACHED'];
const server = await startRadiusServer({
  ...(maxCached === undefined ? {} : { maxCachedConversations: Number(maxCached) }),
  host: '127.0.0.1',
  port: 0,
  clients: ['127.0.0.0/8', '::1'].map((address) => ({
    address,
    secret,
    requireMessageAuthenticatorFirst: false,
  })),
  methods: names.map((name) => createServerMethod(name, tls)),
  users: new StaticUserStore(users),
  workers,
  ...(cluster === undefined ? {} : { cluster }),
  ...(workers === 1
    ? {}
    : {
        workerSetup: standardWorkerSetup({
          methods: names,
          users,
          ...(tls === undefined ? {} : { tls }),
        }),
      }),
});
process.stdout.write(`ready ${server.port}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = line.trim();
  if (command !== 'mem' && command !== 'stats') return;
  void answer(command);
});
async function answer(command: string): Promise<void> {
  if (command === 'mem') globalThis.gc?.();
  const stats = await server.refreshStats();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({
      cpuMicros: cpu.user + cpu.system,
      received: stats.received,
      sent: stats.sent,
      duplicatesAnswered: stats.duplicatesAnswered,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      accepted: stats.accepted,
      rejected: stats.rejected,
      dropped: stats.droppedTotal,
      sessions: stats.sessions,
      drops: stats.dropped,
      cluster: stats.cluster,
    })}\n`,
  );
}
lines.on('close', () => {
  void server
    .close()
    .then(() => link?.close())
    .then(() => process.exit(0));
});
