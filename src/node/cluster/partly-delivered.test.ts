import { describe, expect, it } from 'vitest';
import { PartlyDelivered } from './partly-delivered.js';
import type { StreamMessage } from './ports.js';

function message(seq: number, acks: number[]): StreamMessage {
  return {
    subject: 'netrx.lab.lab-1.p',
    data: new Uint8Array(),
    seq,
    ack: () => acks.push(seq),
    nak: () => undefined,
  };
}

describe('PartlyDelivered: a message partly delivered at a close is acked once its rest reached a client', () => {
  it('acks once the loss counted before the close reached the client, even while later loss waits', () => {
    const acks: number[] = [];
    const parts = new PartlyDelivered();
    parts.add(message(7, acks), 2); // Two tracked units were counted before the close.
    parts.opened();
    // One of those two delivered, 1 tracked unit waits, and the session holds 1: not yet.
    parts.reached(1, 1, 1);
    expect(acks).toEqual([]);
    // Both delivered; a later report's unit waits (1 tracked), the session holds 2: the rest
    // may still be before that unit.
    parts.reached(2, 1, 2);
    expect(acks).toEqual([]);
    // The session holds only the later report's unit: the rest reached the client.
    parts.reached(2, 1, 1);
    expect(acks).toEqual([7]);
    parts.reached(3, 0, 0);
    expect(acks).toEqual([7]);
  });

  it('before the next open only a delivery with nothing waiting acks (the rest is in that open)', () => {
    const acks: number[] = [];
    const parts = new PartlyDelivered();
    parts.add(message(3, acks), 0);
    parts.reached(0, 1, 1);
    expect(acks).toEqual([]);
    parts.reached(1, 0, 0);
    expect(acks).toEqual([3]);
  });

  it('acks the redelivered copy', () => {
    const first: number[] = [];
    const again: number[] = [];
    const parts = new PartlyDelivered();
    parts.add(message(5, first), 0);
    expect(parts.redelivered(message(5, again))).toBe(true);
    expect(parts.redelivered(message(6, again))).toBe(false);
    parts.reached(0, 0, 0);
    expect({ first, again }).toEqual({ first: [], again: [5] });
  });
});
