/**
 * `netrx capture serve --nats URL [--reader-id ID]` against a real
 * nats-server (Debian nats-server v2.9.10, RECORDED_NATS_VERSION; a
 * private `nats-server -js` on a free loopback port, killed by its PID).
 * Under CI=true a missing nats-server fails (requireNatsServer). The
 * server says which durables it binds, and they carry `--reader-id`
 * (review16c M35: a server that ignored the flag passed every test), or,
 * without it, the identity derived from this machine's host name
 * (review16c N1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { defaultReaderId } from '../../src/node/cluster/index.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('capture-serve-nats.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `capture-serve-nats-${process.pid}-`));
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

/** Runs `capture serve` until it says `ready`, then stops it; returns what it printed. */
async function serveUntilReady(extra: readonly string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const io: CliIo = {
    out: (line) => {
      out.push(line);
      if (line === 'ready') stop();
    },
    err: (line) => err.push(line),
    untilStopped: () => stopped,
  };
  const argv = ['capture', 'serve', '--session', 'rid', '--rpc-port', '0', '--insecure-no-auth'];
  const code = await runCli([...argv, '--nats', (server as NatsNode).url, ...extra], io);
  expect(err).toEqual([]);
  return { code, out };
}

describe.skipIf(peers.skip)(`capture serve --nats over ${RECORDED_NATS_VERSION}`, () => {
  it('binds durables named with --reader-id, and says so', async () => {
    const { code, out } = await serveUntilReady(['--hosts', 'lab-*', '--reader-id', 'machine-x']);
    expect(code).toBe(0);
    // The line goes on with the pull budget (issue 16).
    expect(out.join('\n')).toContain(
      'reading stream netrx-rid for hosts "lab-*": durables netrx-reader-rid-machine-x-<host>, netrx-reader-rid-machine-x-loss',
    );
  }, 30_000);

  it('shares --pull-budget-bytes among the hosts, and says so (issue 16)', async () => {
    const given = await serveUntilReady(['--hosts', 'lab-*', '--pull-budget-bytes', '262144']);
    expect(given.code).toBe(0);
    expect(given.out.join('\n')).toMatch(/durables .*-loss; pull budget 262144 bytes$/m);
    const byDefault = await serveUntilReady([]);
    expect(byDefault.out.join('\n')).toMatch(/; pull budget 8388608 bytes$/m);
  }, 30_000);

  it('refuses a --pull-budget-bytes below one pull request, naming the flag', async () => {
    const err: string[] = [];
    const io: CliIo = {
      out: () => {},
      err: (l) => err.push(l),
      untilStopped: () => Promise.resolve(),
    };
    const argv = ['capture', 'serve', '--session', 'rid', '--rpc-port', '0', '--insecure-no-auth'];
    const url = (server as NatsNode).url;
    expect(await runCli([...argv, '--nats', url, '--pull-budget-bytes', '1000'], io)).toBe(2);
    expect(await runCli([...argv, '--pull-budget-bytes', '262144'], io)).toBe(2);
    expect(err.join('\n')).toContain(
      '--pull-budget-bytes: expected an integer from 131072 to 1073741824, got "1000"',
    );
    expect(err.join('\n')).toContain('--pull-budget-bytes needs --nats');
  }, 30_000);

  it("without --reader-id, durables named with this machine's derived identity", async () => {
    const { code, out } = await serveUntilReady([]);
    expect(code).toBe(0);
    const id = defaultReaderId();
    expect(out.join('\n')).toContain(
      `reading stream netrx-rid for hosts "*": durables netrx-reader-rid-${id}-<host>, netrx-reader-rid-${id}-loss`,
    );
  }, 30_000);

  it('refuses a --reader-id that cannot name a durable, naming the flag', async () => {
    const err: string[] = [];
    const io: CliIo = {
      out: () => {},
      err: (l) => err.push(l),
      untilStopped: () => Promise.resolve(),
    };
    const argv = ['capture', 'serve', '--session', 'rid', '--rpc-port', '0', '--insecure-no-auth'];
    expect(
      await runCli([...argv, '--nats', (server as NatsNode).url, '--reader-id', 'a.b'], io),
    ).toBe(2);
    expect(err.join('\n')).toContain('--reader-id');
  }, 30_000);
});
