/**
 * The link half of the synthetic traffic: two netrx stacks on an in-memory
 * wire (netrx/testing's link pair, adapters `synthetic-a` and
 * `synthetic-b`, 10.99.99.1/24 and .2/24, no IPv6 link-local so no DAD
 * timers run between rounds). Each round A sends a UDP datagram to B's echo
 * socket (port 7), after ARP the first time, and B sends it back: frames,
 * ARP and UDP on the `netrx-link` provider, counters for `/metrics`.
 * Nothing moves between rounds: the wire is flushed by `round()` only.
 */
import { createStack, type Adapter, type Stack, type UdpSocket } from '../../link/index.js';
import type { Clock } from '../../runtime/index.js';
import { createLinkPair } from '../../testing/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { formatIpv4Address, formatMac } from '../../wire/index.js';
import type { SnapshotNeighbour } from './dashboard-snapshot.js';
import { adapterMetrics } from './link-metrics.js';
import type { MetricFamily } from './metrics.js';

const A = '10.99.99.1';
const B = '10.99.99.2';
const ECHO_PORT = 7;

export interface SyntheticLink {
  /** One datagram out and back; resolves with whether the echo came back. */
  round(): Promise<boolean>;
  readonly echoes: number;
  metrics(): MetricFamily[];
  /** Its two adapters (`synthetic-a`, `synthetic-b`), for the host's packet capture. */
  readonly adapters: readonly Adapter[];
  /** Both stacks' ARP entries now, as NeighborStateChanged names them (the dashboard's snapshot). */
  neighbours(): SnapshotNeighbour[];
  close(): void;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Posts receives on `socket` for as long as it is open, calling `each` per datagram. */
function receiveLoop(
  socket: UdpSocket,
  each: (data: Uint8Array, to: { address: string; port: number }) => void,
): void {
  const next = () => {
    void socket.receive().done.then((completion) => {
      if (completion.status !== 'data') return;
      each(completion.data, completion.meta);
      next();
    });
  };
  next();
}

export function startSyntheticLink(trace: TraceRegistry, clock: Clock): SyntheticLink {
  const mac = (last: number) => Uint8Array.of(2, 0x6e, 0x78, 0x73, 0x79, last);
  const pair = createLinkPair({
    a: { name: 'synthetic-a', mac: mac(1), trace },
    b: { name: 'synthetic-b', mac: mac(2), trace },
  });
  const stack = (adapter: typeof pair.a, address: string): Stack =>
    createStack({
      adapter,
      clock,
      trace,
      ipv4: [{ address, prefixLength: 24 }],
      ipv6LinkLocal: false,
    });
  const a = stack(pair.a, A);
  const b = stack(pair.b, B);
  const echo = b.udp.bind({ port: ECHO_PORT, maxQueued: 16 });
  const client = a.udp.bind({ maxQueued: 16 });
  receiveLoop(echo, (data, from) => echo.send(data, from));
  let echoes = 0;
  receiveLoop(client, () => echoes++);
  pair.flush();
  const payload = new TextEncoder().encode('netrx synthetic echo');
  return {
    adapters: [pair.a, pair.b],
    async round() {
      const before = echoes;
      client.send(payload, { address: B, port: ECHO_PORT });
      // ARP, the datagram, its echo: each answer is written on a later turn.
      for (let i = 0; i < 4 && echoes === before; i++) {
        pair.flush();
        await turn();
      }
      pair.flush();
      return echoes > before;
    },
    get echoes() {
      return echoes;
    },
    neighbours: () =>
      [a, b].flatMap((s) =>
        s.arp.entries().map((entry) => ({
          address: formatIpv4Address(entry.key),
          protocol: 'arp',
          mac: entry.mac === undefined ? '' : formatMac(entry.mac),
          state: entry.state,
        })),
      ),
    metrics() {
      return [pair.a, pair.b].flatMap((adapter): MetricFamily[] => {
        const stats = adapter.stats();
        const labels = { adapter: stats.name };
        return adapterMetrics(stats, labels);
      });
    },
    close() {
      client.close();
      echo.close();
      a.close();
      b.close();
    },
  };
}
