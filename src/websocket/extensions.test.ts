import { describe, expect, it } from 'vitest';
import {
  acceptPerMessageDeflate,
  checkPerMessageDeflateResponse,
  formatExtensions,
  parseExtensions,
  parsePerMessageDeflateOffer,
  perMessageDeflateOffer,
  type Extension,
} from './extensions.js';

function parse(value: string): Extension[] {
  const r = parseExtensions(value);
  if (!r.ok) throw new Error(r.failure.message);
  return r.value;
}

describe('Sec-WebSocket-Extensions grammar (RFC 6455 §9.1)', () => {
  it('reads tokens, params, values and quoted strings', () => {
    expect(
      parse(
        'foo, bar; baz=2, permessage-deflate ; client_max_window_bits ;server_max_window_bits="10"',
      ),
    ).toEqual([
      { name: 'foo', params: [] },
      { name: 'bar', params: [{ name: 'baz', value: '2' }] },
      {
        name: 'permessage-deflate',
        params: [
          { name: 'client_max_window_bits', value: undefined },
          { name: 'server_max_window_bits', value: '10' },
        ],
      },
    ]);
    expect(parse('a; b = "c\\d"')).toEqual([{ name: 'a', params: [{ name: 'b', value: 'cd' }] }]);
    expect(parse(' , a ,, ')).toEqual([{ name: 'a', params: [] }]);
    expect(parse('')).toEqual([]);
  });

  it('rejects what the grammar does not allow', () => {
    for (const bad of [
      'a;',
      'a; =1',
      'a; b=',
      'a; b="c d"',
      'a; b="unterminated',
      'a b',
      '"a"',
      'a; b=c=d',
      'a/b',
      'a; b="\\',
    ]) {
      const r = parseExtensions(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok)
        expect([r.failure.code, r.failure.status]).toEqual(['extensions-header-invalid', 400]);
    }
  });

  it('formats and round-trips', () => {
    const list = parse('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x');
    expect(formatExtensions(list)).toBe(
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, x',
    );
    expect(parse(formatExtensions(list))).toEqual(list);
    expect(() => formatExtensions([{ name: 'a', params: [{ name: 'b', value: 'c d' }] }])).toThrow(
      TypeError,
    );
  });
});

