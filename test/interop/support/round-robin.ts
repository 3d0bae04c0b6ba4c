/**
 * A NAS failing over between RADIUS servers on every round: a UDP relay
 * that sends each datagram eapol_test sends it to the next server (round
 * robin) from one socket, and relays the answers back. The same relay as
 * the cluster suites', for
 * servers named by id and port (the radius-cluster-*-eapol-test suites).
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
  /** The server each request went to, in order. */
  readonly order: string[] = [];
  /**
   * Called with each answer's State owner and RADIUS code before it is
   * relayed; a promise it returns holds that answer until it settles (so a
   * test can act between two rounds of one conversation).
   */
  onAnswer: (owner: string | undefined, code: number) => void | Promise<unknown> = () => {};

  constructor(servers: readonly RelayTarget[]) {
    this.live = [...servers];
    this.front.on('message', (message, rinfo) => {
      this.peer = { address: rinfo.address, port: rinfo.port };
      if (this.live.length === 0) return;
      const server = this.live[this.next++ % this.live.length] as RelayTarget;
      this.perServer.set(server.id, (this.perServer.get(server.id) ?? 0) + 1);
      this.order.push(server.id);
      this.back.send(message, server.port, '127.0.0.1');
    });
    this.back.on('message', (message) => {
      const relay = () => {
        if (this.peer !== undefined) this.front.send(message, this.peer.port, this.peer.address);
      };
      const hold = this.onAnswer(stateOwner(message), message[0] ?? 0);
      if (hold === undefined) relay();
      else void hold.finally(relay);
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

/** The server id a netrx State names (`c ‖ length ‖ id ‖ random`), if it has one. */
export function stateOwner(datagram: Uint8Array): string | undefined {
  let at = 20;
  while (at + 2 <= datagram.length) {
    const type = datagram[at] as number;
    const size = datagram[at + 1] as number;
    if (size < 2) return undefined;
    if (type === 24 && datagram[at + 2] === 0x63) {
      const length = datagram[at + 3] as number;
      return String.fromCharCode(...datagram.subarray(at + 4, at + 4 + length));
    }
    at += size;
  }
  return undefined;
}
