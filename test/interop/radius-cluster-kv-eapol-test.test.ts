/**
 * EAP conversation state in a sealed JetStream KV bucket (issue 16 item 2,
 * part B). Peers: eapol_test (wpa_supplicant 2.10), nats-server 2.9.10
 * (`-js`, loopback, its own store). The same round-robin forwarder as
 * radius-cluster-eapol-test.test.ts sends each round to the next of three
 * `netrx radius serve --nats --state-key`; the server that began the
 * conversation is SIGKILLed after its first Access-Challenge, and
 * MSCHAPv2 (MPPE keys OK) and EAP-MD5 still succeed: every later round is
 * answered by whichever server gets it, from the bucket. Without
 * --state-key the same kill fails the attempt, as before. PEAP/MSCHAPv2:
 * its Identity/Start phase is in the bucket too, so the server that gets
 * the ClientHello starts TLS and becomes the owner named in the State.
 *
 * Below: the helpers of the forwarding suite (kept alike on purpose).
 *
 * EAP conversations that survive a server change (issue 16, item 2):
 * eapol_test (wpa_supplicant 2.10) talks through a UDP round-robin
 * forwarder, written here, that sends each RADIUS round to the next of
 * three `netrx radius serve` processes sharing one nats-server 2.9.10, as
 * an access point failing over between servers would. With `--nats` every
 * later round reaches the server that owns its State (NATS request/reply)
 * and every authentication succeeds with its MS-MPPE keys checked by
 * eapol_test (`MPPE keys OK`): MSCHAPv2, PEAP/MSCHAPv2 and EAP-TLS, whose
 * TLS engine state never leaves its process. Without `--nats` the same
 * forwarder breaks the conversation. With the owner SIGKILLed mid-way the
 * attempt fails (its rounds dropped, counted) and the next one succeeds.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRadiusClusterLink } from '../../src/node/cluster/index.js';
import { natsAlone, requireNatsServer, type NatsNode } from './support/nats.js';
import { commandExists, requirePeers } from './support/peers.js';
import { ran, stopChild, stopped, watched, type Watched } from './support/processes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'cluster-secret';

const nats = requireNatsServer('radius cluster kv interop');
const eapol = requirePeers('radius cluster kv interop', [
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
]);
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'netrx-cluster-kv-'));

interface Server {
  readonly id: string;
  readonly process: Watched;
  readonly port: number;
}

const STATE_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)).toString(
  'hex',
);

async function serve(id: string, natsUrl: string | undefined, stateKey?: string): Promise<Server> {
  const process_ = watched(process.execPath, [
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
    join(dir, 'certs'),
    ...(natsUrl === undefined
      ? []
      : ['--nats', natsUrl, '--cluster-id', 'cluster-kv', '--server-id', id]),
    ...(stateKey === undefined ? [] : ['--state-key', stateKey]),
  ]);
  const listening = await process_.until(/^listening on udp 127\.0\.0\.1:(\d+)/m, 20_000);
  await process_.until(/^ready$/m, 20_000);
  return { id, process: process_, port: Number(listening[1]) };
}

/** The server id a State names (`c ‖ length ‖ id ‖ random`), if it has one. */
function stateOwner(datagram: Uint8Array): string | undefined {
  let at = 20;
  while (at + 2 <= datagram.length) {
    const type = datagram[at] as number;
    const size = datagram[at + 1] as number;
    if (size < 2) return undefined;
    if (type === 24 && datagram[at + 2] === 0x63) {
      const length = datagram[at + 3] as number;
      return String.fromCharCode(...datagram.subarray(at + 4, at + 4 + length));
    }
    at += size;
  }
  return undefined;
}

/**
 * The NAS side: eapol_test sends to `port`; each datagram goes to the next
 * live server (round robin) from one socket, whose answers go back.
 */
