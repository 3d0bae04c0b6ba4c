/**
 * A client and a server WebSocket handle echoing in memory, no I/O and no
 * timers, for instruction counts under callgrind: a count does not move
 * with the machine's load the way CPU time does, so two builds of the core
 * (say, before and after a refactor) compare to a fraction of a percent.
 *
 *   node dist-bench/bench/support/handle-echo-instructions.js [ROOT] [MESSAGES] [SIZE] [CHOP]
 *
 * ROOT is the build to load (a `dist-bench` folder: its
 * `src/websocket/index.js` is imported; default this one), MESSAGES how many
 * binary messages of SIZE bytes the client sends and gets echoed (default
 * 2000 of 1024), CHOP the size of the lent chunks the server reads them in
 * (default 16384). The server assembles messages and keeps lent chunks, as
 * netrx/node's does; every frame crosses in fresh memory. Run it under
 * `valgrind --tool=callgrind` once with MESSAGES 0 and once with N: the
 * difference over N is the instructions per echo (docs/performance.md).
 *
 * With ECHO_COMPARE=ROOT2[,ROOT3…] the builds run in this one process
 * instead, taking turns ECHO_ROUNDS times (default 9) after a warm-up of
 * each, and the median user + system CPU time per echo of each is printed
 * with its ratio to ROOT's: the same machine, the same minute.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as WebSocketCore from '../../src/websocket/index.js';
import type * as PortableCrypto from '../../src/websocket/portable-crypto.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(process.argv[2] ?? join(here, '..', '..'));
const messages = Number(process.argv[3] ?? 2000);
const size = Number(process.argv[4] ?? 1024);
const chop = Number(process.argv[5] ?? 16384);

const rounds = Number(process.env['ECHO_ROUNDS'] ?? 9);
/** More builds to compare with the first, in one process (ECHO_COMPARE, comma-separated roots). */
const otherRoots = (process.env['ECHO_COMPARE'] ?? '')
  .split(',')
  .filter(Boolean)
  .map((r) => resolve(r));
const load = async (at: string) =>
  (await import(pathToFileURL(join(at, 'src/websocket/index.js')).href)) as typeof WebSocketCore;
const core = await load(root);
const others = await Promise.all(otherRoots.map(load));
const { createPortableCrypto } = (await import(
  pathToFileURL(join(root, 'src/websocket/portable-crypto.js')).href
)) as typeof PortableCrypto;

// Deterministic mask keys: the same instructions run after run.
let seed = 1;
const crypto = createPortableCrypto((into) => {
  for (let i = 0; i < into.length; i++) into[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  return into;
});

/** Runs one handle's actions; what it writes is copied out (the peer reads fresh memory). */
class Side {
  readonly out: Uint8Array[] = [];
  readonly inbound: Uint8Array[] = [];
  private pendingRead: number | undefined;

  constructor(
    private readonly handle: WebSocketCore.WebSocketHandle,
    private readonly onMessage: (message: Uint8Array) => void,
  ) {
    handle.receive(null, 'receive');
  }

  run(): void {
    for (;;) {
      if (this.pendingRead !== undefined && this.inbound.length > 0) {
        const context = this.pendingRead;
        this.pendingRead = undefined;
        this.handle.completeAction(context, this.inbound.shift());
      }
      const action = this.handle.getAction('all');
      if (action === undefined) return;
      switch (action.type) {
        case 'send-to-network':
          for (const buffer of action.buffers) this.out.push(buffer.slice());
          this.handle.completeAction(action.actionContext, action.byteLength);
          break;
        case 'receive-from-network':
          this.pendingRead = action.actionContext;
          break;
        case 'indicate-receive-complete':
          this.onMessage(action.buffer);
          this.handle.completeAction(action.actionContext);
          this.handle.receive(null, 'receive');
          break;
        case 'indicate-send-complete':
          this.handle.completeAction(action.actionContext);
          break;
      }
    }
  }
}

/** Moves what `from` wrote to `to`, in chunks of at most `chunk` bytes. */
function cross(from: Side, to: Side, chunk: number): void {
  let total = 0;
  for (const piece of from.out) total += piece.length;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const piece of from.out.splice(0)) {
    bytes.set(piece, at);
    at += piece.length;
  }
  for (let i = 0; i < total; i += chunk) to.inbound.push(bytes.subarray(i, i + chunk));
}

/** MESSAGES echoes of SIZE bytes through a fresh handle pair of `build`. */
function echoes(build: typeof WebSocketCore, count: number): void {
  const client = build.createClientHandle({ crypto, assembleMessages: true });
  const server = build.createServerHandle({
    crypto,
    assembleMessages: true,
    retainLentChunks: true,
  });
  client.open();
  server.open();
  let echoed = 0;
  const clientSide = new Side(client, (message) => {
    if (message.length !== size) throw new Error(`echo of ${message.length} bytes, not ${size}`);
    echoed++;
  });
  const serverSide = new Side(server, (message) => server.send('binary-message', message));
  const payload = new Uint8Array(size).map((_, i) => i & 0xff);
  for (let i = 0; i < count; i++) {
    client.send('binary-message', payload);
    clientSide.run();
    cross(clientSide, serverSide, chop);
    serverSide.run();
    cross(serverSide, clientSide, Number.POSITIVE_INFINITY);
    clientSide.run();
  }
  if (echoed !== count) throw new Error(`${echoed} echoes of ${count}`);
}

if (others.length === 0) {
  echoes(core, messages);
  process.stdout.write(`${root}: ${messages} echoes of ${size} B (chunks of ${chop} B)\n`);
} else {
  // A/B in one process: the builds take turns, ROUNDS times, and each turn's
  // user + system CPU time per echo is kept (process.cpuUsage).
  const builds = [core, ...others];
  const perEcho: number[][] = builds.map(() => []);
  for (const build of builds) echoes(build, messages); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (let b = 0; b < builds.length; b++) {
      const at = (round + b) % builds.length;
      const started = process.cpuUsage();
      echoes(builds[at]!, messages);
      const used = process.cpuUsage(started);
      perEcho[at]!.push(((used.user + used.system) * 1000) / messages);
    }
  }
  const median = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const roots = [root, ...otherRoots];
  for (let b = 0; b < builds.length; b++) {
    const xs = perEcho[b]!;
    process.stdout.write(
      `${roots[b]}: ${median(xs).toFixed(0)} ns CPU per echo of ${size} B (median of ${xs.length} turns of ${messages}; ` +
        `range ${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})` +
        (b === 0 ? '\n' : `, ${(median(xs) / median(perEcho[0]!)).toFixed(3)}x the first\n`),
    );
  }
}