describe('permessage-deflate negotiation (RFC 7692 §7)', () => {
  const NONE = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };

  it('§7.1: a plain offer is accepted with defaults', () => {
    const r = acceptPerMessageDeflate(parse('permessage-deflate'));
    expect(r?.params).toEqual(NONE);
    expect(formatExtensions([r!.response])).toBe('permessage-deflate');
  });

  it('a fallback pair of offers: the first acceptable one wins', () => {
    // "permessage-deflate; client_max_window_bits; server_max_window_bits=10,
    //  permessage-deflate; client_max_window_bits"
    const offers = parse(
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits',
    );
    const r = acceptPerMessageDeflate(offers);
    expect(r?.offerIndex).toBe(0);
    expect(formatExtensions([r!.response])).toBe('permessage-deflate; server_max_window_bits=10');
    expect(r?.params).toEqual({ ...NONE, serverMaxWindowBits: 10 });
  });

  it('declines invalid offers and moves on (unknown, duplicate, bad values, valueless server bits)', () => {
    for (const bad of [
      'permessage-deflate; foo',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; server_max_window_bits=7',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=010',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; client_max_window_bits=1a',
      'permessage-deflate; server_no_context_takeover=1',
    ]) {
      expect(typeof parsePerMessageDeflateOffer(parse(bad)[0]!), bad).toBe('string');
      expect(acceptPerMessageDeflate(parse(bad)), bad).toBeUndefined();
      expect(acceptPerMessageDeflate(parse(`${bad}, permessage-deflate`))?.offerIndex, bad).toBe(1);
    }
  });

  it('§7.1.1: honours server_no_context_takeover and the server config', () => {
    const r = acceptPerMessageDeflate(parse('permessage-deflate; server_no_context_takeover'), {
      clientNoContextTakeover: true,
    });
    expect(r?.params).toEqual({
      ...NONE,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    });
    expect(formatExtensions([r!.response])).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    );
  });

  it('§7.1.2: limits windows only as far as both sides allow', () => {
    expect(
      acceptPerMessageDeflate(parse('permessage-deflate; server_max_window_bits=12'), {
        serverMaxWindowBits: 10,
      })?.params.serverMaxWindowBits,
    ).toBe(10);
    expect(
      acceptPerMessageDeflate(parse('permessage-deflate; server_max_window_bits=9'), {
        serverMaxWindowBits: 10,
      })?.params.serverMaxWindowBits,
    ).toBe(9);
    expect(
      acceptPerMessageDeflate(parse('permessage-deflate'), { serverMaxWindowBits: 11 })?.params
        .serverMaxWindowBits,
    ).toBe(11);
    // The client's window can only be limited when the offer allows it.
    expect(
      acceptPerMessageDeflate(parse('permessage-deflate'), { clientMaxWindowBits: 10 }),
    ).toBeUndefined();
    expect(
      acceptPerMessageDeflate(parse('permessage-deflate; client_max_window_bits'), {
        clientMaxWindowBits: 10,
      })?.params.clientMaxWindowBits,
    ).toBe(10);
    expect(
      acceptPerMessageDeflate(parse('permessage-deflate; client_max_window_bits=9'), {
        clientMaxWindowBits: 10,
      })?.params.clientMaxWindowBits,
    ).toBe(9);
    expect(
      acceptPerMessageDeflate(parse('permessage-deflate; client_max_window_bits=9'))?.params
        .clientMaxWindowBits,
    ).toBe(9);
  });

  it('client checks the response against its offer', () => {
    const ok = (offer: Parameters<typeof checkPerMessageDeflateResponse>[0], response: string) =>
      checkPerMessageDeflateResponse(offer, parse(response)[0]!);
    expect(
      ok({ clientMaxWindowBits: true }, 'permessage-deflate; client_max_window_bits=10'),
    ).toEqual({
      ok: true,
      value: { ...NONE, clientMaxWindowBits: 10 },
    });
    expect(ok({ clientMaxWindowBits: 11 }, 'permessage-deflate')).toEqual({
      ok: true,
      value: { ...NONE, clientMaxWindowBits: 11 },
    });
    expect(
      ok({}, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=9'),
    ).toEqual({
      ok: true,
      value: { ...NONE, serverNoContextTakeover: true, serverMaxWindowBits: 9 },
    });
    for (const [offer, response] of [
      [{}, 'permessage-deflate; client_max_window_bits=10'],
      [{ clientMaxWindowBits: true }, 'permessage-deflate; client_max_window_bits'],
      [{ clientMaxWindowBits: 9 }, 'permessage-deflate; client_max_window_bits=10'],
      [{ serverNoContextTakeover: true }, 'permessage-deflate'],
      [{ serverMaxWindowBits: 10 }, 'permessage-deflate'],
      [{ serverMaxWindowBits: 10 }, 'permessage-deflate; server_max_window_bits=11'],
      [{}, 'permessage-deflate; x=1'],
      [{}, 'permessage-deflate; server_max_window_bits=8; server_max_window_bits=8'],
    ] as const) {
      const r = ok(offer, response);
      expect(r.ok, response).toBe(false);
      if (!r.ok) expect(r.failure.code).toBe('extension-params-invalid');
    }
  });

  // Issue 8, defect 9: the offer's client_no_context_takeover was forgotten
  // when the server's response left it out.
  it('client honours its own client_no_context_takeover offer', () => {
    const r = checkPerMessageDeflateResponse(
      { clientNoContextTakeover: true },
      parse('permessage-deflate')[0]!,
    );
    expect(r).toEqual({ ok: true, value: { ...NONE, clientNoContextTakeover: true } });
  });

  it('builds offers and refuses bad window bits', () => {
    expect(
      formatExtensions([
        perMessageDeflateOffer({
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
          serverMaxWindowBits: 10,
          clientMaxWindowBits: true,
        }),
      ]),
    ).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits',
    );
    expect(() => perMessageDeflateOffer({ clientMaxWindowBits: 16 })).toThrow(RangeError);
    expect(() => acceptPerMessageDeflate([], { serverMaxWindowBits: 7 })).toThrow(RangeError);
  });
});
