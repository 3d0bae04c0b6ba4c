/**
 * The capture permissions docs/cluster.md gives (review16d: who may
 * publish a host's event, report and floor subjects was undocumented; a
 * report names a host every glob reader claims, a floor hides loss), run
 * as written on the real server: Debian nats-server (RECORDED_NATS_VERSION,
 * 2.9.10), `-js` on a free loopback port with its own store in an r-d1
 * temp dir, killed by its PID, the configuration block read from the docs.
 * Under CI=true a missing server is a failure (requireNatsServer).
 *
 * Checked: `lab-1` creates the streams and publishes 20 events into a
 * budget of 10, the capture server reads them (10 delivered, 10 lost:
 * loss exact, its floor stored in the floor stream the server made);
 * `lab-1` cannot store an event or a loss report as `lab-2`, nor a floor
 * (in the floor stream, or on the legacy subject in the loss stream).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsCapture, type NatsCaptureLink } from '../../src/node/cluster/index.js';
import {
  legacyLossFloorSubject,
  lossFloorSubject,
  parseLossFloor,
} from '../../src/node/cluster/loss-floors.js';
import { floorStreamName } from '../../src/node/cluster/subjects.js';
import {
  NatsNode,
  RECORDED_NATS_VERSION,
  freePort,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
} from './support/nats.js';

const nats = requireNatsServer('nats-capture-permissions.test.ts');
const dir = mkdtempSync(join(tmpdir(), `r-d1-nats-permissions-${process.pid}-`));
const PASSWORDS = {
  CAPTURE_LAB_1_PASSWORD: 'lab-1-Hq3Vn8Lw',
  CAPTURE_SERVER_PASSWORD: 'server-Zt6Kp2Rm',
};

/** The `authorization { … }` block of docs/cluster.md's capture permissions. */
function documentedAuthorization(): string {
  const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'cluster.md'), 'utf8');
  const start = docs.indexOf('authorization {\n  users = [\n    { user: capture-lab-1');
  if (start < 0) throw new Error('docs/cluster.md: the capture permissions example is gone');
  const end = docs.indexOf('\n}\n', start);
  return `${docs.slice(start, end)}\n}\n`;
}

