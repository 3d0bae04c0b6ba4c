/**
 * A capture host in this process for the capture interop tests: a netrx
 * stack (10.0.0.2) on adapter `b` of an in-memory link pair, the real
 * packet-capture provider of netrx/link tapping `b`, an event session fed
 * by it, and the LREC RPC server on loopback in front of the session table.
 * The test plays the peer on adapter `a` (ARP, ping of many sizes, UDP to a
 * closed port), so frames flow both ways through `b` and its stack answers
 * them. `seen` is every frame `b`'s own capture tap saw, whole, from the
 * moment a client opened the session: the ground truth a capture is
 * compared with.
 */
import {
  PACKET_CAPTURE_PROVIDER_NAME,
  createStack,
  openCaptureTap,
  openPacketCaptureProvider,
} from '../../../src/link/index.js';
import { SessionTable, type SessionLimits } from '../../../src/capture/index.js';
import {
  startLrecTcpServer,
  startLrecWsServer,
  type LrecWsNodeServer,
} from '../../../src/node/capture/index.js';
import { nodeCrypto, systemClock } from '../../../src/node/runtime/index.js';
import { TraceRegistry } from '../../../src/trace/index.js';
import {
  arpPacket,
  createLinkPair,
  ethernetFrame,
  icmpv4Echo,
  ipv4Datagram,
  udp4,
} from '../../../src/testing/index.js';

export const PEER = { mac: '02:00:00:00:00:0a', ip: '10.0.0.1' } as const;
export const HOST = { mac: '02:00:00:00:00:0b', ip: '10.0.0.2' } as const;

export interface SeenFrame {
  readonly data: Uint8Array;
  readonly direction: 'in' | 'out';
}

export interface CaptureLab {
  readonly url: string;
  /** The WebSocket server's ws:// or wss:// URL, when started with `ws`. */
  readonly wsUrl: string | undefined;
  /** Upgrades the WebSocket server refused for a wrong or missing token. */
  unauthorized(): number;
  readonly session: string;
  readonly seen: SeenFrame[];
  /** Sessions opened now (1 while a client holds the handle). */
  openHandles(): number;
  /** Handles the RPC server ran down because their connection dropped (0 after clean closes). */
  rundowns(): number;
  /** One round of traffic: `count` exchanges (ARP, ping of a size from `sizes`, UDP), flushed through. */
  traffic(count: number): void;
  close(): Promise<void>;
}

const SIZES = [0, 18, 56, 100, 200, 600, 1000, 1472];

export async function startCaptureLab(
  session = 'netrx-ce',
  limits: Partial<SessionLimits> = { timerMs: 100 },
  ws?: { readonly token: string; readonly tls?: { cert: Uint8Array; key: Uint8Array } },
): Promise<CaptureLab> {
  const clock = systemClock;
  const registry = new TraceRegistry({ clock });
  const table = new SessionTable({ registry, clock });
  const provider = openPacketCaptureProvider({ registry });
  const pair = createLinkPair({
    a: { mac: Uint8Array.from(PEER.mac.split(':').map((h) => parseInt(h, 16))) },
    b: { mac: Uint8Array.from(HOST.mac.split(':').map((h) => parseInt(h, 16))) },
  });
  const stack = createStack({
    adapter: pair.b,
    clock,
    crypto: nodeCrypto,
    ipv4: [{ address: HOST.ip, prefixLength: 24 }],
    ipv6LinkLocal: false,
  });
  pair.flush(); // the stack's gratuitous ARP, before anyone captures
  const detach = provider.attach(pair.b, 7);
  const events = table.createSession({
    name: session,
    providers: [{ provider: PACKET_CAPTURE_PROVIDER_NAME, level: 0 }],
    limits,
  });
  events.start();
  const seen: SeenFrame[] = [];
  const truth = openCaptureTap(pair.b, (frame, direction) => {
    // Copied: the frame is valid only during the call.
    if (table.stats().openHandles > 0) seen.push({ data: frame.slice(), direction });
  });
  const server = await startLrecTcpServer({
    table,
    port: 0,
    insecureNoAuth: true,
    onConnectionClosed: () => {
      if (events.state === 'Stopped') events.start();
    },
  });
  let wsServer: LrecWsNodeServer | undefined;
  if (ws !== undefined) {
    wsServer = await startLrecWsServer({
      table,
      port: 0,
      token: ws.token,
      ...(ws.tls === undefined ? {} : { tls: ws.tls }),
      onConnectionClosed: () => {
        if (events.state === 'Stopped') events.start();
      },
    });
  }
  let round = 0;
  return {
    url: `rpc://127.0.0.1:${server.port}`,
    wsUrl: wsServer === undefined ? undefined : `${wsServer.scheme}://127.0.0.1:${wsServer.port}`,
    unauthorized: () => wsServer?.stats().unauthorized ?? 0,
    session,
    seen,
    openHandles: () => table.stats().openHandles,
    rundowns: () => server.stats().rundowns,
    traffic(count) {
      for (let i = 0; i < count; i++, round++) {
        const kind = round % 3;
        const payload =
          kind === 0
            ? arpPacket({ operation: 1, senderMac: PEER.mac, senderIp: PEER.ip, targetIp: HOST.ip })
            : kind === 1
              ? ipv4Datagram({
                  source: PEER.ip,
                  destination: HOST.ip,
                  protocol: 1,
                  identification: round,
                  payload: icmpv4Echo(
                    8,
                    0x4e58,
                    round,
                    new Uint8Array(SIZES[round % SIZES.length] ?? 0).map(
                      (_, j) => (j * 7 + round) & 0xff,
                    ),
                  ),
                })
              : ipv4Datagram({
                  source: PEER.ip,
                  destination: HOST.ip,
                  protocol: 17,
                  identification: round,
                  payload: udp4(PEER.ip, 40000 + round, HOST.ip, 9, new Uint8Array(round % 300)),
                });
        const destination = kind === 0 ? 'ff:ff:ff:ff:ff:ff' : HOST.mac;
        pair.a.send(
          ethernetFrame(destination, PEER.mac, kind === 0 ? 0x0806 : 0x0800, payload, 60),
        );
        pair.flush();
      }
    },
    async close() {
      truth.close();
      detach();
      provider.close();
      stack.close();
      if (events.state === 'Running') events.stop();
      await server.close();
      await wsServer?.close();
    },
  };
}
