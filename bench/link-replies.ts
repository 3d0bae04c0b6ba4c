/**
 * In-process reply rate: ICMP echo requests and ARP requests indicated to a
 * netrx stack, each answered by a reply built into one new buffer and handed
 * to the adapter's transmit. Anchor: copying each request into a fresh
 * buffer and swapping its addresses by hand (the least any reply can cost),
 * so the ratio shows what the stack's checks and bookkeeping add.
 * Targets: >= 1 M replies/s.
 *
 *   npm run bench -- link-replies
 */
import { Adapter, createStack } from '../src/link/index.js';
import { systemClock } from '../src/node/runtime/index.js';
import { arpPacket, ethernetFrame, icmpv4Echo, ipv4Datagram } from '../src/testing/index.js';
import { compare } from './harness.js';

const OWN = '02:00:00:00:00:02';
const PEER = '02:00:00:00:00:01';
let transmitted = 0;
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
const echoRequest = ethernetFrame(
  OWN,
  PEER,
  0x0800,
  ipv4Datagram({
    source: '10.0.0.1',
    destination: '10.0.0.2',
    protocol: 1,
    payload: icmpv4Echo(8, 7, 1, new Uint8Array(56)),
  }),
);
adapter.indicateBurst([arpRequest]); // the peer's MAC is learnt, as after a real ping's ARP

function byHand(request: Uint8Array): void {
  const reply = request.slice();
  reply.copyWithin(0, 6, 12);
  reply.set(request.subarray(0, 6), 6);
  transmitted++;
}

for (const [name, frame] of [
  ['link: ICMP echo replies (56-byte payload)', echoRequest],
  ['link: ARP replies', arpRequest],
] as const) {
  await compare(
    name,
    {
      name: 'netrx stack',
      run(n) {
        for (let i = 0; i < n; i += 64) {
          for (let j = 0; j < 64; j++) adapter.indicate(frame);
          adapter.receiveComplete();
        }
      },
    },
    {
      name: 'copy + swap by hand',
      run(n) {
        for (let i = 0; i < n; i++) byHand(frame);
      },
    },
    500_000,
  );
}
process.stdout.write(
  `(transmitted ${transmitted} frames; stack stats: ${JSON.stringify(stack.stats().ipv4).slice(0, 120)}…)\n`,
);
