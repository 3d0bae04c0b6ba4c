import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes/index.js';
import { nodeCrypto } from '../../node/runtime/index.js';
import type { Crypto } from '../../runtime/index.js';
import { createEapPair, VirtualClock } from '../../testing/index.js';
import { EapCode, encodeEap, parseEap } from '../../wire/eap.js';
import {
  EapResultCode,
  LocalAuthenticationProvider,
  RasEapFlag,
  StaticUserStore,
  createMd5Method,
  md5ChallengeResponse,
  parseMd5TypeData,
  type EapSessionResult,
  type InteractiveUi,
} from '../index.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** Node's digests with a fixed "random" challenge, so the wire bytes are known. */
function fixedCrypto(random: Uint8Array): Crypto {
  return { ...nodeCrypto, randomBytes: (n) => random.slice(0, n) };
}

const users = new StaticUserStore([{ name: 'bob', password: 'hello' }]);

function run(
  options: { password?: string; ui?: InteractiveUi; flags?: number; crypto?: Crypto } = {},
) {
  const clock = new VirtualClock();
  const crypto = options.crypto ?? nodeCrypto;
  const md5 = createMd5Method({ crypto });
  const results: { peer?: EapSessionResult; auth?: EapSessionResult } = {};
  const pair = createEapPair({
    clock,
    peer: {
      methods: [md5],
      identity: 'bob',
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.ui === undefined ? {} : { ui: options.ui }),
      ...(options.flags === undefined ? {} : { flags: options.flags }),
      onResult: (r) => (results.peer = r),
    },
    authenticator: {
      methods: [md5],
      initialIdentifier: 1,
      provider: new LocalAuthenticationProvider({ users, crypto }),
      onResult: (r) => (results.auth = r),
    },
  });
  pair.authenticator.start();
  pair.flush();
  return { clock, pair, results };
}

