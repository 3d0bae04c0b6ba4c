/**
 * The RADIUS server core's own CPU per authentication, with no sockets:
 * bench/eap's end-to-end figure includes the kernel's `sendmsg`/`recvmsg` and
 * swings ±20 % between rounds on the shared machine, more than any one change
 * left on the hot path. Here netrx's `RadiusEapClient` (EAP-MD5, EAP-MSCHAPv2)
 * and a hand-built PAP Access-Request talk to a `RadiusServer` in memory, 64
 * conversations in lockstep: every client's datagram of a round is queued,
 * then the server is handed the whole queue inside one `process.cpuUsage()`
 * bracket, then its answers go back to the clients outside it. Only the
 * server's work is counted. Allocation: the heap growth over each server
 * bracket that saw no GC, per request. With RADIUS_CORE_BASELINE=DIR (another
 * build's dist-bench, main's say) the same rounds alternate with that build's
 * core, so a change is measured before and after in one run.
 * Settings: RADIUS_CORE_AUTHS (20000 per case and round), RADIUS_CORE_ROUNDS (5).
 * Nothing fails on speed.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as EapModule from '../src/eap/index.js';
import type * as RadiusModule from '../src/radius/index.js';
import type * as RuntimeModule from '../src/node/runtime/index.js';

const AUTHS = Number(process.env['RADIUS_CORE_AUTHS'] ?? 20_000);
const ROUNDS = Number(process.env['RADIUS_CORE_ROUNDS'] ?? 5);
const LANES = 64;
const SECRET = 'bench-core-secret';
const USER = { name: 'bob', password: 'hello' };

interface Build {
  readonly name: string;
  readonly eap: typeof EapModule;
  readonly radius: typeof RadiusModule;
  readonly runtime: typeof RuntimeModule;
}

async function load(name: string, root: string): Promise<Build> {
  const at = (path: string) => pathToFileURL(join(root, 'src', path)).href;
  return {
    name,
    eap: (await import(at('eap/index.js'))) as typeof EapModule,
    radius: (await import(at('radius/index.js'))) as typeof RadiusModule,
    runtime: (await import(at('node/runtime/index.js'))) as typeof RuntimeModule,
  };
}

interface Figures {
  readonly cpuMicrosPerAuth: number;
  readonly bytesPerRequest: number;
  readonly requestsPerAuth: number;
}

type Datagram = { readonly bytes: Uint8Array; readonly lane: number };

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Hands `queue` to the server inside one CPU bracket; the heap growth counts when no GC ran. */
class Meter {
  cpu = 0;
  requests = 0;
  private grown = 0;
  private grownRequests = 0;

  serve(queue: readonly Datagram[], receive: (datagram: Datagram) => void): void {
    const heapBefore = process.memoryUsage().heapUsed;
    const before = cpuMicros();
    for (const datagram of queue) receive(datagram);
    this.cpu += cpuMicros() - before;
    const heapAfter = process.memoryUsage().heapUsed;
    this.requests += queue.length;
    if (heapAfter >= heapBefore) {
      this.grown += heapAfter - heapBefore;
      this.grownRequests += queue.length;
    }
  }

  figures(auths: number): Figures {
    return {
      cpuMicrosPerAuth: this.cpu / auths,
      bytesPerRequest: this.grownRequests === 0 ? NaN : this.grown / this.grownRequests,
      requestsPerAuth: this.requests / auths,
    };
  }
}

function newServer(build: Build, toClient: (datagram: Uint8Array, lane: number) => void) {
  const { eap, radius, runtime } = build;
  return new radius.RadiusServer({
    clock: runtime.systemClock,
    crypto: runtime.nodeCrypto,
    clients: [{ address: '127.0.0.0/8', secret: SECRET, requireMessageAuthenticatorFirst: false }],
    users: new eap.StaticUserStore([USER]),
    methods: [
      eap.createMd5Method({ crypto: runtime.nodeCrypto }),
      eap.createMschapV2Method({ crypto: runtime.nodeCrypto }),
    ],
    send: (datagram, to) => toClient(datagram, to.port),
  });
}

