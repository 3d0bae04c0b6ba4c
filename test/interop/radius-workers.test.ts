/**
 * `netrx radius serve --workers 2` (dist/) against peers nobody here wrote,
 * and the worker pool's promises through dist's startRadiusServer:
 *
 * - eapol_test (wpa_supplicant 2.10) runs EAP-MD5 and EAP-MSCHAPv2 rounds
 *   against two workers: every run SUCCESS, the MS-MPPE keys match, and the
 *   server's exit line shows rounds routed by State to a worker other than
 *   the one their hash names (without State routing those rounds would have
 *   reached a worker that does not know the conversation);
 * - radclient (freeradius-utils) PAP against two workers: Access-Accept;
 * - a retransmitted request (same socket, Identifier and Authenticator) is
 *   answered byte for byte from the duplicate cache whichever worker has it;
 * - a worker that dies is replaced: its conversations are counted lost and
 *   their next round is refused with Access-Reject; the other worker's go on;
 * - trace events written in the workers reach the receiving thread's registry.
 */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type * as NodeRadius from '../../src/node/radius/index.js';
import type * as Runtime from '../../src/node/runtime/index.js';
import type * as Radius from '../../src/radius/index.js';
import type * as Trace from '../../src/trace/index.js';
import { formatMetrics } from '../../src/node/host/metrics.js';
import { radiusMetrics } from '../../src/node/host/radius-metrics.js';
import { commandExists, requirePeers } from './support/peers.js';
import { ran, stopped, watched } from './support/processes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'interop-workers-secret';
const secret = new TextEncoder().encode(SECRET);

const peers = requirePeers('radius-workers interop', [
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
  {
    name: 'radclient',
    ok: () => commandExists('radclient'),
    hint: 'apt-get install freeradius-utils',
  },
]);

// dist/, as the CLI tests use it: the worker threads run dist/node/radius/worker-main.js.
type Dist = typeof NodeRadius;
type DistRadius = typeof Radius;
type DistTrace = typeof Trace;
type DistRuntime = typeof Runtime;
const load = async <T>(path: string) =>
  (await import(pathToFileURL(join(root, 'dist', path)).href)) as T;

const dir = mkdtempSync(join(tmpdir(), 'netrx-radius-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function eapConfig(method: 'MD5' | 'MSCHAPV2'): string {
  const file = join(dir, `${method}.conf`);
  writeFileSync(
    file,
    [
      'network={',
      '  key_mgmt=IEEE8021X',
      `  eap=${method}`,
      '  identity="bob"',
      '  password="hello"',
      '  eapol_flags=0',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

/** One datagram to `port`, and the first answer (or undefined after `ms`). */
function exchange(
  socket: Socket,
  port: number,
  datagram: Uint8Array,
  ms = 3000,
): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(undefined);
    }, ms);
    const onMessage = (message: Buffer) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(new Uint8Array(message));
    };
    socket.on('message', onMessage);
    socket.send(datagram, port, '127.0.0.1');
  });
}

function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}