describe('EAP-MD5 (RFC 3748 §5.4, RFC 1994)', () => {
  it('computes MD5(Identifier ‖ password ‖ challenge): vectors computed with Python hashlib', () => {
    expect(
      toHex(
        md5ChallengeResponse(
          nodeCrypto,
          2,
          ascii('hello'),
          fromHex('000102030405060708090a0b0c0d0e0f'),
        ),
      ),
    ).toBe('d67e3545cf80417a14d1bee7ec27a62f');
    expect(
      toHex(
        md5ChallengeResponse(
          nodeCrypto,
          0x43,
          ascii('password'),
          fromHex('fedcba9876543210fedcba9876543210'),
        ),
      ),
    ).toBe('874af14f0f01d129416ec027058b6123');
  });

  it('parses Value-Size, Value and Name, refusing a size of 0 or past the data', () => {
    expect(parseMd5TypeData(fromHex('02aabb6e616d65'))).toMatchObject({
      value: fromHex('aabb'),
      name: ascii('name'),
    });
    expect(parseMd5TypeData(fromHex('00'))).toBeUndefined();
    expect(parseMd5TypeData(fromHex('05aabb'))).toBeUndefined();
    expect(parseMd5TypeData(new Uint8Array(0))).toBeUndefined();
  });

  it('authenticates bob with the right password; the exact wire bytes are RFC 3748 framing', () => {
    const { pair, results } = run({
      password: 'hello',
      crypto: fixedCrypto(fromHex('000102030405060708090a0b0c0d0e0f')),
    });
    expect(results.peer).toMatchObject({
      outcome: 'success',
      resultCode: 0,
      method: 'MD5-Challenge',
    });
    expect(results.auth).toMatchObject({ outcome: 'success', resultCode: 0, identity: 'bob' });
    expect(pair.wire.map((w) => `${w.direction} ${toHex(w.bytes)}`)).toEqual([
      'to-peer 0101000501',
      'to-authenticator 0201000801626f62',
      'to-peer 0102001604' + '10' + '000102030405060708090a0b0c0d0e0f',
      'to-authenticator 0202001604' + '10' + 'd67e3545cf80417a14d1bee7ec27a62f',
      'to-peer 03020004',
    ]);
    expect(pair.peer.state).toBe('SUCCESS');
    expect(pair.authenticator.state).toBe('SUCCESS');
  });

  it('a wrong password gets a Failure with the Response’s Identifier, and result 691 on both sides', () => {
    const { pair, results } = run({ password: 'wrong' });
    expect(results.auth).toMatchObject({
      outcome: 'failure',
      resultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE,
    });
    expect(results.peer).toMatchObject({ outcome: 'failure', resultCode: 691 });
    expect(toHex(pair.wire.at(-1)!.bytes)).toBe('04020004');
  });

  it('an unknown user fails like a wrong password (691), revealing nothing', () => {
    const clock = new VirtualClock();
    const md5 = createMd5Method({ crypto: nodeCrypto });
    let auth: EapSessionResult | undefined;
    const pair = createEapPair({
      clock,
      peer: { methods: [md5], identity: 'mallory', password: 'hello' },
      authenticator: {
        methods: [md5],
        provider: new LocalAuthenticationProvider({ users, crypto: nodeCrypto }),
        onResult: (r) => (auth = r),
      },
    });
    pair.authenticator.start();
    pair.flush();
    expect(auth).toMatchObject({ outcome: 'failure', resultCode: 691, identity: 'mallory' });
  });

  it('the authenticator-side method discards a Response with another Identifier or a bad value (722)', () => {
    const md5 = createMd5Method({ crypto: nodeCrypto });
    const ws = md5.begin({ authenticator: true, identity: 'bob', initialId: 9 });
    md5.makeMessage(ws, null, 1020);
    const wrongId = parseEap(
      encodeEap({
        code: EapCode.Response,
        identifier: 8,
        type: 4,
        typeData: new Uint8Array(17).fill(16, 0, 1),
      }),
    );
    const shortValue = parseEap(
      encodeEap({ code: EapCode.Response, identifier: 9, type: 4, typeData: fromHex('02aabb') }),
    );
    if (!wrongId.ok || !shortValue.ok) throw new Error('fixture');
    expect(md5.makeMessage(ws, wrongId.value, 1020)).toEqual({
      error: 722,
      reason: 'wrong Identifier',
    });
    expect(md5.makeMessage(ws, shortValue.value, 1020)).toEqual({
      error: 722,
      reason: 'malformed MD5 response value',
    });
    expect(md5.makeMessage(ws, { code: EapCode.Success, identifier: 9 }, 1020)).toMatchObject({
      error: 722,
    });
  });

  it('the peer-side method refuses a Success before it answered (decision FAIL)', () => {
    const md5 = createMd5Method({ crypto: nodeCrypto });
    const ws = md5.begin({ authenticator: false, identity: 'bob', password: 'x' });
    expect(md5.makeMessage(ws, { code: EapCode.Success, identifier: 1 }, 1020)).toEqual({
      action: 'done',
      authResultCode: 691,
    });
  });

  it('asks the interactive UI for a missing password, and answers once the UI completes', () => {
    const prompts: string[] = [];
    let answer: ((r: { data: Uint8Array } | { cancelled: true }) => void) | undefined;
    const ui: InteractiveUi = {
      invoke(method, request, complete) {
        prompts.push(`${method.name}: ${new TextDecoder().decode(request.contextData)}`);
        answer = complete;
      },
    };
    const { pair, results } = run({ ui });
    expect(prompts).toEqual(['MD5-Challenge: password for bob']);
    expect(results.peer).toBeUndefined();
    const typed = ascii('hello');
    answer!({ data: typed });
    typed.fill(0); // the method copied it
    pair.flush();
    expect(results.peer).toMatchObject({ outcome: 'success' });
    expect(results.auth).toMatchObject({ outcome: 'success' });
  });

  it('a cancelled UI ends the session with ERROR_CANCELLED (1223); a non-interactive session with 703', () => {
    const cancelled = run({ ui: { invoke: (_m, _r, complete) => complete({ cancelled: true }) } });
    expect(cancelled.results.peer).toMatchObject({ outcome: 'error', resultCode: 1223 });
    const noUi = run({ flags: RasEapFlag.NonInteractive, ui: { invoke: () => undefined } });
    expect(noUi.results.peer).toMatchObject({
      outcome: 'error',
      resultCode: EapResultCode.ERROR_INTERACTIVE_MODE,
    });
  });

  it('the authenticator fails with 638 when the peer never answers the challenge, after 5 resends with backoff', () => {
    const { clock, pair, results } = run({ password: 'hello' });
    expect(results.auth?.outcome).toBe('success');
    // A fresh pair where the peer's answers are lost:
    const lost = run({ ui: { invoke: () => undefined } }); // the peer waits on the UI forever
    const sends = () => lost.pair.wire.filter((w) => w.direction === 'to-peer').length;
    expect(sends()).toBe(2); // Identity and the challenge
    lost.clock.advance(3000 + 6000 + 12000 + 20000 + 20000 + 20000);
    expect(sends()).toBe(7);
    expect(lost.results.auth).toMatchObject({ outcome: 'timeout', resultCode: 638 });
    expect(
      lost.pair.wire
        .slice(1)
        .filter((w) => w.direction === 'to-peer')
        .map((w) => w.at),
    ).toEqual([0, 3000, 9000, 21000, 41000, 61000]);
    expect(clock.pendingTimers).toBe(0);
    expect(pair.peer.stats().duplicatesAnswered).toBe(0);
  });
});

