import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NetrxError } from '../runtime/index.js';
import { VirtualClock } from '../testing/index.js';
import { parseIpv4Address } from '../wire/index.js';
import { UdpSockets, type UdpSendResult } from './udp-socket.js';

const code = (action: () => unknown): string | undefined => {
  try {
    action();
  } catch (error) {
    return (error as NetrxError).code ?? (error as Error).name;
  }
  return undefined;
};

function table(maxQueued?: number) {
  const clock = new VirtualClock();
  const sockets = new UdpSockets({ clock, ...(maxQueued === undefined ? {} : { maxQueued }) });
  const sent: unknown[][] = [];
  sockets.transport = {
    sendUdp4: (...args): UdpSendResult => {
      sent.push(args);
      return 'sent';
    },
    sendUdp6: (...args): UdpSendResult => {
      sent.push(args);
      return 'queued';
    },
  };
  return { clock, sockets, sent };
}

describe('UdpSockets: binding', () => {
  it('refuses a port in use with ERR_LINK_PORT_IN_USE, wildcards included', () => {
    const { sockets } = table();
    sockets.bind({ port: 53, address: '10.0.0.1' });
    expect(code(() => sockets.bind({ port: 53, address: '10.0.0.1' }))).toBe(
      'ERR_LINK_PORT_IN_USE',
    );
    expect(code(() => sockets.bind({ port: 53 }))).toBe('ERR_LINK_PORT_IN_USE');
    expect(code(() => sockets.bind({ port: 53, address: '0.0.0.0' }))).toBe('ERR_LINK_PORT_IN_USE');
    // Another address, or the other family, is fine.
    sockets.bind({ port: 53, address: '10.0.0.2' });
    sockets.bind({ port: 53, address: '::' });
    expect(code(() => sockets.bind({ port: 53, address: 'fe80::1' }))).toBe('ERR_LINK_PORT_IN_USE');
    expect(sockets.size).toBe(3);
  });

  it('frees the port on close and picks ephemeral ports for port 0', () => {
    const { sockets } = table();
    const first = sockets.bind({ port: 0 });
    const second = sockets.bind();
    expect(first.port).toBe(49152);
    expect(second.port).toBe(49153);
    first.close();
    expect(sockets.bind({ port: 49152 }).port).toBe(49152);
  });

  it('validates ports and addresses', () => {
    const { sockets } = table();
    expect(() => sockets.bind({ port: 70000 })).toThrow(RangeError);
    expect(() => sockets.bind({ port: 1.5 })).toThrow(RangeError);
    expect(() => sockets.bind({ address: '10.0.0' })).toThrow(TypeError);
    expect(() => sockets.bind({ address: 'fe80::1::2' })).toThrow(TypeError);
  });

  it('demultiplexes by family, address and port', () => {
    const { sockets } = table();
    const one = sockets.bind({ port: 9, address: '10.0.0.1' });
    const six = sockets.bind({ port: 9, address: '::' });
    expect(sockets.lookup4(0x0a000001, 9)).toBe(one);
    expect(sockets.lookup4(0x0a000002, 9)).toBeUndefined();
    expect(sockets.lookup4(0x0a000001, 10)).toBeUndefined();
    const packet = new Uint8Array(40);
    packet[24] = 0xfe;
    expect(sockets.lookup6(packet, 24, 9)).toBe(six);
    const any = sockets.bind({ port: 11 });
    expect(sockets.lookup4(0x0a000002, 11)).toBe(any);
    expect(sockets.lookup6(packet, 24, 11)).toBe(any);
  });
});