class RoundRobin {
  readonly front: Socket = createSocket('udp4');
  private readonly back: Socket = createSocket('udp4');
  private next = 0;
  private peer: { address: string; port: number } | undefined;
  readonly live: Server[];
  readonly perServer = new Map<string, number>();
  /** The server each request went to, in order. */
  readonly order: string[] = [];
  /** Called with each answer's State owner before it is relayed. */
  onAnswer: (owner: string | undefined, code: number) => void = () => {};

  constructor(servers: readonly Server[]) {
    this.live = [...servers];
    this.front.on('message', (message, rinfo) => {
      this.peer = { address: rinfo.address, port: rinfo.port };
      if (this.live.length === 0) return;
      const server = this.live[this.next++ % this.live.length] as Server;
      this.perServer.set(server.id, (this.perServer.get(server.id) ?? 0) + 1);
      this.order.push(server.id);
      this.back.send(message, server.port, '127.0.0.1');
    });
    this.back.on('message', (message) => {
      this.onAnswer(stateOwner(message), message[0] ?? 0);
      if (this.peer !== undefined) this.front.send(message, this.peer.port, this.peer.address);
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((done) => this.back.bind(0, '127.0.0.1', done));
    await new Promise<void>((done) => this.front.bind(0, '127.0.0.1', done));
    return this.front.address().port;
  }

  close(): void {
    this.front.close();
    this.back.close();
  }
}

function config(name: string, lines: readonly string[]): string {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, ['network={', ...lines.map((l) => `  ${l}`), '}', ''].join('\n'));
  return file;
}

const certs = join(dir, 'certs');
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
  'EAP-MD5': () =>
    config('md5', [
      'key_mgmt=IEEE8021X',
      'eap=MD5',
      'identity="bob"',
      'password="hello"',
      'eapol_flags=0',
    ]),
} as const;

function eapolTest(port: number, file: string, extra: readonly string[] = []) {
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
    '12',
    ...extra,
  ]);
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)?.trim() ?? '';

