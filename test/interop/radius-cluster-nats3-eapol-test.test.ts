/**
 * EAP conversations that survive a server change on **one NATS cluster**
 * (issue 16, Proof item 2): eapol_test (wpa_supplicant 2.10) talks through
 * the round-robin forwarder (support/round-robin.ts), which sends each
 * RADIUS round to the next of three `netrx radius serve --nats` processes;
 * the three servers share a three-node nats-server 2.9.10 cluster on
 * loopback (support/nats.ts `natsCluster`, each node its own ports and
 * store), each listing the nodes from a different one. MSCHAPv2,
 * PEAP/MSCHAPv2 and EAP-TLS all succeed with `MPPE keys OK` while the NATS
 * node that the PEAP conversation's owner is connected to is SIGKILLed
 * after the conversation's first Access-Challenge: the owner reconnects to
 * another node, its subscription comes back, and the rounds other servers
 * forward to it arrive (a round lost in the gap is retransmitted by
 * eapol_test). The node restarts and one more MSCHAPv2 succeeds. The
 * single-node suite (radius-cluster-eapol-test.test.ts) keeps the cases
 * "clustering off fails" and "the owning netrx server killed".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECORDED_NATS_VERSION,
  delay,
  natsCluster,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';
import { commandExists, requirePeers, versionOf } from './support/peers.js';
import { ran, stopped, watched, type Watched } from './support/processes.js';
import { RoundRobin } from './support/round-robin.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'cluster-secret';
/** The eapol_test these cases were checked with (Debian eapoltest). */
const RECORDED_EAPOL_TEST = 'eapol_test v2.10';

const nats = requireNatsServer('radius cluster nats3 interop');
const eapol = requirePeers('radius cluster nats3 interop', [
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
]);
const skip = nats.skip || eapol.skip;
if (!eapol.skip) {
  const version = versionOf('eapol_test', ['-v']);
  console.info(`peers: ${version}`);
  if (!version.startsWith(RECORDED_EAPOL_TEST)) {
    console.warn(`[netrx interop] checked with ${RECORDED_EAPOL_TEST}`);
  }
}
const dir = mkdtempSync(join(tmpdir(), 'cl-proof-radius-nats3-'));
const certs = join(dir, 'certs');

interface Server {
  readonly id: string;
  readonly process: Watched;
  readonly port: number;
}

function config(name: string, lines: readonly string[]): string {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, ['network={', ...lines.map((l) => `  ${l}`), '}', ''].join('\n'));
  return file;
}

const CONFIGS = {
  MSCHAPv2: () =>
    config('mschapv2', [
      'key_mgmt=IEEE8021X',
      'eap=MSCHAPV2',
      'identity="bob"',
      'password="hello"',
      'eapol_flags=0',
    ]),
  'PEAP/MSCHAPv2': () =>
    config('peap', [
      'key_mgmt=WPA-EAP',
      'eap=PEAP',
      'identity="bob"',
      'anonymous_identity="anonymous"',
      'password="hello"',
      `ca_cert="${join(certs, 'ca.pem')}"`,
      'domain_suffix_match="netrx.test"',
      'phase1="peaplabel=0"',
      'phase2="auth=MSCHAPV2"',
    ]),
  'EAP-TLS': () =>
    config('tls', [
      'key_mgmt=WPA-EAP',
      'eap=TLS',
      'identity="bob"',
      `ca_cert="${join(certs, 'ca.pem')}"`,
      `client_cert="${join(certs, 'client.pem')}"`,
      `private_key="${join(certs, 'client-key.pem')}"`,
    ]),
} as const;

function eapolTest(port: number, file: string) {
  return ran('eapol_test', [
    '-c',
    file,
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-s',
    SECRET,
    '-t',
    '15',
  ]);
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)?.trim() ?? '';

function expectSuccess(run: { readonly text: string; readonly code: unknown }, name: string): void {
  expect(run.text, name).toContain('MPPE keys OK: 1  mismatch: 0');
  expect(lastLine(run.text), name).toBe('SUCCESS');
  expect(run.code, name).toBe(0);
}

