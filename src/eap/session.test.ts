// The session's drop counts are bounded (docs/seeds.md, 001 Bounds): a
// method may name its 722 discards freely (`invalidPacket(reason)`), so a
// peer that provokes a new reason with every packet must not grow the map.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { EapCode, EapType, encodeEap } from '../wire/eap.js';
import {
  EapAuthenticator,
  EapMethodFlag,
  invalidPacket,
  type EapMethod,
  type EapSessionResult,
} from './index.js';

/** A method that sends one Request, then discards every Response with a reason of its own. */
function discardingMethod(reasonFor: (call: number) => string): EapMethod<{ calls: number }> {
  return {
    info: {
      type: 200,
      name: 'discarding',
      flags: EapMethodFlag.Authenticator,
    },
    begin: () => ({ calls: 0 }),
    end: () => {},
    makeMessage(ws, received) {
      ws.calls++;
      if (received === null)
        return {
          action: 'send-with-timeout',
          packet: { code: EapCode.Request, identifier: 11, type: 200, typeData: new Uint8Array(0) },
        };
      return invalidPacket(reasonFor(ws.calls));
    },
  };
}

const response = (identifier: number, type: number, data = new Uint8Array(0)) =>
  encodeEap({ code: EapCode.Response, identifier, type, typeData: data });

describe('EAP session drop counts', () => {
  it('name at most 32 distinct reasons; further new ones are counted as other, and the total stays exact', () => {
    const results: EapSessionResult[] = [];
    const auth = new EapAuthenticator({
      clock: new VirtualClock(),
      methods: [discardingMethod((call) => `reason ${call}`)],
      initialIdentifier: 10,
      send: () => {},
      onResult: (result) => results.push(result),
    });
    auth.start();
    auth.receive(response(10, EapType.Identity, new TextEncoder().encode('bob')));
    const discarded = 40;
    for (let i = 0; i < discarded; i++) auth.receive(response(11, 200));
    // A reason already named keeps its own count even past the bound.
    const repeated = new EapAuthenticator({
      clock: new VirtualClock(),
      methods: [discardingMethod((call) => (call <= 34 ? `reason ${call}` : 'reason 2'))],
      initialIdentifier: 10,
      send: () => {},
    });
    repeated.start();
    repeated.receive(response(10, EapType.Identity, new TextEncoder().encode('bob')));
    for (let i = 0; i < 35; i++) repeated.receive(response(11, 200));

    const dropped = auth.stats().dropped;
    expect(results).toEqual([]); // 722 never ends the session
    expect(Object.keys(dropped)).toHaveLength(33);
    expect(Object.keys(dropped).filter((k) => k.startsWith('method:'))).toHaveLength(32);
    expect(dropped['other']).toBe(discarded - 32);
    expect(auth.stats().droppedTotal).toBe(discarded);
    expect(repeated.stats().dropped['method:reason 2']).toBe(3);
    expect(repeated.stats().dropped['other']).toBe(1);
  });
});
