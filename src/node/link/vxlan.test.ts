import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../bytes/index.js';
import { LINK_PROVIDER } from '../../link/index.js';
import { decodePayload, TraceRegistry } from '../../trace/index.js';
import { systemClock } from '../runtime/index.js';
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

/**
 * Sends `datagrams` from a connected socket (no address lookup, so each send
 * reaches the kernel synchronously) and then blocks this thread briefly, so
 * that all of them are queued on the link's socket before the event loop
 * polls it again: the link reads them in one turn, a burst.
 */
async function sendBurst(socket: Socket, port: number, datagrams: readonly Uint8Array[]) {
  if (!connected.has(socket)) {
    await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
    connected.add(socket);
  }
  for (const datagram of datagrams) socket.send(datagram);
  // Deliberate block (not a sleep awaiting a timer): the loop must not poll in between.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
}
const connected = new WeakSet<Socket>();

/** Resolves when `predicate` holds, checked every few milliseconds. */
function until(predicate: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
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
    // The completion count each frame saw when it arrived: frames of one burst all see the same.
    const completesSeen: number[] = [];
    let completes = 0;
    let sawTimestamp = false;
    let sawVerified: boolean | undefined;
    link.adapter.openBinding(
      {
        receive(ind) {
          frames.push(toHex(ind.header));
          completesSeen.push(completes);
          sawTimestamp = typeof ind.oob.timestamp === 'number';
          sawVerified = ind.oob.checksumVerified?.udp;
          return 'accepted';
        },
        receiveComplete: () => void completes++,
      },
      { name: 'arp' },
    );
    await sendBurst(peer.socket, port, [
      concat([vxlanHeader(42), ARP]),
      concat([vxlanHeader(42), ARP]),
      concat([vxlanHeader(43), ARP]),
      concat([vxlanHeader(42, 0x00), ARP]),
      vxlanHeader(42),
    ]);
    await until(() => link.stats().datagrams >= 5 && completes > 0);
    // Let a second, wrongly scheduled completion run if there is one.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(frames).toEqual([toHex(ARP.subarray(0, 14)), toHex(ARP.subarray(0, 14))]);
    expect(completesSeen).toEqual([0, 0]);
    expect(completes).toBe(1);
    expect(sawTimestamp).toBe(true);
    expect(sawVerified).toBeUndefined();
    expect(link.stats().dropped).toEqual({
      short: 1,
      noIFlag: 1,
      otherVni: 1,
      foreignSource: 0,
      oversize: 0,
      notStarted: 0,
    });

    // A second burst gets its own completion, exactly one.
    await sendBurst(peer.socket, port, [
      concat([vxlanHeader(42), ARP]),
      concat([vxlanHeader(42), ARP]),
      concat([vxlanHeader(42), ARP]),
    ]);
    await until(() => link.stats().datagrams >= 8 && completes > 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(completesSeen).toEqual([0, 0, 1, 1, 1]);
    expect(completes).toBe(2);
  });

  it('accepts datagrams only from the remote and the allowed sources, from any source port', async () => {
    const peer = await peerSocket();
    const trace = new TraceRegistry({ clock: systemClock });
    const events: Record<string, unknown>[] = [];
    trace.enable(LINK_PROVIDER.name, (event) => {
      if (event.descriptor.name !== 'VxlanSourceRefused') return;
      const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
      if (decoded.ok) events.push({ ...decoded.values });
    });
    const link = new VxlanLink({
      bind: { address: '0.0.0.0', port: 0 },
      remote: { address: '127.0.0.1', port: peer.port },
      allowedSources: ['127.0.0.3'],
      vni: 42,
      mac: MAC,
      trace,
    });
    open.push(link);
    const { port } = await link.start();
    expect(link.allowedSources()).toEqual(['127.0.0.1', '127.0.0.3']);
    const seen: string[] = [];
    link.adapter.openBinding(
      {
        receive(ind) {
          seen.push(toHex(ind.lookahead.subarray(14, 18)));
          return 'accepted';
        },
      },
      { name: 'arp' },
    );
    // An ARP request whose sender IP says who sent it.
    const from = (last: number) => {
      const frame = ARP.slice(); // a copy per sender
      frame[31] = last;
      return concat([vxlanHeader(42), frame]);
    };
    const senders: Socket[] = [];
    for (const address of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.1']) {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, address, resolve));
      open.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
      senders.push(socket);
    }
    for (const [index, socket] of senders.entries()) {
      await new Promise<void>((resolve) =>
        socket.send(from(index + 1), port, '127.0.0.1', () => resolve()),
      );
    }
    await until(() => link.stats().datagrams >= 4);
    // The remote's address from two source ports, and the allowed extra source: not 127.0.0.2.
    expect(seen.sort()).toEqual(['0ac80001', '0ac80003', '0ac80004']);
    expect(link.stats().dropped.foreignSource).toBe(1);
    expect(events).toEqual([
      {
        adapter: 'vxlan42',
        address: '127.0.0.2',
        port: senders[1]!.address().port,
        length: 50,
      },
    ]);
  });

  it('on a dual-stack socket, matches an IPv4 sender in its IPv4-mapped form', async () => {
    const peer = await peerSocket();
    const link = new VxlanLink({
      bind: { address: '::', port: 0 },
      remote: { address: '127.0.0.1', port: peer.port },
      vni: 42,
      mac: MAC,
    });
    open.push(link);
    const { port } = await link.start();
    let frames = 0;
    link.adapter.openBinding(
      {
        receive: () => {
          frames++;
          return 'accepted';
        },
      },
      { name: 'arp' },
    );
    peer.socket.send(concat([vxlanHeader(42), ARP]), port, '127.0.0.1');
    await until(() => link.stats().datagrams >= 1);
    expect(frames).toBe(1);
    expect(link.stats().dropped.foreignSource).toBe(0);
  });

  it('refuses an allowed source that is not an IP address', () => {
    expect(
      () =>
        new VxlanLink({
          bind: { address: '127.0.0.1', port: 0 },
          remote: { address: '127.0.0.1', port: 1 },
          allowedSources: ['vtep.example'],
          vni: 1,
          mac: MAC,
        }),
    ).toThrow(/Allowed VXLAN source must be an IP address: got "vtep.example"/);
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