describe('StaticUserStore and LocalAuthenticationProvider', () => {
  it('parses NAME:PASSWORD, refuses duplicates and empty credentials', () => {
    expect(StaticUserStore.parseUser('bob:he:llo')).toEqual({ name: 'bob', password: 'he:llo' });
    expect(() => StaticUserStore.parseUser(':x')).toThrow(TypeError);
    expect(
      () =>
        new StaticUserStore([
          { name: 'a', password: 'x' },
          { name: 'a', password: 'y' },
        ]),
    ).toThrow(TypeError);
    expect(() => new StaticUserStore([{ name: 'a' }])).toThrow(TypeError);
    expect(() => new StaticUserStore([{ name: 'a', ntHash: new Uint8Array(15) }])).toThrow(
      RangeError,
    );
    const store = new StaticUserStore([{ name: 'a', ntHash: new Uint8Array(16) }]);
    expect(store.lookup('a')?.ntHash).toHaveLength(16);
    expect(store.lookup('A')).toBeUndefined();
  });

  it('checks PAP and CHAP; a CHAP user without a cleartext password fails', () => {
    const provider = new LocalAuthenticationProvider({
      users: new StaticUserStore([
        { name: 'bob', password: 'hello' },
        { name: 'nt', ntHash: new Uint8Array(16) },
      ]),
      crypto: nodeCrypto,
    });
    const results: number[] = [];
    const challenge = fromHex('000102030405060708090a0b0c0d0e0f');
    const chap = (name: string, response: string) =>
      provider.authenticate(
        {
          identity: name,
          method: { type: 4, name: 'MD5', flags: 0 },
          attributes: [
            { type: 1, value: ascii(name) },
            { type: 60, value: challenge },
            { type: 3, value: fromHex('02' + response) },
          ],
        },
        (r) => results.push(r.resultCode),
      );
    chap('bob', 'd67e3545cf80417a14d1bee7ec27a62f');
    chap('bob', 'd67e3545cf80417a14d1bee7ec27a620');
    chap('nt', 'd67e3545cf80417a14d1bee7ec27a62f');
    const pap = (password: string) =>
      provider.authenticate(
        {
          identity: 'bob',
          method: { type: 4, name: 'x', flags: 0 },
          attributes: [{ type: 2, value: ascii(password) }],
        },
        (r) => results.push(r.resultCode),
      );
    pap('hello');
    pap('hell');
    expect(results).toEqual([0, 691, 691, 0, 691]);
    expect(provider.counts).toEqual({ accepted: 2, rejected: 3 });
  });
});
