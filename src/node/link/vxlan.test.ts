import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes/index.js';
import { VxlanLink } from './vxlan.js';

const MAC = fromHex('02 00 00 00 00 02');
const ARP = fromHex(
  'ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01 02 00 00 00 00 01 0a c8 00 01 00 00 00 00 00 00 0a c8 00 02',
);
const vxlanHeader = (vni: number, flags = 0x08) =>
  Uint8Array.of(flags, 0, 0, 0, vni >> 16, (vni >> 8) & 0xff, vni & 0xff, 0);

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
});

async function peerSocket(): Promise<{
  socket: Socket;
  port: number;
  next: () => Promise<Buffer>;
}> {
  const socket = createSocket('udp4');
  const inbox: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  socket.on('message', (m: Buffer) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else inbox.push(m);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  open.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
  return {
    socket,
    port: socket.address().port,
    next: () =>
      new Promise<Buffer>((resolve) =>
        inbox.length > 0 ? resolve(inbox.shift()!) : waiters.push(resolve),
      ),
  };
}

describe('VxlanLink over loopback UDP', () => {
  it('indicates inner frames for its VNI, completes once per burst, drops the rest with reasons', async () => {
    const peer = await peerSocket();
    const link = new VxlanLink({
      bind: { address: '127.0.0.1', port: 0 },
      remote: { address: '127.0.0.1', port: peer.port },
      vni: 42,
      timestamps: true,
      mac: MAC,
    });
    open.push(link);
    const { port } = await link.start();
    const frames: string[] = [];
    let completes = 0;
    let sawTimestamp = false;
    let sawVerified: boolean | undefined;
    link.adapter.openBinding(
      {
        receive(ind) {
          frames.push(toHex(ind.header));
          sawTimestamp = typeof ind.oob.timestamp === 'number';
          sawVerified = ind.oob.checksumVerified?.udp;
          return 'accepted';
        },
        receiveComplete: () => void completes++,
      },
      { name: 'arp' },
    );
    const done = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (link.stats().datagrams >= 5 && completes > 0) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const send = (bytes: Uint8Array) => peer.socket.send(bytes, port, '127.0.0.1');
    send(Buffer.concat([vxlanHeader(42), ARP]));
    send(Buffer.concat([vxlanHeader(42), ARP]));
    send(Buffer.concat([vxlanHeader(43), ARP]));
    send(Buffer.concat([vxlanHeader(42, 0x00), ARP]));
    send(vxlanHeader(42));
    await done;
    expect(frames).toEqual([toHex(ARP.subarray(0, 14)), toHex(ARP.subarray(0, 14))]);
    expect(sawTimestamp).toBe(true);
    expect(sawVerified).toBeUndefined();
    expect(link.stats().dropped).toEqual({
      short: 1,
      noIFlag: 1,
      otherVni: 1,
      oversize: 0,
      notStarted: 0,
    });
    expect(completes).toBeGreaterThanOrEqual(1);
    expect(completes).toBeLessThanOrEqual(2);
  });

  it('sends frames with the VXLAN header to the configured remote port, and refuses oversize frames', async () => {
    const peer = await peerSocket();
    const link = new VxlanLink({
      bind: { address: '127.0.0.1', port: 0 },
      remote: { address: '127.0.0.1', port: peer.port },
      vni: 0x123456,
      mac: MAC,
      trustInnerChecksums: true,
    });
    open.push(link);
    await link.start();
    link.adapter.send(ARP);
    const datagram = await peer.next();
    expect(toHex(datagram.subarray(0, 8))).toBe('0800000012345600');
    expect(toHex(datagram.subarray(8))).toBe(toHex(ARP));
    link.adapter.send(new Uint8Array(1450 + 14 + 5));
    expect(link.stats()).toMatchObject({ sent: 1, dropped: { oversize: 1 } });
  });

  it('reports a bind failure in one line', async () => {
    const peer = await peerSocket();
    const link = new VxlanLink({
      bind: { address: '127.0.0.1', port: peer.port },
      remote: { address: '127.0.0.1', port: 1 },
      vni: 1,
      mac: MAC,
    });
    await expect(link.start()).rejects.toThrow(
      `cannot bind UDP 127.0.0.1:${peer.port}: EADDRINUSE`,
    );
    expect(
      () =>
        new VxlanLink({
          bind: { address: '127.0.0.1', port: 0 },
          remote: { address: '127.0.0.1', port: 1 },
          vni: 1 << 24,
          mac: MAC,
        }),
    ).toThrow(RangeError);
  });
});