describe.skipIf(skip)(
  `eapol_test, round robin over three netrx servers on a three-node ${RECORDED_NATS_VERSION} cluster`,
  () => {
    let nodes: NatsNode[] = [];
    const servers: Server[] = [];

    beforeAll(async () => {
      const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
      expect(made.code).toBe(0);
      nodes = await natsCluster(dir, 3, { monitor: true });
      await Promise.all(nodes.map((node) => node.start()));
      for (const [i, id] of ['s1', 's2', 's3'].entries()) {
        // Each server lists the nodes from a different one (the client may still shuffle them).
        const order = [...nodes.slice(i), ...nodes.slice(0, i)].map((n) => n.url).join(',');
        const child = watched(process.execPath, [
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
          '--certs',
          certs,
          '--nats',
          order,
          '--cluster-id',
          'cluster-nats3',
          '--server-id',
          id,
        ]);
        const listening = await child.until(/^listening on udp 127\.0\.0\.1:(\d+)/m, 20_000);
        await child.until(/^ready$/m, 20_000);
        servers.push({ id, process: child, port: Number(listening[1]) });
      }
    }, 90_000);

    afterAll(async () => {
      await Promise.all(servers.map((s) => stopped(s.process)));
      for (const node of nodes) await node.kill();
    });

    /** The node a netrx server's NATS connection is on now. */
    async function nodeOf(id: string): Promise<NatsNode | undefined> {
      for (const node of nodes) {
        const names = await node.connectionNames().catch((): string[] => []);
        if (names.includes(`netrx-radius-${id}`)) return node;
      }
      return undefined;
    }

    it("MSCHAPv2, PEAP/MSCHAPv2 (its owner's NATS node SIGKILLed mid-way) and EAP-TLS: MPPE keys OK; again after the restart", async () => {
      const forwarder = new RoundRobin(servers);
      const port = await forwarder.bind();
      try {
        expectSuccess(await eapolTest(port, CONFIGS.MSCHAPv2()), 'MSCHAPv2');

        // Set from the forwarder's callback (a holder, so the narrowing sees the writes).
        const cut: { owner?: string; node?: Promise<NatsNode | undefined>; after: number[] } = {
          after: [],
        };
        forwarder.onAnswer = (stateOwner, code) => {
          if (cut.node !== undefined) cut.after.push(code);
          // The first Access-Challenge (11) naming an owner: the owner's node goes.
          if (cut.node !== undefined || code !== 11 || stateOwner === undefined) return;
          cut.owner = stateOwner;
          cut.node = nodeOf(stateOwner).then(async (node) => {
            await node?.kill();
            return node;
          });
          // This answer reaches eapol_test only once the node is gone: the next round is
          // forwarded while the owner reconnects.
          return cut.node;
        };
        const peap = await eapolTest(port, CONFIGS['PEAP/MSCHAPv2']());
        const killedNode = await cut.node;
        const owner = cut.owner;
        expect(owner, 'the PEAP conversation named its owner').toBeDefined();
        expect(killedNode, `the NATS node of ${owner} was found and killed`).toBeDefined();
        expectSuccess(peap, 'PEAP/MSCHAPv2 across the node kill');
        // Rounds of the conversation went on after the kill, to the end (Access-Accept, 2).
        expect(cut.after.length, 'answers after the kill').toBeGreaterThan(3);
        expect(cut.after.at(-1)).toBe(2);
        console.info(
          `nats3: ${owner}'s node ${killedNode?.name} killed after its first challenge; ${cut.after.length} answers after`,
        );
        // The owner answered forwarded rounds after the kill: it is on another node now.
        const moved = await nodeOf(owner ?? '');
        expect(moved?.name, `${owner} reconnected`).toBeDefined();
        expect(moved?.name).not.toBe(killedNode?.name);

        expectSuccess(await eapolTest(port, CONFIGS['EAP-TLS']()), 'EAP-TLS, a node down');
        await (killedNode as NatsNode).start();
        await delay(500);
        expectSuccess(await eapolTest(port, CONFIGS.MSCHAPv2()), 'MSCHAPv2, the node back');
        expect([...forwarder.perServer.values()].every((n) => n >= 3)).toBe(true);
      } finally {
        forwarder.close();
      }
      // Rounds crossed servers over the cluster. A round forwarded while the owner was between
      // nodes may go unanswered (the forwarding server drops it, eapol_test sends it again).
      const totals = { forwarded: 0, answered: 0, served: 0 };
      for (const s of servers) {
        await stopped(s.process);
        const line =
          /cluster (\d+) forwarded, (\d+) answered by their owner, (\d+) served for others/.exec(
            s.process.text(),
          );
        expect(line, `${s.id} printed its cluster totals`).not.toBeNull();
        const [, forwarded = 0, answered = 0, served = 0] = (line ?? []).map(Number);
        expect(forwarded, `${s.id} forwarded rounds`).toBeGreaterThan(0);
        totals.forwarded += forwarded;
        totals.answered += answered;
        totals.served += served;
      }
      console.info(`nats3: cluster totals ${JSON.stringify(totals)}`);
      expect(
        totals.forwarded - totals.answered,
        'rounds lost to the node kill',
      ).toBeLessThanOrEqual(3);
      expect(totals.served).toBeGreaterThanOrEqual(totals.answered);
    }, 150_000);
  },
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