describe.skipIf(skip)(
  'eapol_test, three servers, conversation state in a KV bucket, owner killed',
  () => {
    let natsNode: NatsNode;

    beforeAll(async () => {
      const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
      expect(made.code).toBe(0);
      natsNode = await natsAlone(dir);
      await natsNode.start();
    }, 60_000);

    afterAll(async () => {
      await natsNode.kill();
    });

    it('the KV bucket on nats-server: create, compare-and-set update and delete, conflicts (API 10071)', async () => {
      const link = await connectRadiusClusterLink({ servers: natsNode.url, clusterId: 'kv-test' });
      try {
        const kv = await link.conversationBucket({ ttlMs: 30_000 });
        const created = await kv.create('abcd', Uint8Array.of(1));
        expect(created.kind).toBe('stored');
        const revision = created.kind === 'stored' ? created.revision : 0;
        expect(await kv.create('abcd', Uint8Array.of(2))).toEqual({ kind: 'conflict' });
        expect(await kv.get('abcd')).toEqual({ kind: 'found', value: Uint8Array.of(1), revision });
        const updated = await kv.update('abcd', Uint8Array.of(3), revision);
        expect(updated.kind).toBe('stored');
        // The revision read before the update is stale now: the second writer loses.
        expect(await kv.update('abcd', Uint8Array.of(4), revision)).toEqual({ kind: 'conflict' });
        expect(await kv.delete('abcd', revision)).toEqual({ kind: 'conflict' });
        const latest = updated.kind === 'stored' ? updated.revision : 0;
        expect((await kv.delete('abcd', latest)).kind).toBe('stored');
        expect(await kv.get('abcd')).toEqual({ kind: 'absent' });
      } finally {
        await link.close();
      }
    }, 30_000);

    async function fleet(stateKey: string | undefined) {
      const servers = await Promise.all(
        ['s1', 's2', 's3'].map((id) => serve(id, natsNode.url, stateKey)),
      );
      const forwarder = new RoundRobin(servers);
      const port = await forwarder.bind();
      let killed: Server | undefined;
      forwarder.onAnswer = (owner, code) => {
        // After the first Access-Challenge (11), the server that began the conversation goes.
        if (killed !== undefined || code !== 11 || owner === undefined) return;
        killed = servers.find((s) => s.id === owner);
        if (killed === undefined) return;
        forwarder.live.splice(forwarder.live.indexOf(killed), 1);
        void stopChild(killed.process.child, 'SIGKILL');
      };
      return {
        servers,
        forwarder,
        port,
        killed: () => killed,
        close: async () => {
          forwarder.close();
          await Promise.all(servers.map((s) => stopped(s.process)));
        },
      };
    }

    it.each(['MSCHAPv2', 'EAP-MD5'] as const)(
      'with --state-key: %s succeeds with its owner SIGKILLed after the first round',
      async (name) => {
        const f = await fleet(STATE_KEY);
        try {
          // EAP-MD5 derives no MSK: -n tells eapol_test not to expect MPPE keys.
          const run = await eapolTest(f.port, CONFIGS[name](), name === 'EAP-MD5' ? ['-n'] : []);
          expect(f.killed(), name).toBeDefined();
          if (name === 'MSCHAPv2') expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
          expect(run.text).toContain('CTRL-EVENT-EAP-SUCCESS');
          expect(lastLine(run.text), name).toBe('SUCCESS');
        } finally {
          await f.close();
        }
        // The survivors answered the later rounds from KV and forwarded nothing.
        const survivors = f.servers.filter((s) => s !== f.killed());
        const fromKv = survivors.map((s) =>
          Number(/(\d+) answered from KV/.exec(s.process.text())?.[1] ?? 0),
        );
        expect(fromKv.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        for (const s of survivors) expect(s.process.text()).toMatch(/cluster 0 forwarded/);
      },
      120_000,
    );

    it('PEAP/MSCHAPv2 with --state-key: the Identity/Start phase moves, and the server that starts TLS owns the rest', async () => {
      const servers = await Promise.all(
        ['s1', 's2', 's3'].map((id) => serve(id, natsNode.url, STATE_KEY)),
      );
      const forwarder = new RoundRobin(servers);
      const port = await forwarder.bind();
      const owners: (string | undefined)[] = [];
      forwarder.onAnswer = (owner, code) => {
        if (code === 11) owners.push(owner);
      };
      try {
        const run = await eapolTest(port, CONFIGS['PEAP/MSCHAPv2']());
        expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(lastLine(run.text)).toBe('SUCCESS');
      } finally {
        forwarder.close();
        await Promise.all(servers.map((s) => stopped(s.process)));
      }
      // Round 1 (Identity) reached s1, whose State the next challenges carry while the
      // conversation is small data in the bucket (a Nak, the PEAP Start). The request that
      // brought the ClientHello reached server X, which restored the Start, started TLS and
      // answered with a State of its own: from there on every challenge names X, never s1,
      // and X forwards nothing (eapol_test sends one request at a time: answer k is request k's).
      expect(owners[0]).toBe('s1');
      const k = owners.findIndex((owner) => owner !== 's1');
      expect(k).toBeGreaterThan(0);
      const owner = owners[k] as string;
      expect(forwarder.order[k]).toBe(owner);
      expect(new Set(owners.slice(0, k))).toEqual(new Set(['s1']));
      expect(new Set(owners.slice(k))).toEqual(new Set([owner]));
      expect(owners.length - k).toBeGreaterThan(2);
      const owning = servers.find((s) => s.id === owner) as Server;
      expect(owning.process.text()).toMatch(/cluster 0 forwarded/);
    }, 120_000);

    it('without --state-key the same kill fails the attempt (forwarding only): FAILURE', async () => {
      const f = await fleet(undefined);
      try {
        const run = await eapolTest(f.port, CONFIGS.MSCHAPv2());
        expect(f.killed()).toBeDefined();
        expect(run.text).not.toContain('CTRL-EVENT-EAP-SUCCESS');
        expect(lastLine(run.text)).toBe('FAILURE');
      } finally {
        await f.close();
      }
    }, 120_000);
  },
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
