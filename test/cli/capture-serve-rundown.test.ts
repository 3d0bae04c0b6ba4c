// `netrx capture serve` after a client drops (docs/seeds.md, 003 decision
// 14): MS-LREC 3.1.6.1 stops the session when its client's connection goes
// away without Close, and a server left running starts it again, so the next
// client can open it. Real loopback sockets, in-process CLI.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { connectLrecTcp, type LrecTcpClient } from '../../src/node/capture/index.js';
import { io, until } from '../support/cli-io.js';

/** Opens `name`, retrying while the server has not yet seen the last client go. */
async function openWithin(
  client: LrecTcpClient,
  name: string,
  ms: number,
): Promise<{ handle?: Uint8Array; lastError?: unknown }> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return { handle: await client.open(name) };
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return { lastError };
}

describe('netrx capture serve: a dropped client', () => {
  it('starts the session again after the rundown, so the next client opens it', async () => {
    const serve = io();
    const serving = runCli(
      ['capture', 'serve', '--session', 'demo', '--rpc-port', '0', '--insecure-no-auth'],
      serve.cli,
    );
    const clients: LrecTcpClient[] = [];
    try {
      await until(() => serve.out.includes('ready'), 10_000, 'serve ready');
      const port = Number(/:(\d+) session/.exec(serve.out.join('\n'))?.[1]);
      const first = await connectLrecTcp({ host: '127.0.0.1', port });
      clients.push(first);
      await first.open('demo');
      // Dropped without Close: the server runs the handle down (the session stops).
      first.end();
      await first.closed;

      const next = await connectLrecTcp({ host: '127.0.0.1', port });
      clients.push(next);
      const opened = await openWithin(next, 'demo', 5000);
      expect(opened.lastError).toBeUndefined();
      expect(opened.handle).toHaveLength(20);
      if (opened.handle !== undefined) await next.close(opened.handle);
    } finally {
      for (const client of clients) client.end();
      serve.stop();
    }
    expect(await serving).toBe(0);
    expect(serve.err).toEqual([]);
  }, 30_000);
});
