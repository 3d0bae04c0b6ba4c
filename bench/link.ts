/**
 * Link benchmarks.
 *
 *   npm run bench -- link
 *
 * 1. In-process dispatch of rejected frames through an Adapter with three
 *    bindings, against calling the same three handlers directly (the floor:
 *    no adapter at all). Target >= 2 M frames/s, zero allocations.
 * 2. Receive from a real UDP socket on loopback: a VxlanLink indicating every
 *    datagram to an adapter, against a bare node:dgram counting loop, fed by
 *    the same flooding child process. Target >= 90 % of the bare loop.
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Adapter, type Indication, type Protocol } from '../src/link/index.js';
import { VxlanLink } from '../src/node/link/index.js';
import { compare } from './harness.js';

const mac = Uint8Array.of(2, 0, 0, 0, 0, 1);
const frame = Uint8Array.from([
  ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x00],
  ...new Array<number>(46).fill(0),
]);
const byType = (type: number): Protocol => ({
  receive: (ind: Indication) => (ind.etherType === type ? 'accepted' : 'not-accepted'),
});
const adapter = new Adapter({ name: 'bench', mac });
const protocols = [byType(0x0806), byType(0x86dd), byType(0x888e)];
protocols.forEach((p, i) => adapter.openBinding(p, { name: `b${i}` }));
const floorIndication = { etherType: 0x0800 } as Indication;

let scavenges = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (
      (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR
    )
      scavenges++;
  }
});
observer.observe({ entryTypes: ['gc'] });
await compare(
  'link: reject dispatch, 3 bindings',
  {
    name: 'netrx Adapter',
    run(n) {
      for (let i = 0; i < n; i++) adapter.indicate(frame);
    },
  },
  {
    name: 'direct handler calls',
    run(n) {
      for (let i = 0; i < n; i++) for (const p of protocols) p.receive(floorIndication);
    },
  },
  5_000_000,
);
const before = scavenges;
for (let i = 0; i < 5_000_000; i++) adapter.indicate(frame);
await new Promise((r) => setTimeout(r, 20));
process.stdout.write(
  `link: reject path, scavenges during 5 M rejected frames: ${scavenges - before}\n`,
);
observer.disconnect();

// 2. UDP receive from a flooding child process.
const flooder = fileURLToPath(new URL('./udp-flood.js', import.meta.url));
const COUNT = 300_000;
async function flood(port: number, vxlan: boolean): Promise<void> {
  await new Promise<void>((resolve) => {
    fork(flooder, [String(port), String(COUNT), '72', vxlan ? '1' : '0']).once('exit', () =>
      resolve(),
    );
  });
}

async function bareDgram(): Promise<{ received: number; seconds: number }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  let received = 0;
  let first = 0n;
  let last = 0n;
  socket.on('message', () => {
    if (received++ === 0) first = process.hrtime.bigint();
    last = process.hrtime.bigint();
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  await flood(socket.address().port, true);
  await new Promise((r) => setTimeout(r, 100));
  socket.close();
  return { received, seconds: Number(last - first) / 1e9 };
}

async function netrxVxlan(): Promise<{ received: number; seconds: number }> {
  const link = new VxlanLink({
    bind: { address: '127.0.0.1', port: 0 },
    remote: { address: '127.0.0.1', port: 9 },
    vni: 42,
    mac,
  });
  let received = 0;
  let first = 0n;
  let last = 0n;
  link.adapter.openBinding(
    {
      receive() {
        if (received++ === 0) first = process.hrtime.bigint();
        last = process.hrtime.bigint();
        return 'not-accepted';
      },
    },
    { name: 'count', packetFilter: 0x20 },
  );
  const { port } = await link.start();
  await flood(port, true);
  await new Promise((r) => setTimeout(r, 100));
  await link.close();
  return { received, seconds: Number(last - first) / 1e9 };
}

const ours: number[] = [];
const theirs: number[] = [];
for (let round = 0; round < 5; round++) {
  const a = await netrxVxlan();
  const b = await bareDgram();
  ours.push(a.received / a.seconds);
  theirs.push(b.received / b.seconds);
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
process.stdout.write(
  `link: UDP receive (VXLAN, 72-byte datagrams)     ours ${(median(ours) / 1e3).toFixed(1)} k/s  bare dgram ${(median(theirs) / 1e3).toFixed(1)} k/s  ratio ${(median(ours) / median(theirs)).toFixed(2)}x\n`,
);