describe.skipIf(nats.skip)(`the documented capture permissions on ${RECORDED_NATS_VERSION}`, () => {
  let node: NatsNode;
  const links: NatsCaptureLink[] = [];

  const link = async (user: string, password: string) => {
    const l = await connectNatsCapture({
      servers: node.url,
      auth: { kind: 'user', user, password },
      timeoutMs: 1000,
    });
    links.push(l);
    return l;
  };

  beforeAll(async () => {
    // Plus a reader user narrowed as the docs allowed before the floor stream (verify16e):
    // its streams' API only, floors on the legacy subject. It may not look up, create or
    // publish to the floor stream.
    const narrowed = `    { user: capture-server-narrow, password: narrow-Wq4Jd7Xs,
      permissions: {
        publish: { allow: ["netrxloss.fleet.*.floor.acked", "$JS.API.INFO",
                           "$JS.API.STREAM.INFO.netrx-fleet", "$JS.API.STREAM.INFO.netrx-loss-fleet",
                           "$JS.API.STREAM.MSG.GET.netrx-loss-fleet", "$JS.API.CONSUMER.>",
                           "$JS.ACK.netrx-fleet.>", "$JS.ACK.netrx-loss-fleet.>"] }
        subscribe: { allow: ["_INBOX.>"] }
      } }
  ]`;
    const documented = documentedAuthorization();
    const usersEnd = documented.lastIndexOf('\n  ]');
    writeFileSync(
      join(dir, 'nats.conf'),
      `${documented.slice(0, usersEnd)}\n${narrowed}${documented.slice(usersEnd + 4)}`,
    );
    // nats-server reads `$NAME` from its environment; the spawned server inherits ours.
    Object.assign(process.env, PASSWORDS);
    node = new NatsNode(
      'permissions',
      await freePort(),
      ['-js', '-sd', join(dir, 'store'), '-c', join(dir, 'nats.conf')],
      dir,
    );
    await node.start();
  }, 30_000);

  afterAll(async () => {
    for (const l of links) await l.close().catch(() => undefined);
    await node?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lab-1 publishes, the capture server reads it: loss exact, its floor stored', async () => {
    const lab1 = await link('capture-lab-1', PASSWORDS.CAPTURE_LAB_1_PASSWORD);
    await lab1.ensureStream('fleet', { maxBytes: 1024 * 1024, maxMsgs: 10 });
    const host = publishingHost(lab1, 'lab-1', 'fleet');
    for (let i = 0; i < 20; i++) {
      host.emit(1);
      await until(() => host.publisher.settled, 5000, 'lab-1 settled');
    }
    expect(host.publisher.stats()).toMatchObject({ stored: 10, refused: 10, dropped: 0 });
    const server = await link('capture-server', PASSWORDS.CAPTURE_SERVER_PASSWORD);
    const reader = readerSession(server, 'fleet', 'lab-*', { readerId: 'r-d1-server' });
    await until(() => reader.delivered() + reader.lost >= 20, 15_000, 'lab-1 accounted');
    await until(
      () => reader.source.handOverStats().lossFloors.published > 0,
      5000,
      'floor published',
    );
    await reader.close();
    expect(reader.seen.get('lab-1')).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(reader.lost).toBe(10);
    expect(reader.source.stats().consumerErrors).toEqual({});
    expect(reader.source.handOverStats().lossFloors.unsent).toBe(0);
    const floor = await server.lastMessage?.(
      floorStreamName('fleet'),
      lossFloorSubject('fleet', 'lab-1'),
    );
    expect(floor === undefined ? [] : [...(parseLossFloor(floor, 64)?.values() ?? [])]).toEqual([
      10,
    ]);
  }, 60_000);

  it('a reader whose user may not touch the floor stream still reads and counts loss', async () => {
    const lab1 = await link('capture-lab-1', PASSWORDS.CAPTURE_LAB_1_PASSWORD);
    await lab1.ensureStream('fleet', { maxBytes: 1024 * 1024, maxMsgs: 10 });
    const host = publishingHost(lab1, 'lab-1', 'fleet');
    for (let i = 0; i < 20; i++) {
      host.emit(1);
      await until(() => host.publisher.settled, 5000, 'lab-1 settled');
    }
    expect(host.publisher.stats()).toMatchObject({ stored: 10, refused: 10, dropped: 0 });
    const narrow = await link('capture-server-narrow', 'narrow-Wq4Jd7Xs');
    const reader = readerSession(narrow, 'fleet', 'lab-*', { readerId: 'v16e-narrow' });
    // Failed before (nats.ts): the floor stream's look-up was refused, the loss durable was
    // never bound, and no loss reached the client (delivered 10, lost 0, until timed out).
    await until(() => reader.delivered() + reader.lost >= 20, 15_000, 'lab-1 accounted');
    await reader.close();
    const floors = reader.source.handOverStats().lossFloors;
    console.info(
      `narrowed reader: delivered ${reader.delivered()}, lost ${reader.lost}, floors ${JSON.stringify(floors)}`,
    );
    expect(reader.seen.get('lab-1')).toEqual(Array.from({ length: 10 }, (_, i) => i));
    // It cannot read the floors (unread, counted), so it also counts again the loss of an
    // earlier run this file's first reader delivered: at least once, as documented.
    expect(reader.lost).toBeGreaterThanOrEqual(10);
    expect(floors.unread).toBeGreaterThan(0);
    expect(floors.unsent).toBeGreaterThan(0);
  }, 60_000);

  it('lab-1 cannot store an event or a loss report as lab-2, nor a floor', async () => {
    const lab1 = await link('capture-lab-1', PASSWORDS.CAPTURE_LAB_1_PASSWORD);
    const data = new TextEncoder().encode(JSON.stringify({ instance: 'forged', lost: 9, prev: 0 }));
    const tries = {
      event: await lab1.publish('netrx.fleet.lab-2.netrx-synthetic', data, 'r-d1-forged-1'),
      report: await lab1.publish('netrxloss.fleet.lab-2.forged', data, 'r-d1-forged-2'),
      floor: await lab1.publish(lossFloorSubject('fleet', 'lab-1'), data, 'r-d1-forged-3'),
      // Where a netrx before the floor stream kept floors, which readers still read.
      legacyFloor: await lab1.publish(
        legacyLossFloorSubject('fleet', 'lab-1'),
        data,
        'r-d1-forged-4',
      ),
    };
    console.info(`lab-1 as another: ${JSON.stringify(tries)}`);
    for (const outcome of Object.values(tries)) expect(outcome.kind).not.toBe('stored');
    // Control: its own report subject stores.
    const own = await lab1.publish('netrxloss.fleet.lab-1.own', data, 'r-d1-own');
    expect(own.kind).toBe('stored');
  }, 30_000);
});
