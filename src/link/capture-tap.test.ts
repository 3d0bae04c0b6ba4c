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
    toA.set(pair.b.mac, 6);
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

describe('openCaptureTap: dropped frames', () => {
  it('sees runts, giants and frames the controlled port held back, in and out, with the reason', () => {
    const pair = createLinkPair();
    const seen: string[] = [];
    const tap = openCaptureTap(pair.a, (frame, direction, _oob, dropped) =>
      seen.push(`${direction}:${frame.length}:${dropped ?? '-'}`),
    );
    pair.a.controlledPort.setMode('per-mac');
    const fromB = new Uint8Array(60);
    fromB.set(pair.a.mac, 0);
    fromB.set(pair.b.mac, 6);
    fromB[12] = 0x08; // IPv4 from an unauthorised MAC
    pair.a.indicateBurst([new Uint8Array(10), new Uint8Array(1600), fromB]);
    const toB = new Uint8Array(60);
    toB.set(pair.b.mac, 0);
    toB[12] = 0x08;
    expect(pair.a.send(toB)).toBe(false);
    pair.a.controlledPort.authorize(pair.b.mac);
    pair.a.indicate(fromB);
    expect(pair.a.send(toB)).toBe(true);
    expect(seen).toEqual([
      'in:10:runt',
      'in:1600:giant',
      'in:60:unauthorized',
      'out:60:unauthorized',
      'in:60:-',
      'out:60:-',
    ]);
    expect(tap.stats()).toEqual({ received: 4, sent: 2, listenerErrors: 0 });
  });
});
