import { describe, expect, it } from 'vitest';
import type { StreamMessage } from './ports.js';
import { UnackedMessages } from './reader-acks.js';

function message(seq: number, log: string[]): StreamMessage {
  return {
    subject: 'netrx.s.h.p',
    data: new Uint8Array(0),
    seq,
    ack: () => log.push(`ack ${seq}`),
    nak: () => log.push(`nak ${seq}`),
  };
}

describe('UnackedMessages', () => {
  it('acks as events leave; a message none of whose events were queued at once when it is the newest, else in order', () => {
    const log: string[] = [];
    const unacked = new UnackedMessages();
    const first = unacked.add(message(1, log));
    first.remaining = first.queued = 2;
    unacked.handedOver(first);
    // Nothing of the second was queued (filtered): no event of it waits, so it is acked now.
    const second = unacked.add(message(2, log));
    unacked.handedOver(second);
    expect(log).toEqual(['ack 2']);
    // The third is still filling when the fourth comes (it waited in the pull window).
    const third = unacked.add(message(3, log));
    const fourth = unacked.add(message(4, log));
    fourth.remaining = fourth.queued = 1;
    unacked.handedOver(fourth);
    unacked.handedOver(third);
    expect(unacked.has(3)).toBe(true);
    unacked.delivered(1);
    expect(log).toEqual(['ack 2']);
    unacked.delivered(1);
    // The first's last event left: it and the empty third behind it are acked, in order.
    expect(log).toEqual(['ack 2', 'ack 1', 'ack 3']);
    unacked.delivered(1);
    expect(log).toEqual(['ack 2', 'ack 1', 'ack 3', 'ack 4']);
    expect(unacked.size).toBe(0);
  });

  it('on close, a partly delivered message is handed to the reader (not acked) and one none of whose events left is given back', () => {
    const log: string[] = [];
    const forgotten: number[] = [];
    const partlyDelivered: number[] = [];
    const unacked = new UnackedMessages();
    const partly = unacked.add(message(1, log));
    partly.remaining = partly.queued = 3;
    unacked.handedOver(partly);
    const untouched = unacked.add(message(2, log));
    untouched.remaining = untouched.queued = 4;
    unacked.handedOver(untouched);
    unacked.delivered(1);
    expect(
      unacked.release(
        (m) => forgotten.push(m.seq),
        (m) => partlyDelivered.push(m.seq),
      ),
    ).toBe(4);
    expect(log).toEqual(['nak 2']);
    expect(forgotten).toEqual([2]);
    expect(partlyDelivered).toEqual([1]);
    expect(unacked.size).toBe(0);
    expect(unacked.has(1)).toBe(false);
  });
});
