/**
 * The Deno and Bun echo servers (runtimes/<runtime>/echo.ts: the netrx core
 * over Deno.listen / Bun.listen) under the hostile probe the Node server
 * faces in websocket-bad-input.test.ts (ws-review F4): one raw connection
 * per bad input and the close code RFC 6455 asks for, then a client that
 * floods 64 MiB of echoes and never reads, with the server process's peak
 * memory (VmHWM) bounded. The flood is what catches an echo that stops
 * pausing its socket (review mutant M14: ~112 MiB on Bun, against ~17 MiB
 * with the pause). Peers: deno 2.9.6 and bun 1.4.4 from their npm
 * packages (RUNTIME_VERSIONS, checked below); under CI=true a missing
 * binary is a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RUNTIME_VERSIONS,
  bundle,
  outFile,
  runtimeBinary,
} from '../../bench/support/runtime-bundles.js';
import { requirePeers } from './support/peers.js';
import { RUNTIMES, RuntimeProcesses, type Runtime } from './support/runtime-process.js';
import {
  OP,
  RawWebSocket,
  buildFrame,
  closePayload,
  frameHeader,
  parseCloseBody,
} from './support/ws-raw.js';

const ENTRY = { deno: 'runtimes/deno/echo.ts', bun: 'runtimes/bun/echo.ts' } as const;
const outdir = mkdtempSync(join(tmpdir(), 'netrx-ws-runtimes-hostile-'));
const processes = new RuntimeProcesses(outdir);
let built: string[] = [];

beforeAll(async () => {
  built = [...(await bundle(Object.values(ENTRY), outdir, 'neutral')).errors];
}, 60_000);

afterAll(() => {
  processes.stopAll();
  rmSync(outdir, { recursive: true, force: true });
});

function peakKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
}

/** Sends `bytes` after the handshake; the close code the server sent, or why there was none. */
async function closeCodeAfter(port: number, bytes: Buffer): Promise<number | string> {
  const ws = await RawWebSocket.connect(port);
  try {
    ws.write(bytes);
    for (;;) {
      const frame = await ws.nextFrame(3_000).catch((error: Error) => error);
      if (frame instanceof Error) return `no close (${frame.name})`;
      if (frame.opcode === OP.close) return parseCloseBody(frame.payload).code ?? 'empty close';
    }
  } finally {
    ws.socket.destroy();
  }
}

const close = (payload: Buffer): Buffer => buildFrame({ opcode: OP.close, payload });

/** [name, bytes after the handshake, the close code the server must send]. */
const CASES: readonly (readonly [string, () => Buffer, number])[] = [
  ['reserved opcode 0x3', () => buildFrame({ opcode: 0x3 }), 1002],
  ['RSV2 without an extension', () => buildFrame({ opcode: OP.text, payload: 'x', rsv: 2 }), 1002],
  ['unmasked client frame', () => buildFrame({ opcode: OP.text, payload: 'x', mask: false }), 1002],
  ['fragmented ping (FIN=0)', () => buildFrame({ opcode: OP.ping, fin: false }), 1002],
  ['ping of 126 bytes', () => buildFrame({ opcode: OP.ping, payload: Buffer.alloc(126) }), 1002],
  ['stray continuation', () => buildFrame({ opcode: OP.continuation, payload: 'x' }), 1002],
  [
    'text inside an unfinished text',
    () =>
      Buffer.concat([
        buildFrame({ opcode: OP.text, fin: false, payload: 'a' }),
        buildFrame({ opcode: OP.text, payload: 'b' }),
      ]),
    1002,
  ],
  [
    'invalid UTF-8 text',
    () => buildFrame({ opcode: OP.text, payload: Buffer.from([0xc3, 0x28]) }),
    1007,
  ],
  [
    'UTF-8 split over fragments stays valid',
    () =>
      Buffer.concat([
        buildFrame({ opcode: OP.text, fin: false, payload: Buffer.from([0xe2, 0x82]) }),
        buildFrame({ opcode: OP.continuation, payload: Buffer.from([0xac]) }),
        close(closePayload(1000)),
      ]),
    1000,
  ],
  ['close code 1005 on the wire', () => close(closePayload(1005)), 1002],
  ['close code 999', () => close(closePayload(999)), 1002],
  ['close code 1004', () => close(closePayload(1004)), 1002],
  ['close code 5000', () => close(closePayload(5000)), 1002],
  ['close code 4999 is legal and echoed', () => close(closePayload(4999)), 4999],
  ['1-byte close body', () => close(Buffer.from([3])), 1002],
  [
    'close reason of bad UTF-8',
    () => close(Buffer.concat([closePayload(1000), Buffer.from([0xff])])),
    1007,
  ],
  [
    '64-bit length with the top bit set',
    () => frameHeader({ opcode: OP.binary, length: 2n ** 63n, mask: Buffer.alloc(4) }),
    1002,
  ],
  [
    'length 2^62 (legal, enormous)',
    () => frameHeader({ opcode: OP.binary, length: 2n ** 62n, mask: Buffer.alloc(4) }),
    1009,
  ],
];

