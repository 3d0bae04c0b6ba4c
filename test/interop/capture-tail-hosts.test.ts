/**
 * `netrx capture tail` names each event's host of origin (issue #16,
 * audit16 A10), against a real nats-server (Debian nats-server v2.9.10,
 * RECORDED_NATS_VERSION; a private `nats-server -js` on a free loopback
 * port, killed by its PID). Under CI=true a missing nats-server fails
 * (requireNatsServer). Two `capture publish` (hosts r-show-a and r-show-b)
 * feed one session that `capture serve --nats --hosts 'r-show-*'` serves
 * over WebSocket; `capture tail` prints both hosts' names, each on its own
 * host's events only. All in-process, through the CLI's own entry point.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  until,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('capture-tail-hosts.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `r-show-tail-hosts-${process.pid}-`));
let server: NatsNode | undefined;

beforeAll(async () => {
  if (peers.skip) return;
  server = await natsAlone(workdir);
  await server.start();
}, 20_000);

afterAll(async () => {
  await server?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

interface Running {
  readonly out: string[];
  readonly err: string[];
  stop(): void;
  readonly code: Promise<number>;
}

function start(argv: readonly string[]): Running {
  const out: string[] = [];
  const err: string[] = [];
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    untilStopped: () => stopped,
  };
  return { out, err, stop: () => stop(), code: runCli([...argv], io) };
}

const PER_HOST = 200;

describe.skipIf(peers.skip)(`capture tail over ${RECORDED_NATS_VERSION}`, () => {
  it('prints host=<name> for events of both hosts of a session', async () => {
    const url = (server as NatsNode).url;
    const session = 'rshow';
    const publish = (host: string) =>
      start([
        'capture',
        'publish',
        '--nats',
        url,
        '--host',
        host,
        '--session',
        session,
        '--synthetic',
        '2000',
        '--synthetic-count',
        String(PER_HOST),
      ]);
    const running: Running[] = [];
    try {
      const a = publish('r-show-a');
      running.push(a);
      await until(
        () => a.out.includes('ready') || a.err.length > 0,
        10_000,
        'publisher a',
        () => a.err,
      );
      const b = publish('r-show-b');
      running.push(b);
      await until(
        () => b.out.includes('ready') || b.err.length > 0,
        10_000,
        'publisher b',
        () => b.err,
      );
      expect([...a.err, ...b.err]).toEqual([]);

      const serve = start([
        'capture',
        'serve',
        '--session',
        session,
        '--nats',
        url,
        '--hosts',
        'r-show-*',
        '--ws-port',
        '0',
        '--insecure-no-auth',
        '--reader-id',
        'r-show',
      ]);
      running.push(serve);
      await until(
        () => serve.out.includes('ready') || serve.err.length > 0,
        10_000,
        'capture serve',
        () => serve.err,
      );
      const wsUrl = /(ws:\/\/[^ ]+)/.exec(serve.out.join('\n'))?.[1];
      expect(wsUrl, serve.err.join('\n')).toBeDefined();

      const tail = start(['capture', 'tail', wsUrl as string, '--session', session]);
      running.push(tail);
      const hostLines = (host: string) => tail.out.filter((l) => l.includes(` host=${host} `));
      await until(
        () =>
          (hostLines('r-show-a').length >= PER_HOST && hostLines('r-show-b').length >= PER_HOST) ||
          tail.err.length > 0,
        20_000,
        'both hosts named by capture tail',
        () => ({
          a: hostLines('r-show-a').length,
          b: hostLines('r-show-b').length,
          last: tail.out.at(-1),
          err: tail.err,
        }),
      );
      expect(tail.err).toEqual([]);
      // Every synthetic line names one of the two hosts, right after the time.
      const events = tail.out.filter((l) => l.includes('netrx-synthetic seq'));
      expect(events.length).toBeGreaterThanOrEqual(2 * PER_HOST);
      for (const line of events) {
        expect(line).toMatch(/^\S+ host=r-show-[ab] netrx-synthetic seq \d+ {2}\[/);
      }
      // Each host's own sequence, 0..PER_HOST-1, under its own name.
      for (const host of ['r-show-a', 'r-show-b']) {
        const seqs = hostLines(host).map((l) => Number(/seq (\d+)/.exec(l)?.[1]));
        expect(new Set(seqs)).toEqual(new Set(Array.from({ length: PER_HOST }, (_, i) => i)));
      }
    } finally {
      for (const r of running.reverse()) {
        r.stop();
        await r.code;
      }
    }
  }, 60_000);
});
