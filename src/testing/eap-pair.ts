import type { Clock } from '../runtime/index.js';
import {
  EapAuthenticator,
  EapPeer,
  type EapAuthenticatorOptions,
  type EapPeerOptions,
} from '../eap/index.js';

export type EapDirection = 'to-peer' | 'to-authenticator';

export interface EapWireRecord {
  readonly direction: EapDirection;
  /** When it was sent, by the pair's clock. */
  readonly at: number;
  readonly bytes: Uint8Array;
}

export interface EapPairOptions {
  readonly clock: Clock;
  readonly peer: Omit<EapPeerOptions, 'send'>;
  readonly authenticator: Omit<EapAuthenticatorOptions, 'send' | 'clock'>;
  /** Queued packets kept per direction before the oldest is dropped (and counted); default 256. */
  readonly maxQueued?: number;
}

export interface EapPair {
  readonly peer: EapPeer;
  readonly authenticator: EapAuthenticator;
  /** Packets sent and not yet delivered (copies: the senders reuse their buffers). */
  readonly queued: { readonly [D in EapDirection]: readonly Uint8Array[] };
  /** Everything either side sent, in order. */
  readonly wire: readonly EapWireRecord[];
  /** Packets dropped because a queue was full. */
  readonly overflowed: number;
  /** Delivers the oldest packet queued in `direction`; false if there was none. */
  deliver(direction: EapDirection): boolean;
  /** Throws away the oldest packet queued in `direction` (a lossy link); false if there was none. */
  drop(direction: EapDirection): boolean;
  /** Delivers both ways, oldest first, until nothing is queued or `maxPackets` were delivered. */
  flush(maxPackets?: number): number;
}

/**
 * An EAP peer and a standalone authenticator joined by an in-memory link that
 * delivers only when the test says (`deliver`, `flush`) and can lose packets
 * (`drop`), so retransmission and duplicate handling are testable on a
 * virtual clock. The authenticator is not started: call
 * `pair.authenticator.start()`.
 */
export function createEapPair(options: EapPairOptions): EapPair {
  const maxQueued = options.maxQueued ?? 256;
  const queues: Record<EapDirection, Uint8Array[]> = { 'to-peer': [], 'to-authenticator': [] };
  const wire: EapWireRecord[] = [];
  let overflowed = 0;
  const sender = (direction: EapDirection) => (bytes: Uint8Array) => {
    // Deliberate copy: the sender's bytes are a view of its send buffer.
    const copy = bytes.slice();
    wire.push({ direction, at: options.clock.now(), bytes: copy });
    const queue = queues[direction];
    if (queue.length >= maxQueued) {
      queue.shift();
      overflowed++;
    }
    queue.push(copy);
  };
  const peer = new EapPeer({ ...options.peer, send: sender('to-authenticator') });
  const authenticator = new EapAuthenticator({
    ...options.authenticator,
    clock: options.clock,
    send: sender('to-peer'),
  });
  const pair: EapPair = {
    peer,
    authenticator,
    queued: queues,
    wire,
    get overflowed() {
      return overflowed;
    },
    deliver(direction) {
      const bytes = queues[direction].shift();
      if (bytes === undefined) return false;
      if (direction === 'to-peer') peer.receive(bytes);
      else authenticator.receive(bytes);
      return true;
    },
    drop(direction) {
      return queues[direction].shift() !== undefined;
    },
    flush(maxPackets = 1000) {
      let delivered = 0;
      while (delivered < maxPackets) {
        const direction: EapDirection | undefined =
          queues['to-peer'].length > 0
            ? 'to-peer'
            : queues['to-authenticator'].length > 0
              ? 'to-authenticator'
              : undefined;
        if (direction === undefined) break;
        pair.deliver(direction);
        delivered++;
      }
      return delivered;
    },
  };
  return pair;
}