describe.skipIf(peers.skip)('netrx radius serve --workers 2', () => {
  it('eapol_test EAP-MD5 and EAP-MSCHAPv2: every run SUCCESS, later rounds routed by State across workers', async () => {
    const server = watched(process.execPath, [
      main,
      'radius',
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--secret',
      SECRET,
      '--user',
      'bob:hello',
      '--workers',
      '2',
    ]);
    try {
      const listening = await server.until(/^listening on udp 127\.0\.0\.1:(\d+).*, 2 workers$/m);
      await server.until(/^ready$/m);
      const port = String(listening[1]);
      for (let i = 0; i < 6; i++) {
        const md5 = await ran('eapol_test', [
          '-c',
          eapConfig('MD5'),
          '-a',
          '127.0.0.1',
          '-p',
          port,
          '-s',
          SECRET,
          '-t',
          '10',
          '-n',
        ]);
        expect(md5.text.trimEnd().split('\n').at(-1)).toBe('SUCCESS');
        const mschap = await ran('eapol_test', [
          '-c',
          eapConfig('MSCHAPV2'),
          '-a',
          '127.0.0.1',
          '-p',
          port,
          '-s',
          SECRET,
          '-t',
          '10',
        ]);
        expect(mschap.text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(mschap.text.trimEnd().split('\n').at(-1)).toBe('SUCCESS');
      }
      // PAP from radclient, answered by whichever worker the hash picks.
      const pap = spawnSync(
        'radclient',
        ['-x', '-t', '3', '-r', '2', `127.0.0.1:${port}`, 'auth', SECRET],
        {
          input: 'User-Name = "bob"\nUser-Password = "hello"\nMessage-Authenticator = 0x00\n',
          encoding: 'utf8',
        },
      );
      expect(pap.stdout).toContain('Received Access-Accept');
    } finally {
      await stopped(server);
    }
    const summary =
      /(\d+) accepted, (\d+) rejected, (\d+) dropped; 2 workers, (\d+) restarts, (\d+) conversations lost, (\d+) routed by State \((\d+) to another worker/.exec(
        server.text(),
      );
    expect(summary, server.text()).not.toBeNull();
    const [, accepted, rejected, , restarts, lost, byState, across] = (summary ?? []).map(Number);
    expect(accepted).toBe(13);
    expect(rejected).toBe(0);
    expect(restarts).toBe(0);
    expect(lost).toBe(0);
    // MD5: 1 later round, MSCHAPv2: 3 (Nak or not: at least 2) per run.
    expect(byState).toBeGreaterThanOrEqual(18);
    expect(across).toBeGreaterThan(0);
  }, 120_000);

  it('a retransmission is answered from the cache, a dead worker is replaced and its conversations counted lost, traces are forwarded', async () => {
    const { startRadiusServer, standardWorkerSetup } = await load<Dist>('node/radius/index.js');
    const radius = await load<DistRadius>('radius/index.js');
    const { TraceRegistry } = await load<DistTrace>('trace/index.js');
    const { nodeCrypto, systemClock } = await load<DistRuntime>('node/runtime/index.js');
    const registry = new TraceRegistry({ clock: systemClock });
    const ended: string[] = [];
    registry.enable(radius.RADIUS_PROVIDER.name, (event) => ended.push(event.descriptor.name));
    const server = await startRadiusServer({
      host: '127.0.0.1',
      port: 0,
      workers: 2,
      clients: [{ address: '127.0.0.0/8', secret: SECRET }],
      methods: [],
      trace: registry,
      workerSetup: standardWorkerSetup({
        methods: ['md5'],
        users: [{ name: 'bob', password: 'hello' }],
      }),
    });
    const socket = await bound();
    try {
      const text = (s: string) => new TextEncoder().encode(s);
      // PAP, sent twice unchanged: one answer computed, the second from the cache, byte for byte.
      const authenticator = nodeCrypto.randomBytes(16);
      const pap = radius.signAccessRequest(
        nodeCrypto,
        radius.RadiusCode.AccessRequest,
        7,
        authenticator,
        [
          { type: 1, value: text('bob') },
          {
            type: 2,
            value: radius.hideUserPassword(nodeCrypto, text('hello'), secret, authenticator),
          },
        ],
        secret,
      );
      const first = await exchange(socket, server.port, pap);
      const again = await exchange(socket, server.port, pap);
      expect(first?.[0]).toBe(radius.RadiusCode.AccessAccept);
      expect(again).toEqual(first);
      // Open EAP conversations (Response/Identity, no answer to the challenge yet) on both workers.
      const states: Uint8Array[] = [];
      for (let id = 0; id < 16; id++) {
        const request = radius.signAccessRequest(
          nodeCrypto,
          radius.RadiusCode.AccessRequest,
          100 + id,
          nodeCrypto.randomBytes(16),
          [
            { type: 1, value: text('bob') },
            { type: 79, value: Uint8Array.of(2, id, 0, 8, 1, ...text('bob')) },
          ],
          secret,
        );
        const answer = await exchange(socket, server.port, request);
        const parsed = radius.parseRadius(answer ?? new Uint8Array(0));
        if (!parsed.ok) throw new Error('no Access-Challenge');
        const state = radius.attributeValue(parsed.value, radius.RadiusAttributeType.State);
        if (state === undefined) throw new Error('no State');
        states.push(state);
      }
      const before = await server.refreshStats();
      expect(before.duplicatesAnswered).toBe(1);
      expect(before.sessions).toBe(16);
      const onZero = states.filter((s) => s[1] === 0).length;
      expect(onZero).toBeGreaterThan(0);
      expect(onZero).toBeLessThan(16);
      // Review D6: per-worker requests and restarts, as /metrics shows them.
      const perWorker = server.pool?.workerStats() ?? [];
      expect(perWorker.map((w) => w.up)).toEqual([true, true]);
      expect(perWorker.reduce((n, w) => n + w.received, 0)).toBe(before.received);
      const families = () =>
        formatMetrics(
          radiusMetrics({
            stats: server.stats(),
            auths: [],
            radsec: undefined,
            workers: server.pool?.workerStats() ?? [],
          }),
        );
      expect(families()).toContain('netrx_radius_workers_up 2\n');
      expect(families()).toContain('netrx_radius_worker_restarts_total{worker="0"} 0\n');
      const threads = server.pool?.threadIds() ?? [];
      await server.pool?.terminateWorker(0);
      // The replacement is a real thread: wait until it says ready (no fixed
      // sleep: 500 ms was not enough on a loaded machine), at most 20 s.
      for (let waited = 0; server.pool?.workerStats()[0]?.up !== true; waited += 50) {
        if (waited > 20_000) throw new Error('the replacement worker never became ready');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(server.pool?.threadIds()[0]).not.toBe(threads[0]);
      const after = await server.refreshStats();
      expect(after.workers).toMatchObject({ restarts: 1, conversationsLost: onZero });
      const afterWorkers = server.pool?.workerStats() ?? [];
      expect(afterWorkers[0]).toMatchObject({ up: true, restarts: 1 });
      // The crashed worker's requests stay counted: the counter never goes down.
      expect(afterWorkers[0]?.received).toBeGreaterThanOrEqual(perWorker[0]?.received ?? 0);
      expect(families()).toContain('netrx_radius_worker_restarts_total{worker="0"} 1\n');
      expect(families()).toContain('netrx_radius_worker_conversations_lost_total');
      expect(after.sessions).toBe(16 - onZero);
      // A later round of a lost conversation: the new worker 0 knows no such State, so Access-Reject.
      const lostState = states.find((s) => s[1] === 0) as Uint8Array;
      const round = radius.signAccessRequest(
        nodeCrypto,
        radius.RadiusCode.AccessRequest,
        200,
        nodeCrypto.randomBytes(16),
        [
          { type: 1, value: text('bob') },
          { type: 79, value: Uint8Array.of(2, 1, 0, 6, 3, 4) },
          { type: 24, value: lostState },
        ],
        secret,
      );
      expect((await exchange(socket, server.port, round))?.[0]).toBe(
        radius.RadiusCode.AccessReject,
      );
      // The workers' trace events (responses sent, for one) reached this thread's registry.
      expect(ended).toContain(radius.RadiusEventDescriptor.responseSent.name);
      expect(after.accepted).toBe(1);
    } finally {
      socket.close();
      await server.close();
    }
  }, 60_000);
});
