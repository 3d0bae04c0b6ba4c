import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { EXPANDED_NAK, EapCode, EapType, encodeEap, expandedNakTypeData } from '../wire/eap.js';
import { EapPeer, createMd5Method, type EapMethod, type EapSessionResult } from './index.js';

function peer(
  methods: EapMethod[] = [createMd5Method({ crypto: nodeCrypto })],
  allowNotifications?: boolean,
) {
  const sent: string[] = [];
  const notes: string[] = [];
  const results: EapSessionResult[] = [];
  const p = new EapPeer({
    methods,
    identity: 'bob',
    password: 'hello',
    send: (b) => sent.push(toHex(b)),
    onResult: (r) => results.push(r),
    onNotification: (t) => notes.push(t),
    ...(allowNotifications === undefined ? {} : { allowNotifications }),
  });
  return { p, sent, notes, results };
}

const req = (id: number, type: number, data = '') =>
  encodeEap({ code: EapCode.Request, identifier: id, type, typeData: fromHex(data) });
const md5Request = (id: number) => req(id, 4, '10' + '00'.repeat(16));

describe('EapPeer (RFC 4137 §4)', () => {
  it('answers Identity itself, with the Request’s Identifier', () => {
    const { p, sent } = peer();
    p.receive(req(7, EapType.Identity));
    expect(sent).toEqual(['0207000801626f62']);
    expect(p.state).toBe('IDLE');
  });

  it('answers a duplicate Request from its cache without calling the method again', () => {
    let calls = 0;
    const md5 = createMd5Method({ crypto: nodeCrypto });
    const counting = {
      ...md5,
      makeMessage: (...args: Parameters<typeof md5.makeMessage>) => (
        calls++,
        md5.makeMessage(...args)
      ),
    };
    const { p, sent } = peer([counting]);
    p.receive(md5Request(3));
    p.receive(md5Request(3));
    p.receive(md5Request(3));
    expect(calls).toBe(1);
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(1);
    expect(p.stats().duplicatesAnswered).toBe(2);
  });

  it('answers Notification with an empty Notification Response and shows the text; refuses it when not allowed', () => {
    const { p, sent, notes } = peer();
    p.receive(
      req(1, EapType.Notification, toHex(new TextEncoder().encode('password expires soon'))),
    );
    expect(notes).toEqual(['password expires soon']);
    expect(sent).toEqual(['0201000502']);
    const quiet = peer(undefined, false);
    quiet.p.receive(req(1, EapType.Notification, '41'));
    expect(quiet.sent).toEqual([]);
    expect(quiet.p.stats().dropped).toEqual({ 'notification-not-allowed': 1 });
  });

  it('Naks a method it does not have, listing its own; 0 when it has none', () => {
    const { p, sent } = peer();
    p.receive(req(2, EapType.MsChapV2, '01'));
    expect(sent).toEqual(['020200060304']);
    const none = peer([]);
    none.p.receive(req(2, 13, '20'));
    expect(none.sent).toEqual(['020200060300']);
    expect(none.p.stats().naksSent).toBe(1);
  });

  it('answers an expanded Request it does not have with an Expanded Nak (its types with vendor 0)', () => {
    const { p, sent } = peer();
    p.receive(
      encodeEap({
        code: EapCode.Request,
        identifier: 4,
        type: 254,
        expanded: { vendorId: 0x9f, vendorType: 1 },
        typeData: new Uint8Array(0),
      }),
    );
    expect(sent).toEqual([
      toHex(
        encodeEap({
          code: EapCode.Response,
          identifier: 4,
          type: 254,
          expanded: EXPANDED_NAK,
          typeData: expandedNakTypeData([{ vendorId: 0, vendorType: 4 }]),
        }),
      ),
    ]);
  });

  it('discards a Request for another method once one is selected, a Nak Request, and any Response', () => {
    const { p, sent } = peer();
    p.receive(md5Request(1));
    p.receive(req(2, EapType.MsChapV2));
    p.receive(req(3, EapType.Identity));
    p.receive(req(4, EapType.Nak, '04'));
    p.receive(
      encodeEap({ code: EapCode.Response, identifier: 5, type: 1, typeData: new Uint8Array(0) }),
    );
    expect(sent).toHaveLength(1);
    expect(p.stats().dropped).toEqual({ 'other-method-request': 3, 'not-a-request': 1 });
    const fresh = peer();
    fresh.p.receive(req(4, EapType.Nak, '04'));
    expect(fresh.sent).toEqual([]);
    expect(fresh.p.stats().dropped).toEqual({ 'nak-request': 1 });
  });

  it('accepts Success only with the last Response’s Identifier, once the method allows it', () => {
    const { p, results } = peer();
    p.receive(md5Request(5));
    p.receive(encodeEap({ code: EapCode.Success, identifier: 6 }));
    expect(results).toEqual([]);
    expect(p.stats().dropped).toEqual({ 'result-wrong-identifier': 1 });
    p.receive(encodeEap({ code: EapCode.Success, identifier: 5 }));
    expect(results).toMatchObject([{ outcome: 'success', resultCode: 0 }]);
    expect(p.state).toBe('SUCCESS');
    p.receive(md5Request(9));
    expect(p.stats().dropped['session-ended']).toBe(1);
  });

  it('treats a Success before any method as a failure (decision FAIL), and accepts a Failure', () => {
    const early = peer();
    early.p.receive(req(1, EapType.Identity));
    early.p.receive(encodeEap({ code: EapCode.Success, identifier: 1 }));
    expect(early.results).toMatchObject([
      { outcome: 'failure', reason: 'success before any method: refused' },
    ]);
    const failed = peer();
    failed.p.receive(md5Request(2));
    failed.p.receive(encodeEap({ code: EapCode.Failure, identifier: 2 }));
    expect(failed.results).toMatchObject([{ outcome: 'failure', resultCode: 691 }]);
    const unprompted = peer();
    unprompted.p.receive(encodeEap({ code: EapCode.Success, identifier: 0 }));
    expect(unprompted.results).toEqual([]);
  });

  it('takes the lower layer’s success indication (fSuccessPacketReceived) once the method answered', () => {
    const { p, results } = peer();
    p.lowerLayerSuccess();
    expect(results).toEqual([]);
    p.receive(md5Request(5));
    p.lowerLayerSuccess();
    expect(results).toMatchObject([{ outcome: 'success' }]);
  });

  it('drops malformed packets with their decode code, never throwing', () => {
    const { p } = peer();
    p.receive(new Uint8Array(0));
    p.receive(fromHex('01 01 00ff 01'));
    p.receive(fromHex('09 01 0004'));
    expect(p.stats().dropped).toEqual({ 'malformed:truncated': 2, 'malformed:unknown-code': 1 });
  });

  it('refuses methods that cannot run on the peer side and bad capacities', () => {
    const serverOnly = {
      ...createMd5Method({ crypto: nodeCrypto }),
      info: { type: 4, name: 'x', flags: 2 },
    };
    expect(() => new EapPeer({ methods: [serverOnly], identity: 'a', send: () => {} })).toThrow(
      TypeError,
    );
    expect(
      () => new EapPeer({ methods: [], identity: 'a', send: () => {}, sendCapacity: 4 }),
    ).toThrow(RangeError);
  });
});
