import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../bytes/index.js';
import { nodeCrypto } from '../../node/runtime/index.js';
import type { Crypto } from '../../runtime/index.js';
import { createEapPair, VirtualClock } from '../../testing/index.js';
import { EapCode, EapType, encodeEap, parseEap, type EapMessage } from '../../wire/eap.js';
import {
  EapResultCode,
  LocalAuthenticationProvider,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  StaticUserStore,
  createMschapV2Method,
  findAttribute,
  formatFailureMessage,
  ntPasswordHash,
  parseFailureMessage,
  parseSuccessMessage,
  type EapSessionResult,
  type UserStore,
} from '../index.js';
import { parseMschapV2 } from './mschapv2-format.js';

// RFC 2759 §9.2: user "User", password "clientPass".
const AUTH_CHALLENGE = fromHex('5b5d7c7d7b3f2f3e3c2c602132262628');
const PEER_CHALLENGE = fromHex('21402324255e262a28295f2b3a337c7e');

/** Node's digests; randomBytes hands out the queued values in order (then zeros). */
function scriptedCrypto(...values: Uint8Array[]): Crypto {
  return {
    ...nodeCrypto,
    randomBytes: (n) => (values.shift() ?? new Uint8Array(n)).slice(0, n),
  };
}

function run(
  options: {
    users?: UserStore;
    identity?: string;
    password?: string;
    serverCrypto?: Crypto;
    peerCrypto?: Crypto;
    tamper?: (packet: EapMessage) => EapMessage | undefined;
  } = {},
) {
  const clock = new VirtualClock();
  const users = options.users ?? new StaticUserStore([{ name: 'User', password: 'clientPass' }]);
  const results: { peer?: EapSessionResult; auth?: EapSessionResult } = {};
  const pair = createEapPair({
    clock,
    peer: {
      methods: [createMschapV2Method({ crypto: options.peerCrypto ?? nodeCrypto })],
      identity: options.identity ?? 'User',
      password: options.password ?? 'clientPass',
      onResult: (r) => (results.peer = r),
    },
    authenticator: {
      methods: [createMschapV2Method({ crypto: options.serverCrypto ?? nodeCrypto })],
      initialIdentifier: 7,
      provider: new LocalAuthenticationProvider({ users, crypto: nodeCrypto }),
      onResult: (r) => (results.auth = r),
    },
  });
  pair.authenticator.start();
  const tamper = options.tamper;
  if (tamper === undefined) pair.flush();
  else {
    for (let i = 0; i < 40; i++) {
      const next = pair.queued['to-peer'][0];
      if (next !== undefined) {
        pair.drop('to-peer');
        const parsed = parseEap(next);
        const changed =
          parsed.ok && parsed.value.code === EapCode.Request ? tamper(parsed.value) : undefined;
        pair.peer.receive(changed === undefined ? next : encodeEap(changed));
      } else if (!pair.deliver('to-authenticator')) break;
    }
  }
  return { clock, pair, results };
}

function vendorKey(result: EapSessionResult | undefined, vendorType: number): string | undefined {
  const attribute = findAttribute(result?.attributes, 26, {
    vendorId: MICROSOFT_VENDOR_ID,
    vendorType,
  });
  return attribute === undefined ? undefined : toHex(attribute.value);
}

const requests = (wire: ReturnType<typeof run>['pair']['wire']) =>
  wire
    .filter((r) => r.direction === 'to-peer')
    .map((r) => parseEap(r.bytes))
    .flatMap((p) => (p.ok ? [p.value] : []));

