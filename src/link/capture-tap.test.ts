import { describe, expect, it } from 'vitest';
import { createLinkPair } from '../testing/index.js';
import { openCaptureTap } from './capture-tap.js';

describe('openCaptureTap', () => {
  it('sees frames in both directions before bindings and transmit, and survives a throwing listener', () => {
    const pair = createLinkPair();
    const order: string[] = [];
    pair.a.openBinding({ receive: () => (order.push('binding'), 'not-accepted') }, { name: 'x' });
    const tap = openCaptureTap(pair.a, (frame, direction) => {
      order.push(`${direction}:${frame.length}`);
      if (direction === 'out') throw new Error('listener bug');
    });
    const toA = new Uint8Array(20);
    toA.set(pair.a.mac, 0);
    pair.b.send(toA);
    pair.flush();
    pair.a.send(new Uint8Array(30));
    expect(order).toEqual(['in:20', 'binding', 'out:30']);
    expect(pair.flush()).toBe(1); // the throwing listener did not stop the send
    expect(tap.stats()).toEqual({ received: 1, sent: 1, listenerErrors: 1 });
    tap.close();
    tap.close();
    pair.a.send(new Uint8Array(30));
    expect(tap.stats().sent).toBe(1);
  });
});
