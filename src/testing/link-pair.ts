import { Adapter, type AdapterOptions } from '../link/index.js';

export interface LinkPairOptions {
  readonly a?: Partial<Omit<AdapterOptions, 'transmit'>>;
  readonly b?: Partial<Omit<AdapterOptions, 'transmit'>>;
  /** Frames that may wait on the wire per direction; more are dropped and counted. Default 1024. */
  readonly maxInFlight?: number;
}

export interface LinkPair {
  readonly a: Adapter;
  readonly b: Adapter;
  /**
   * Delivers what each side sent, as one burst per side per round (then
   * `receiveComplete`), until nothing is in flight or `maxRounds` is reached.
   * Returns how many frames were delivered.
   */
  flush(maxRounds?: number): number;
  /** Frames dropped because the wire was full. */
  readonly dropped: { readonly aToB: number; readonly bToA: number };
}

/**
 * Two adapters joined by an in-memory wire: what one sends, the other
 * receives when the test calls `flush()`. Nothing happens on its own, so a
 * test controls every interleaving. Frames are copied when sent, as a wire
 * would, so a sender may reuse its buffer at once.
 */
export function createLinkPair(options: LinkPairOptions = {}): LinkPair {
  const limit = options.maxInFlight ?? 1024;
  const toB: Uint8Array[] = [];
  const toA: Uint8Array[] = [];
  const dropped = { aToB: 0, bToA: 0 };
  const a = new Adapter({
    name: 'a',
    mac: Uint8Array.of(2, 0, 0, 0, 0, 0xa),
    ...options.a,
    transmit: (frame) => {
      if (toB.length >= limit) dropped.aToB++;
      else toB.push(frame.slice());
    },
  });
  const b = new Adapter({
    name: 'b',
    mac: Uint8Array.of(2, 0, 0, 0, 0, 0xb),
    ...options.b,
    transmit: (frame) => {
      if (toA.length >= limit) dropped.bToA++;
      else toA.push(frame.slice());
    },
  });
  return {
    a,
    b,
    dropped,
    flush(maxRounds = 100) {
      let delivered = 0;
      for (let round = 0; round < maxRounds && (toA.length > 0 || toB.length > 0); round++) {
        const forB = toB.splice(0);
        const forA = toA.splice(0);
        if (forB.length > 0) b.indicateBurst(forB);
        if (forA.length > 0) a.indicateBurst(forA);
        delivered += forA.length + forB.length;
      }
      return delivered;
    },
  };
}