describe('UdpSocket: receive, send, close', () => {
  it('completes posted receives with the datagram and meta (a copy of the bytes)', () => {
    const { sockets } = table();
    const socket = sockets.bind({ port: 7 });
    const op = socket.receive();
    const bytes = Uint8Array.of(0, 1, 2, 3, 4);
    expect(sockets.deliver4(0x0a000002, 5000, 0x0a000001, 7, bytes, 1, 4)).toBe('delivered');
    bytes.fill(9);
    expect(op.result).toEqual({
      status: 'data',
      data: Uint8Array.of(1, 2, 3),
      meta: { address: '10.0.0.2', port: 5000, family: 4 },
      more: false,
    });
  });

  it('bounds the receive queue and counts drops', () => {
    const { sockets } = table(2);
    const socket = sockets.bind({ port: 7 });
    const results = [1, 2, 3].map(() => sockets.deliver4(1, 1, 1, 7, Uint8Array.of(1), 0, 1));
    expect(results).toEqual(['delivered', 'delivered', 'queue-full']);
    expect(socket.stats()).toMatchObject({ received: 2, dropped: 1, queuedItems: 2 });
    expect(sockets.queueDrops).toBe(1);
  });

  it('completes waiting receives disconnected on close, and refuses sends after', async () => {
    const { sockets } = table();
    const socket = sockets.bind({ port: 7 });
    const op = socket.receive();
    socket.close();
    socket.close();
    const result = await op.done;
    expect(result.status).toBe('disconnected');
    expect(result.status === 'disconnected' && result.error.code).toBe('ERR_LINK_SOCKET_CLOSED');
    expect(socket.receive().result?.status).toBe('disconnected');
    expect(code(() => socket.send(Uint8Array.of(1), { address: '10.0.0.2', port: 1 }))).toBe(
      'ERR_LINK_SOCKET_CLOSED',
    );
    expect(sockets.size).toBe(0);
  });

  it('sends through the transport of the destination family and counts it', () => {
    const { sockets, sent } = table();
    const socket = sockets.bind({ port: 7 });
    expect(socket.send(Uint8Array.of(1, 2), { address: '10.0.0.2', port: 99 })).toBe('sent');
    expect(socket.send(Uint8Array.of(1), { address: 'fe80::2', port: 99 })).toBe('queued');
    expect(sent[0]).toEqual([undefined, 7, 0x0a000002, 99, Uint8Array.of(1, 2)]);
    expect(socket.stats()).toMatchObject({ sent: 2, sentBytes: 3 });
    const v4only = sockets.bind({ port: 8, address: '10.0.0.1' });
    expect(() => v4only.send(Uint8Array.of(1), { address: 'fe80::2', port: 1 })).toThrow(TypeError);
    expect(() => socket.send(Uint8Array.of(1), { address: '10.0.0.2', port: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('UdpSocket: the parsed-destination cache', () => {
  it('sends each datagram to the address it names, whatever was sent before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('10.0.0.2', '10.0.0.3', '192.168.1.200'), { maxLength: 12 }),
        (addresses) => {
          const { sockets, sent } = table();
          const socket = sockets.bind({ port: 7 });
          for (const address of addresses) socket.send(Uint8Array.of(1), { address, port: 9 });
          expect(sent.map((s) => s[2])).toEqual(addresses.map((a) => parseIpv4Address(a)));
          // A bad address is still refused right after a cached good one.
          expect(() => socket.send(Uint8Array.of(1), { address: '10.0.0.256', port: 9 })).toThrow(
            TypeError,
          );
        },
      ),
    );
  });
});

describe('UdpSocket: datagram semantics (defect 11)', () => {
  /** A Uint8Array that counts the copies made of it. */
  class CountingBytes extends Uint8Array {
    static copies = 0;
    override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
      CountingBytes.copies++;
      return Uint8Array.from(this.subarray(start, end));
    }
  }

  it('checks for room before it copies the payload', () => {
    const { sockets } = table(1);
    const socket = sockets.bind({ port: 7 });
    const bytes = new CountingBytes(64);
    CountingBytes.copies = 0;
    expect(sockets.deliver4(0x0a000002, 1, 0x0a000001, 7, bytes, 0, 64)).toBe('delivered');
    expect(CountingBytes.copies).toBe(1);
    expect(sockets.deliver4(0x0a000002, 1, 0x0a000001, 7, bytes, 0, 64)).toBe('queue-full');
    expect(sockets.deliver6(bytes, 1, 7, 0, 64)).toBe('queue-full');
    expect(CountingBytes.copies).toBe(1);
    expect(socket.stats()).toMatchObject({ received: 1, dropped: 2, droppedBytes: 128 });
  });

  it('truncates a datagram larger than the posted buffer and says so; the rest is gone', () => {
    const { sockets } = table();
    const socket = sockets.bind({ port: 7 });
    const small = socket.receive({ buffer: new Uint8Array(2) });
    sockets.deliver4(0x0a000002, 5000, 0x0a000001, 7, Uint8Array.of(1, 2, 3, 4, 5), 0, 5);
    sockets.deliver4(0x0a000002, 5000, 0x0a000001, 7, Uint8Array.of(6, 7), 0, 2);
    expect(small.result).toEqual({
      status: 'data',
      data: Uint8Array.of(1, 2),
      meta: { address: '10.0.0.2', port: 5000, family: 4 },
      more: false,
      truncated: true,
    });
    // The next receive gets the next datagram, not the rest of the first.
    const next = socket.receive({ buffer: new Uint8Array(8) });
    expect(next.result).toMatchObject({ status: 'data', data: Uint8Array.of(6, 7), more: false });
    expect(next.result).not.toHaveProperty('truncated');
    expect(socket.stats()).toMatchObject({ truncated: 1, truncatedBytes: 3, queuedItems: 0 });
  });

  it('truncates a queued datagram the same way when the receive comes later', () => {
    const { sockets } = table();
    const socket = sockets.bind({ port: 7 });
    sockets.deliver4(0x0a000002, 5000, 0x0a000001, 7, Uint8Array.of(1, 2, 3), 0, 3);
    const op = socket.receive({ buffer: new Uint8Array(1) });
    expect(op.result).toMatchObject({ status: 'data', data: Uint8Array.of(1), truncated: true });
    expect(socket.stats().queuedItems).toBe(0);
  });
});