describe('EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2, RFC 2759)', () => {
  it('on the RFC 2759 §9.2 vector: the wire carries its NT-Response and S= string, both sides succeed, keys pair up (RFC 3079 §3.5.3)', () => {
    const { pair, results } = run({
      serverCrypto: scriptedCrypto(AUTH_CHALLENGE),
      peerCrypto: scriptedCrypto(PEER_CHALLENGE),
    });
    expect(results.auth?.outcome).toBe('success');
    expect(results.peer?.outcome).toBe('success');
    // Challenge: OpCode 1, MS-CHAPv2-ID = EAP Identifier, MS-Length, Value-Size 16, challenge, Name.
    const challenge = requests(pair.wire)[1] as EapMessage;
    expect(challenge.identifier).toBe(8);
    expect(toHex(challenge.typeData)).toBe(
      `0108001a10${toHex(AUTH_CHALLENGE)}${toHex(new TextEncoder().encode('netrx'))}`,
    );
    // Response: Peer-Challenge, 8 reserved, the RFC's NT-Response, flags 0, Name "User".
    const response = parseEap(pair.wire[3]!.bytes);
    expect(response.ok && toHex((response.value as EapMessage).typeData)).toBe(
      `0208003a31${toHex(PEER_CHALLENGE)}${'00'.repeat(8)}82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df00${toHex(new TextEncoder().encode('User'))}`,
    );
    const success = requests(pair.wire)[2] as EapMessage;
    const text = new TextDecoder().decode(success.typeData.subarray(4));
    expect(text).toBe('S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Authentication succeeded');
    // RFC 3079 §3.5.3 (128-bit keys): the server's receive key is the peer's send key.
    const serverRecv = vendorKey(results.auth, MicrosoftAttributeType.MsMppeRecvKey);
    const serverSend = vendorKey(results.auth, MicrosoftAttributeType.MsMppeSendKey);
    expect(serverRecv).toBe('d5f0e9521e3ea9589645e86051c82226');
    expect(serverSend).toBe('8b7cdc149b993a1ba118cb153f56dccb');
    expect(vendorKey(results.peer, MicrosoftAttributeType.MsMppeSendKey)).toBe(serverRecv);
    expect(vendorKey(results.peer, MicrosoftAttributeType.MsMppeRecvKey)).toBe(serverSend);
    // EAP-Success reuses the Identifier of the Success Response.
    const last = requests(pair.wire).at(-1);
    expect(last?.code).toBe(EapCode.Success);
    expect(last?.identifier).toBe(9);
  });

  it('works from an NT hash alone (NT-Password), no cleartext stored', () => {
    const users = new StaticUserStore([{ name: 'User', ntHash: ntPasswordHash('clientPass') }]);
    const { results } = run({ users });
    expect(results.auth?.outcome).toBe('success');
    expect(results.peer?.outcome).toBe('success');
  });

  it('a wrong password: Failure Request E=691 R=0 C=<32 hex> V=3 M=…, acknowledged, then EAP-Failure on both sides', () => {
    const { pair, results } = run({ password: 'wrong' });
    const failure = requests(pair.wire).find(
      (p) => p.code === EapCode.Request && p.typeData[0] === 4,
    ) as EapMessage;
    const text = new TextDecoder().decode(failure.typeData.subarray(4));
    expect(text).toMatch(/^E=691 R=0 C=[0-9A-F]{32} V=3 M=Authentication failed$/);
    expect(results.auth).toMatchObject({ outcome: 'failure', resultCode: 691 });
    expect(results.peer).toMatchObject({ outcome: 'failure', resultCode: 691 });
    expect(requests(pair.wire).at(-1)?.code).toBe(EapCode.Failure);
    expect(results.auth?.attributes).toEqual([]);
  });

  it('an unknown user fails with 691, as a wrong password does', () => {
    expect(run({ identity: 'nobody' }).results.auth).toMatchObject({
      outcome: 'failure',
      resultCode: 691,
    });
  });

  it('a DOMAIN\\ prefix is left out of the hash (RFC 2759 §8.2) on both sides', () => {
    const users = new StaticUserStore([{ name: 'CORP\\User', password: 'clientPass' }]);
    const { results } = run({ users, identity: 'CORP\\User' });
    expect(results.auth?.outcome).toBe('success');
    expect(results.peer?.outcome).toBe('success');
  });

  it('the peer refuses a server that does not know the password: a forged S= ends it with 691, unacknowledged', () => {
    const { pair, results } = run({
      tamper: (packet) => {
        if (packet.type !== EapType.MsChapV2 || packet.typeData[0] !== 3) return undefined;
        const forged = packet.typeData.slice();
        forged[6] = forged[6] === 0x30 ? 0x31 : 0x30; // one hex digit of S=
        return { ...packet, typeData: forged };
      },
    });
    expect(results.peer).toMatchObject({ outcome: 'failure', resultCode: 691 });
    // The peer never sent the Success Response, so the authenticator has not succeeded.
    expect(results.auth?.outcome).not.toBe('success');
    expect(pair.wire.filter((r) => r.direction === 'to-authenticator')).toHaveLength(2);
  });

  it('an EAP-Success before the S= check is refused (mutual authentication)', () => {
    const clock = new VirtualClock();
    let peerResult: EapSessionResult | undefined;
    const pair = createEapPair({
      clock,
      peer: {
        methods: [createMschapV2Method({ crypto: nodeCrypto })],
        identity: 'User',
        password: 'clientPass',
        onResult: (r) => (peerResult = r),
      },
      authenticator: { methods: [createMschapV2Method({ crypto: nodeCrypto })] },
    });
    pair.authenticator.start();
    pair.flush(3); // Identity Request, Identity Response, Challenge: the peer answers it
    const sentResponse = pair.queued['to-authenticator'][0];
    expect(sentResponse).toBeDefined();
    pair.peer.receive(encodeEap({ code: EapCode.Success, identifier: sentResponse![1]! }));
    expect(peerResult).toMatchObject({ outcome: 'failure', resultCode: 691 });
  });

  it('retransmits its Challenge with the same Identifier on a timeout (null packet = resend)', () => {
    const clock = new VirtualClock();
    const pair = createEapPair({
      clock,
      peer: { methods: [], identity: 'User' },
      authenticator: { methods: [createMschapV2Method({ crypto: nodeCrypto })] },
    });
    pair.authenticator.start();
    pair.flush(2);
    const first = pair.wire.at(-1)!;
    clock.advance(3000);
    const again = pair.wire.at(-1)!;
    expect(again).not.toBe(first);
    expect(toHex(again.bytes)).toBe(toHex(first.bytes));
  });

  it('the failure message format round-trips and parses the RFC 2759 §6 defaults', () => {
    const challenge = fromHex('00112233445566778899aabbccddeeff');
    const text = formatFailureMessage({
      error: 648,
      retry: false,
      challenge,
      version: 3,
      message: 'Password expired, change it',
    });
    expect(text).toBe(
      'E=648 R=0 C=00112233445566778899AABBCCDDEEFF V=3 M=Password expired, change it',
    );
    expect(parseFailureMessage(text)).toEqual({
      error: 648,
      retry: false,
      challenge,
      version: 3,
      message: 'Password expired, change it',
    });
    expect(parseFailureMessage('E=691')).toMatchObject({
      error: 691,
      retry: false,
      version: 1,
      message: '',
    });
    expect(parseFailureMessage('E=69x')).toBeUndefined();
    expect(parseSuccessMessage('S=407A5589115FD0D6209F510FE9C04566932CDA56')?.message).toBe('');
    expect(parseSuccessMessage('S=407A')).toBeUndefined();
    expect(() =>
      formatFailureMessage({
        error: 691,
        retry: false,
        challenge: new Uint8Array(3),
        version: 3,
        message: '',
      }),
    ).toThrow(RangeError);
  });

  it("the provider's account errors (646-649) travel as E=; others become E=691", () => {
    const failureText = (resultCode: number) => {
      const clock = new VirtualClock();
      let peer: EapSessionResult | undefined;
      const pair = createEapPair({
        clock,
        peer: {
          methods: [createMschapV2Method({ crypto: nodeCrypto })],
          identity: 'User',
          password: 'clientPass',
          onResult: (r) => (peer = r),
        },
        authenticator: {
          methods: [createMschapV2Method({ crypto: nodeCrypto })],
          provider: { authenticate: (_request, complete) => complete({ resultCode }) },
        },
      });
      pair.authenticator.start();
      pair.flush();
      const failure = requests(pair.wire).find(
        (p) => p.code === EapCode.Request && p.typeData[0] === 4,
      ) as EapMessage;
      return { text: new TextDecoder().decode(failure.typeData.subarray(4)), peer };
    };
    const expired = failureText(EapResultCode.ERROR_PASSWD_EXPIRED);
    expect(expired.text).toMatch(/^E=648 /);
    expect(expired.peer?.resultCode).toBe(648);
    expect(failureText(EapResultCode.ERROR_AUTH_INTERNAL).text).toMatch(/^E=691 /);
  });

  it('a provider that accepts without MS-CHAP2-Success cannot authenticate the server: Failure', () => {
    const clock = new VirtualClock();
    let auth: EapSessionResult | undefined;
    const pair = createEapPair({
      clock,
      peer: {
        methods: [createMschapV2Method({ crypto: nodeCrypto })],
        identity: 'User',
        password: 'clientPass',
      },
      authenticator: {
        methods: [createMschapV2Method({ crypto: nodeCrypto })],
        provider: { authenticate: (_request, complete) => complete({ resultCode: 0 }) },
        onResult: (r) => (auth = r),
      },
    });
    pair.authenticator.start();
    pair.flush();
    expect(auth?.outcome).toBe('failure');
  });

  it('parsers never throw on arbitrary type data, and the method discards what it cannot use', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.string(), (data, text) => {
        parseMschapV2(data);
        parseFailureMessage(text);
        parseSuccessMessage(text);
        const method = createMschapV2Method({ crypto: nodeCrypto });
        for (const authenticator of [true, false]) {
          const state = method.begin({
            authenticator,
            identity: 'User',
            password: 'x',
            initialId: 1,
          });
          if (authenticator) method.makeMessage(state, null, 1020);
          const result = method.makeMessage(
            state,
            { code: authenticator ? 2 : 1, identifier: 1, type: 26, typeData: data },
            1020,
          );
          expect(result).toBeDefined();
          method.end(state);
        }
      }),
      { numRuns: 300 },
    );
  });
});
