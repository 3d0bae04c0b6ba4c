/**
 * Experiment (review16c N3, branch r-fwd): CPU and memory of the RADIUS
 * server core per EAP authentication, sans-I/O (RadiusServer and
 * RadiusEapClient on one VirtualClock, no sockets), so that the cost of
 * keeping each conversation's last answer (a copy and a SHA-256 of every
 * EAP Response, a copy of every EAP Request, the ended answer kept for
 * the duplicate window) can be compared with the code before it. The
 * same file is bundled twice, against this tree and against another
 * checkout's `src` (the anchor), and the two bundles run interleaved in
 * one session:
 *
 *   git archive main src | tar -x -C /tmp/r-fwd-main
 *   npx esbuild bench/experiments/eap-core-cost.ts --bundle --platform=node \
 *     --format=esm --outfile=/tmp/r-fwd-ours.mjs
 *   (cd /tmp/r-fwd-main && cp <this file> ... ; esbuild the same for the anchor)
 *
 * (the exact commands are in docs/performance.md). Prints one JSON line:
 * CPU µs per authentication (process.cpuUsage, server and client
 * together: the client's share is the same code in both bundles), heap
 * after a forced GC when run with --expose-gc. N (default 4000) per method.
 */
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  type EapMethod,
} from '../../src/eap/index.js';
import { RadiusEapClient, RadiusServer, type RadiusEapResult } from '../../src/radius/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import { VirtualClock } from '../../src/testing/index.js';

const n = Number(process.env['N'] ?? 4000);
const NAS = { address: '127.0.0.1', port: 40000 };
const SERVER = { address: '127.0.0.1', port: 1812 };

function run(method: EapMethod, count: number): number {
  const clock = new VirtualClock();
  const box: { client?: RadiusEapClient } = {};
  const server = new RadiusServer({
    clock,
    crypto: nodeCrypto,
    clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
    methods: [method],
    users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
    send: (datagram) => box.client?.receive(datagram, SERVER),
  });
  let ok = 0;
  for (let i = 0; i < count; i++) {
    let result: RadiusEapResult | undefined;
    const client = new RadiusEapClient({
      clock,
      crypto: nodeCrypto,
      servers: [{ ...SERVER, secret: 'testing123' }],
      methods: [method],
      identity: 'bob',
      password: 'hello',
      send: (datagram) => server.receive(datagram, NAS),
      onResult: (r) => (result = r),
    });
    box.client = client;
    client.start();
    if (result?.outcome === 'success') ok++;
  }
  if (ok !== count) throw new Error(`only ${ok} of ${count} succeeded`);
  return server.stats().cachedResponses;
}

const warmUp = Number(process.env['WARM'] ?? 300);

function cpuMicrosPerAuth(method: EapMethod): number {
  run(method, warmUp);
  const start = process.cpuUsage();
  run(method, n);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const gc = (globalThis as { gc?: () => void }).gc;
// METHOD=md5 or mschapv2 runs one (for callgrind: instructions at two N, subtracted).
const only = process.env['METHOD'];
const md5 = only === 'mschapv2' ? 0 : cpuMicrosPerAuth(createMd5Method({ crypto: nodeCrypto }));
const mschapv2 =
  only === 'md5' ? 0 : cpuMicrosPerAuth(createMschapV2Method({ crypto: nodeCrypto }));
gc?.();
console.log(
  JSON.stringify({
    md5: Number(md5.toFixed(1)),
    mschapv2: Number(mschapv2.toFixed(1)),
    heapMiB: Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)),
    rssMiB: Number((process.memoryUsage().rss / 2 ** 20).toFixed(1)),
  }),
);
