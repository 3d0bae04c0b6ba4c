/**
 * A UDP round-robin relay for bench/cluster: what an access point failing
 * over between RADIUS servers on every round looks like. Each client
 * (address and port) gets its own upstream socket, so answers find their
 * way back, and its own turn counter, so consecutive rounds of one
 * conversation go to consecutive servers (as the issue 16 interop test's
 * forwarder does). It runs in the generator's process: its CPU is the
 * generator's, and the in-memory comparison goes through it too.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface RoundRobinRelay {
  readonly port: number;
  close(): Promise<void>;
}

export async function startRoundRobinRelay(ports: readonly number[]): Promise<RoundRobinRelay> {
  if (ports.length === 0) throw new RangeError('a relay needs at least one server');
  const front = createSocket('udp4');
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  front.on('error', () => {});
  const upstreams = new Map<string, { socket: Socket; turn: number }>();
  front.on('message', (message, from) => {
    const key = `${from.address}:${from.port}`;
    let upstream = upstreams.get(key);
    if (upstream === undefined) {
      // Unbound: the first send binds it to a free port.
      const socket = createSocket('udp4');
      socket.on('error', () => {});
      socket.on('message', (answer) => front.send(answer, from.port, from.address));
      upstream = { socket, turn: 0 };
      upstreams.set(key, upstream);
    }
    const port = ports[upstream.turn++ % ports.length] as number;
    upstream.socket.send(message, port, '127.0.0.1');
  });
  const closed = (socket: Socket) =>
    new Promise<void>((resolve) => {
      socket.close(() => resolve());
    });
  return {
    port: front.address().port,
    close: async () => {
      await Promise.all([...upstreams.values()].map((u) => closed(u.socket)));
      await closed(front);
    },
  };
}
