/**
 * A NAS failing over between RADIUS servers on every round: a UDP relay
 * that sends each datagram eapol_test sends it to the next server (round
 * robin) from one socket, and relays the answers back. The same relay as
 * the cluster suites' (radius-cluster-eapol-test.test.ts and
 * radius-cluster-kv-eapol-test.test.ts keep their own copies), for
 * servers named by id and port.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface RelayTarget {
  readonly id: string;
  readonly port: number;
}

export class RoundRobin {
  readonly front: Socket = createSocket('udp4');
  private readonly back: Socket = createSocket('udp4');
  private next = 0;
  private peer: { address: string; port: number } | undefined;
  readonly live: RelayTarget[];
  /** Requests relayed to each server, by id. */
  readonly perServer = new Map<string, number>();

  constructor(servers: readonly RelayTarget[]) {
    this.live = [...servers];
    this.front.on('message', (message, rinfo) => {
      this.peer = { address: rinfo.address, port: rinfo.port };
      if (this.live.length === 0) return;
      const server = this.live[this.next++ % this.live.length] as RelayTarget;
      this.perServer.set(server.id, (this.perServer.get(server.id) ?? 0) + 1);
      this.back.send(message, server.port, '127.0.0.1');
    });
    this.back.on('message', (message) => {
      if (this.peer !== undefined) this.front.send(message, this.peer.port, this.peer.address);
    });
  }

  /** Binds both sockets on loopback; resolves with the port eapol_test talks to. */
  async bind(): Promise<number> {
    await new Promise<void>((done) => this.back.bind(0, '127.0.0.1', done));
    await new Promise<void>((done) => this.front.bind(0, '127.0.0.1', done));
    return this.front.address().port;
  }

  close(): void {
    this.front.close();
    this.back.close();
  }
}
