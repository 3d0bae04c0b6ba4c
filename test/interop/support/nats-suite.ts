/**
 * The setup the NATS capture interop files share: one private nats-server
 * (`-js` on a free loopback port, its store in a temporary dir, killed by
 * its PID) for the whole file, the capture links its tests open (closed
 * after the file's tests, before the server goes), and a host emitting one
 * event per message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { connectNatsCapture, type NatsCaptureLink } from '../../../src/node/cluster/index.js';
import { natsAlone, until, type NatsNode, type PublishingHost } from './nats.js';

export interface NatsSuite {
  /** The file's nats-server (started before its tests). */
  readonly server: NatsNode;
  /** A capture link to the server (1 s timeout unless told), closed after the file's tests. */
  link(claimExpiresMs?: number): Promise<NatsCaptureLink>;
  /** Closes `links` with the file's others, after its tests. */
  track(...links: NatsCaptureLink[]): void;
}

/**
 * Registers the file's hooks: a nats-server alone, its store under a temporary
 * dir named `prefix-PID-…`, started in `beforeAll` (not when `peers.skip`) and
 * killed in `afterAll` once every tracked link is closed. Hooks the file adds
 * later run after the start and, in vitest's stack order, before the kill.
 */
export function natsSuite(peers: { readonly skip: boolean }, prefix: string): NatsSuite {
  const workdir = mkdtempSync(join(tmpdir(), `${prefix}-${process.pid}-`));
  let server: NatsNode | undefined;
  const links: NatsCaptureLink[] = [];

  beforeAll(async () => {
    if (peers.skip) return;
    server = await natsAlone(workdir);
    await server.start();
  }, 20_000);

  afterAll(async () => {
    for (const link of links) await link.close().catch(() => undefined);
    await server?.kill();
    rmSync(workdir, { recursive: true, force: true });
  });

  const started = (): NatsNode => {
    if (server === undefined) throw new Error('the nats-server of this file has not started');
    return server;
  };
  return {
    get server() {
      return started();
    },
    link: async (claimExpiresMs) => {
      const l = await connectNatsCapture({
        servers: started().url,
        timeoutMs: 1000,
        ...(claimExpiresMs === undefined ? {} : { claimExpiresMs }),
      });
      links.push(l);
      return l;
    },
    track: (...more) => {
      links.push(...more);
    },
  };
}

/** `n` events, each its own message: one event, then wait for its publish to settle. */
export async function emitOneByOne(host: PublishingHost, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    host.emit(1);
    await until(() => host.publisher.settled, 5000, `${host.host} settled`);
  }
}
