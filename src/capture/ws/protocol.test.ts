import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LREC_WS_BEARER_PREFIX,
  LrecWsStatus,
  MAX_REQUEST_BYTES,
  bearerSubprotocol,
  encodeReply,
  encodeRequest,
  parseReply,
  parseRequest,
  tokenFromSubprotocol,
  type LrecWsRequest,
} from './protocol.js';

const handle = fc.stringMatching(/^[0-9a-f]{32}$/);
const id = fc.integer({ min: 0, max: 0xffff_ffff });
const request: fc.Arbitrary<LrecWsRequest> = fc.oneof(
  fc.record({
    id,
    call: fc.constant('open' as const),
    session: fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
  }),
  fc.record({ id, call: fc.constantFrom('receive' as const, 'close' as const), handle }),
);

/** Anything a peer might send as a text frame: JSON of any shape, near-requests, garbage. */
const frame = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.json().map(String),
  fc
    .record(
      {
        id: fc.oneof(id, fc.double(), fc.string(), fc.constant(null), fc.constant(-1)),
        call: fc.oneof(fc.constantFrom('open', 'receive', 'close', 'stop', ''), fc.string()),
        session: fc.anything(),
        handle: fc.oneof(handle, fc.anything()),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v) ?? ''),
  request.map(encodeRequest),
);

describe('netrx.lrec.v1 request codec', () => {
  it('round-trips every request', () => {
    fc.assert(
      fc.property(request, (r) => {
        expect(parseRequest(encodeRequest(r))).toEqual({ ok: true, value: r });
      }),
    );
  });

  it('never throws on arbitrary frames; every failure with an id is answerable, the rest close', () => {
    fc.assert(
      fc.property(frame, (text) => {
        const parsed = parseRequest(text);
        if (parsed.ok) {
          expect(['open', 'receive', 'close']).toContain(parsed.value.call);
        } else if (parsed.failure.id === undefined) {
          expect(['bad-json', 'bad-id']).toContain(parsed.failure.code);
        } else {
          expect(Number.isInteger(parsed.failure.id)).toBe(true);
          expect(parsed.failure.status).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses unknown calls with the RPC op-range status, keeping the id', () => {
    fc.assert(
      fc.property(
        id,
        fc.string().filter((c) => !['open', 'receive', 'close'].includes(c)),
        (n, call) => {
          const parsed = parseRequest(JSON.stringify({ id: n, call }));
          expect(parsed).toMatchObject({
            ok: false,
            failure: { id: n, code: 'unknown-call', status: LrecWsStatus.nca_s_op_rng_error },
          });
        },
      ),
    );
    expect(parseRequest('{"id":1}')).toMatchObject({
      ok: false,
      failure: { code: 'unknown-call' },
    });
  });

  it('refuses bad ids, bad handles, bad names and oversize frames', () => {
    for (const text of [
      '[]',
      'null',
      '1',
      '{"id":1.5,"call":"open","session":"x"}',
      '{"id":4294967296}',
    ]) {
      expect(parseRequest(text)).toMatchObject({ ok: false, failure: { id: undefined } });
    }
    expect(parseRequest('{"id":2,"call":"receive","handle":"ABC"}')).toMatchObject({
      ok: false,
      failure: { id: 2, code: 'bad-arguments', status: LrecWsStatus.rpc_x_bad_stub_data },
    });
    expect(parseRequest('{"id":3,"call":"open","session":""}')).toMatchObject({
      ok: false,
      failure: { id: 3, code: 'bad-arguments' },
    });
    const long = JSON.stringify({ id: 4, call: 'open', session: 'x'.repeat(MAX_REQUEST_BYTES) });
    expect(parseRequest(long)).toMatchObject({ ok: false, failure: { id: undefined } });
  });
});

describe('netrx.lrec.v1 reply codec', () => {
  it('round-trips the replies and never throws on arbitrary frames', () => {
    const replies = [
      { id: 1, ok: true as const, handle: 'ab'.repeat(16) },
      { id: 2, ok: true as const, bytes: 232, events: 1, lost: 0, reason: 'enough' },
      { id: 3, ok: true as const },
      { id: 4, ok: false as const, status: 616, code: 'ERROR_ASYNC_REQUEST_PENDING', message: 'x' },
    ];
    for (const reply of replies)
      expect(parseReply(encodeReply(reply))).toEqual({ ok: true, value: reply });
    fc.assert(
      fc.property(frame, (text) => {
        const parsed = parseReply(text);
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
    expect(parseReply('{"id":1,"ok":true,"bytes":-1,"events":0,"lost":0,"reason":"x"}').ok).toBe(
      false,
    );
  });
});

describe('bearer subprotocol', () => {
  it('carries any token as an HTTP token and back', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }), (token) => {
        const protocol = bearerSubprotocol(token);
        expect(protocol).toMatch(/^netrx\.bearer\.[A-Za-z0-9_-]+$/);
        expect(new TextDecoder().decode(tokenFromSubprotocol(protocol))).toBe(token);
      }),
    );
  });

  it('reads nothing from other protocols or bad base64url', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const bytes = tokenFromSubprotocol(LREC_WS_BEARER_PREFIX + text);
        if (/[^A-Za-z0-9_-]/.test(text) || text.length % 4 === 1) expect(bytes).toBeUndefined();
      }),
    );
    expect(tokenFromSubprotocol('netrx.lrec.v1')).toBeUndefined();
  });
});
