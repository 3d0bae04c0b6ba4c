/**
 * One link operation in a loop, for instruction counts under callgrind
 * (stable under load, unlike wall or CPU time on a shared machine):
 *
 *   node dist-bench/bench/link-cpu.js CASE COUNT
 *   valgrind --tool=callgrind --smc-check=all-non-file \
 *     node dist-bench/bench/link-cpu.js arp 200000
 *
 * CASE is `arp` (ARP requests answered by a stack), `vxlan` (VXLAN datagrams
 * handed to a VxlanLink as its socket would, indicated to a counting
 * binding, as bench/link's UDP case), `udp` (UDP datagrams delivered to a
 * bound socket and taken off its queue), `echo` (ICMP echo requests with a
 * 56-byte payload answered, as bench/link-replies) or `send` (64-byte UDP
 * datagrams sent from a bound socket to a resolved neighbour). The loop runs COUNT times after
 * 100,000 of warm-up; two COUNTs give the cost of one operation as the
 * difference of their totals over the difference of the counts, which
 * leaves start-up, warm-up and JIT compilation out. Written against the
 * API 49e8fc3 has too, so the same file measures the old build
 * (docs/performance.md).
 */
import type { RemoteInfo } from 'node:dgram';
import { Adapter, createStack } from '../src/link/index.js';
import { VxlanLink } from '../src/node/link/index.js';
import { systemClock } from '../src/node/runtime/index.js';
import { arpPacket, ethernetFrame, icmpv4Echo, ipv4Datagram, udp4 } from '../src/testing/index.js';

const [which, countText] = process.argv.slice(2);
const count = Number(countText);
if (!['arp', 'vxlan', 'udp', 'echo', 'send'].includes(which ?? '') || !(count > 0)) {
  process.stderr.write('usage: link-cpu arp|vxlan|udp|echo|send COUNT\n');
  process.exit(2);
}
const WARM_UP = 100_000;
const OWN = '02:00:00:00:00:02';
const PEER = '02:00:00:00:00:01';
let transmitted = 0;
/** Frames the VXLAN case's counting binding saw. */
let counted = 0;

/** The operation to repeat. */
function setUp(): () => void {
  if (which === 'vxlan') {
    const link = new VxlanLink({
      bind: { address: '127.0.0.1', port: 0 },
      remote: { address: '127.0.0.1', port: 9 },
      vni: 42,
      mac: Uint8Array.of(2, 0, 0, 0, 0, 1),
    });
    link.adapter.openBinding(
      { receive: () => (counted++, 'not-accepted') },
      { name: 'count', packetFilter: 0x20 },
    );
    // bench/udp-flood's datagram: VXLAN header (I flag, VNI 42), a frame for another MAC.
    const datagram = Buffer.alloc(72);
    datagram.set([0x08, 0, 0, 0, 0, 0, 42, 0], 0);
    datagram.set([2, 0, 0, 0, 0, 0x99, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 8);
    const remote: RemoteInfo = { address: '127.0.0.1', family: 'IPv4', port: 40000, size: 72 };
    // The socket's 'message' listener, called as the socket would (no real I/O under callgrind).
    const onDatagram = (
      link as unknown as { onDatagram(m: Buffer, r: RemoteInfo): void }
    ).onDatagram.bind(link);
    return () => onDatagram(datagram, remote);
  }
  const adapter = new Adapter({
    name: 'bench',
    mac: Uint8Array.of(2, 0, 0, 0, 0, 2),
    transmit: () => void transmitted++,
  });
  const stack = createStack({
    adapter,
    clock: systemClock,
    ipv4: [{ address: '10.0.0.2', prefixLength: 24 }],
  });
  const arpRequest = ethernetFrame(
    'ff:ff:ff:ff:ff:ff',
    PEER,
    0x0806,
    arpPacket({ operation: 1, senderMac: PEER, senderIp: '10.0.0.1', targetIp: '10.0.0.2' }),
  );
  adapter.indicateBurst([arpRequest]); // the peer's MAC is learnt, as after a real ping's ARP
  if (which === 'arp') return () => adapter.indicate(arpRequest);
  /** A frame from the peer to us carrying `payload` as IP `protocol`. */
  const fromPeer = (protocol: number, payload: Uint8Array) =>
    ethernetFrame(
      OWN,
      PEER,
      0x0800,
      ipv4Datagram({ source: '10.0.0.1', destination: '10.0.0.2', protocol, payload }),
    );
  if (which === 'echo') {
    const echoRequest = fromPeer(1, icmpv4Echo(8, 7, 1, new Uint8Array(56)));
    return () => adapter.indicate(echoRequest);
  }
  const socket = stack.udp.bind({ port: 7 });
  if (which === 'send') {
    const payload = new Uint8Array(64);
    const peer = { address: '10.0.0.1', port: 40000 };
    return () => {
      if (socket.send(payload, peer) !== 'sent') throw new Error('not sent');
    };
  }
  const datagram = fromPeer(17, udp4('10.0.0.1', 40000, '10.0.0.2', 7, new Uint8Array(64)));
  return () => {
    adapter.indicate(datagram);
    if (socket.receive({ timeoutMs: 0 }).result?.status !== 'data')
      throw new Error('not delivered');
  };
}

const operation = setUp();
const run = (n: number) => {
  for (let i = 0; i < n; i++) operation();
};
run(WARM_UP);
const start = process.cpuUsage();
run(count);
const used = process.cpuUsage(start);
process.stdout.write(
  `${which} ${count}: ${(((used.user + used.system) * 1000) / count).toFixed(1)} ns CPU/op (transmitted ${transmitted}, counted ${counted})\n`,
);
// The stack's timers (DAD, MLD, cache ageing) would keep the process alive.
process.exit(0);