const FLOOD_FRAMES = 64;
/** The echo's peak growth must stay under this (review: ~17-20 MiB with backpressure, ~112 without). */
const FLOOD_BOUND_MIB = 48;

/**
 * Writes `FLOOD_FRAMES` 1 MiB frames to a socket we never read, waiting for
 * 'drain' each time the kernel buffer fills. A server that stops reading
 * stops draining us: after `stallMs` without a drain we stop, as intended.
 */
async function flood(ws: RawWebSocket, stallMs: number): Promise<number> {
  const frame = buildFrame({ opcode: OP.binary, payload: Buffer.alloc(1024 * 1024, 7) });
  let written = 0;
  while (written < FLOOD_FRAMES) {
    written++;
    if (ws.socket.write(frame)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        ws.socket.off('drain', onDrain);
        resolve(false);
      }, stallMs);
      const onDrain = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      ws.socket.once('drain', onDrain);
    });
    if (!drained) break;
  }
  return written;
}

/** Polls the peak until it has not grown for `quietMs` (the server has taken what it will). */
async function settledPeakKiB(pid: number, quietMs: number, maxMs: number): Promise<number> {
  let peak = peakKiB(pid);
  let quietSince = Date.now();
  const start = Date.now();
  while (Date.now() - quietSince < quietMs && Date.now() - start < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = peakKiB(pid);
    if (now > peak) {
      peak = now;
      quietSince = Date.now();
    }
  }
  return peak;
}

function defineRuntime(runtime: Runtime): void {
  let server: Awaited<ReturnType<RuntimeProcesses['startServer']>>;
  beforeAll(async () => {
    expect(built).toEqual([]);
    server = await processes.startServer(runtime, outFile(outdir, ENTRY[runtime]), []);
  }, 30_000);
  afterAll(() => processes.stop(server.child));

  it(`is ${runtime} ${RUNTIME_VERSIONS[runtime]}`, () => {
    const [cmd] = processes.command(runtime, '', []);
    const out = spawnSync(cmd, ['--version'], { encoding: 'utf8', env: processes.env }).stdout;
    expect(out).toContain(RUNTIME_VERSIONS[runtime]);
    expect(server.runtime).toBe(`${runtime} ${RUNTIME_VERSIONS[runtime]}`);
  });

  for (const [name, bytes, code] of CASES) {
    it(`${name} → ${code}`, async () => {
      expect(await closeCodeAfter(server.port, bytes())).toBe(code);
    });
  }

  it(`keeps its memory under ${FLOOD_BOUND_MIB} MiB against a client that floods and never reads`, async () => {
    const pid = server.child.pid as number;
    const before = peakKiB(pid);
    const ws = await RawWebSocket.connect(server.port);
    try {
      ws.socket.pause(); // never read: the echoes pile up in the server unless it stops reading
      await flood(ws, 1_000);
      const growthMiB = ((await settledPeakKiB(pid, 500, 5_000)) - before) / 1024;
      console.log(`${runtime} echo peak growth under the flood: ${growthMiB.toFixed(1)} MiB`);
      expect(growthMiB).toBeLessThan(FLOOD_BOUND_MIB);
    } finally {
      ws.socket.destroy();
    }
  }, 30_000);
}

for (const runtime of RUNTIMES) {
  const peers = requirePeers(`runtimes-hostile (${runtime})`, [
    {
      name: `${runtime} ${RUNTIME_VERSIONS[runtime]}`,
      ok: () => runtimeBinary(runtime) !== undefined,
      hint: `npm ci installs it from the ${runtime} devDependency`,
    },
  ]);
  describe(`netrx echo server on ${runtime}: hostile input`, () => {
    // Outside CI only (requirePeers throws under CI=true): one visible skip, not silence.
    if (peers.skip) it.skip(`needs ${peers.missing.join(', ')}`, () => {});
    else defineRuntime(runtime);
  });
}