/** EAP conversations through `RadiusEapClient`, LANES at a time in lockstep. */
function eapCase(build: Build, method: 'md5' | 'mschapv2', auths: number): Figures {
  const { eap, radius, runtime } = build;
  const meter = new Meter();
  let toServer: Datagram[] = [];
  let toClients: Datagram[] = [];
  const server = newServer(build, (bytes, lane) => toClients.push({ bytes, lane }));
  const peerMethod =
    method === 'md5'
      ? eap.createMd5Method({ crypto: runtime.nodeCrypto })
      : eap.createMschapV2Method({ crypto: runtime.nodeCrypto });
  const clients = new Map<number, InstanceType<typeof radius.RadiusEapClient>>();
  let started = 0;
  let accepted = 0;
  const startLane = (lane: number) => {
    if (started >= auths) return;
    started++;
    const client = new radius.RadiusEapClient({
      clock: runtime.systemClock,
      crypto: runtime.nodeCrypto,
      servers: [{ address: '127.0.0.1', port: 1812, secret: SECRET }],
      methods: [peerMethod],
      identity: USER.name,
      password: USER.password,
      send: (bytes) => toServer.push({ bytes, lane }),
      onResult: (result) => {
        if (result.outcome === 'success') accepted++;
        clients.delete(lane);
        startLane(lane);
      },
    });
    clients.set(lane, client);
    client.start();
  };
  for (let lane = 0; lane < LANES; lane++) startLane(lane);
  while (toServer.length > 0) {
    const queue = toServer;
    toServer = [];
    meter.serve(queue, ({ bytes, lane }) =>
      server.receive(bytes, { address: '127.0.0.1', port: lane }),
    );
    const answers = toClients;
    toClients = [];
    for (const { bytes, lane } of answers)
      clients.get(lane)?.receive(bytes, { address: '127.0.0.1', port: 1812 });
  }
  if (accepted !== auths) throw new Error(`${build.name} ${method}: ${accepted}/${auths} accepted`);
  return meter.figures(auths);
}

/** PAP: one signed Access-Request per authentication (User-Password + Message-Authenticator). */
function papCase(build: Build, auths: number): Figures {
  const { radius, runtime } = build;
  const meter = new Meter();
  let answers = 0;
  let accepts = 0;
  const server = newServer(build, (bytes) => {
    answers++;
    if (bytes[0] === radius.RadiusCode.AccessAccept) accepts++;
  });
  const secret = new TextEncoder().encode(SECRET);
  const userName = new TextEncoder().encode(USER.name);
  const password = new TextEncoder().encode(USER.password);
  for (let done = 0; done < auths;) {
    const queue: Datagram[] = [];
    for (let lane = 0; lane < LANES && done < auths; lane++, done++) {
      const authenticator = runtime.nodeCrypto.randomBytes(16);
      const bytes = radius.signAccessRequest(
        runtime.nodeCrypto,
        radius.RadiusCode.AccessRequest,
        lane & 0xff,
        authenticator,
        [
          { type: radius.RadiusAttributeType.UserName, value: userName },
          {
            type: radius.RadiusAttributeType.UserPassword,
            value: radius.hideUserPassword(runtime.nodeCrypto, password, secret, authenticator),
          },
        ],
        secret,
      );
      queue.push({ bytes, lane });
    }
    meter.serve(queue, ({ bytes, lane }) =>
      server.receive(bytes, { address: '127.0.0.1', port: 10_000 + lane }),
    );
  }
  if (answers !== auths || accepts !== auths)
    throw new Error(`${build.name} PAP: ${accepts}/${answers} accepted of ${auths}`);
  return meter.figures(auths);
}

const CASES = [
  { name: 'EAP-MD5', run: (b: Build, n: number) => eapCase(b, 'md5', n) },
  { name: 'EAP-MSCHAPv2', run: (b: Build, n: number) => eapCase(b, 'mschapv2', n) },
  { name: 'PAP', run: (b: Build, n: number) => papCase(b, n) },
] as const;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const builds = [await load('netrx', join(import.meta.dirname, '..'))];
const baseline = process.env['RADIUS_CORE_BASELINE'];
if (baseline !== undefined) builds.push(await load('netrx-base', baseline));
console.log(
  `RADIUS core in memory (Node ${process.version}), ${AUTHS} auths per case and round, ${LANES} in lockstep, ${ROUNDS} rounds, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
// A warm-up round per build and case: JIT compilation is not the server's steady cost.
for (const build of builds) for (const c of CASES) c.run(build, Math.min(AUTHS, 5000));
const results = new Map<string, Figures[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const c of CASES) {
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) {
      const figures = c.run(build, AUTHS);
      const key = `${c.name} / ${build.name}`;
      results.set(key, [...(results.get(key) ?? []), figures]);
    }
  }
}
for (const [key, runs] of results) {
  const cpu = runs.map((r) => r.cpuMicrosPerAuth);
  console.log(
    `${key.padEnd(28)} server CPU ${median(cpu).toFixed(1)} µs/auth (runs ${cpu
      .map((c) => c.toFixed(1))
      .join(', ')}), heap ${median(runs.map((r) => r.bytesPerRequest)).toFixed(0)} B/request, ${(
      runs[0]?.requestsPerAuth ?? NaN
    ).toFixed(0)} requests/auth`,
  );
}
console.log(
  `load average after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
