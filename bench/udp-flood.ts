/**
 * A child process for bench/link: sends `count` datagrams of `size` bytes to
 * 127.0.0.1:`port` in batches, as fast as the socket takes them, then exits.
 * Loopback only.
 */
import { createSocket } from 'node:dgram';

const [port, count, size, prefix] = process.argv.slice(2).map(Number);
if (!port || !count || !size) {
  process.stderr.write('usage: udp-flood PORT COUNT SIZE [VXLAN-PREFIX 0|1]\n');
  process.exit(2);
}
const socket = createSocket('udp4');
const datagram = Buffer.alloc(size);
if (prefix === 1) {
  // A VXLAN header (I flag, VNI 42) and an Ethernet header for 02:00:00:00:00:99 (not the receiver).
  datagram.set([0x08, 0, 0, 0, 0, 0, 42, 0], 0);
  datagram.set([2, 0, 0, 0, 0, 0x99, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 8);
}
let sent = 0;
function batch(): void {
  for (let i = 0; i < 64 && sent < count!; i++, sent++) socket.send(datagram, port, '127.0.0.1');
  if (sent < count!) setImmediate(batch);
  else setTimeout(() => socket.close(), 50);
}
batch();
