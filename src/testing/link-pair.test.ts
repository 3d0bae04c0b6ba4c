import { describe, expect, it } from 'vitest';
import { createLinkPair } from './link-pair.js';
import { PacketFilter } from '../link/index.js';

describe('createLinkPair', () => {
  it('carries frames both ways on flush, a burst per side per round', () => {
    const pair = createLinkPair();
    const seenByB: number[] = [];
    let bursts = 0;
    pair.b.openBinding(
      {
        receive(ind) {
          seenByB.push(ind.packetSize);
          return 'accepted';
        },
        receiveComplete: () => void bursts++,
      },
      { name: 'echo', packetFilter: PacketFilter.Promiscuous },
    );
    const toB = pair.a.openBinding({ receive: () => 'accepted' }, { name: 'src' });
    const frame = new Uint8Array(60);
    frame.set(pair.b.mac, 0);
    frame.set(pair.a.mac, 6);
    toB.send(frame);
    frame.fill(0); // the wire copied it
    toB.send(new Uint8Array(64).fill(0xff).fill(2, 6, 7));
    expect(seenByB).toEqual([]);
    expect(pair.flush()).toBe(2);
    expect(seenByB).toEqual([46, 50]);
    expect(bursts).toBe(1);
  });

  it('bounds what waits on the wire and counts the drops', () => {
    const pair = createLinkPair({ maxInFlight: 2 });
    for (let i = 0; i < 5; i++) pair.a.send(new Uint8Array(60));
    expect(pair.dropped.aToB).toBe(3);
    expect(pair.flush()).toBe(2);
  });

  it('stops after maxRounds when the two sides keep answering each other', () => {
    const pair = createLinkPair();
    // To broadcast, from an individual source (the adapter drops a group source).
    const broadcast = () => new Uint8Array(60).fill(0xff).fill(2, 6, 7);
    const a = pair.a.openBinding(
      {
        receive() {
          a.send(broadcast());
          return 'accepted';
        },
      },
      { name: 'ping' },
    );
    const b = pair.b.openBinding(
      {
        receive() {
          b.send(broadcast());
          return 'accepted';
        },
      },
      { name: 'pong' },
    );
    a.send(broadcast());
    expect(pair.flush(10)).toBe(10);
  });
});
