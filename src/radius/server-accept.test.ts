/** What an Access-Accept carries beside the keys (outside review, finding 10). */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import {
  LocalAuthenticationProvider,
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  ntPasswordHash,
  type AuthenticationProvider,
  type EapMethod,
} from '../eap/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RadiusCode,
  RadiusEapClient,
  RadiusServer,
  parseRadius,
  type RadiusPacket,
  type RadiusServerOptions,
} from './index.js';

const users = new StaticUserStore([
  { name: 'bob', password: 'hello' },
  { name: 'alice', ntHash: ntPasswordHash('wonder') },
]);

function accept(
  method: EapMethod,
  identity: string,
  password: string,
  overrides: Partial<RadiusServerOptions> = {},
): RadiusPacket {
  const clock = new VirtualClock();
  const box: { client?: RadiusEapClient } = {};
  let accepted: RadiusPacket | undefined;
  const server = new RadiusServer({
    clock,
    crypto: nodeCrypto,
    clients: [{ address: '127.0.0.1', secret: 'testing123' }],
    methods: [method],
    users,
    send: (datagram) => {
      const parsed = parseRadius(datagram.slice());
      if (parsed.ok && parsed.value.code === RadiusCode.AccessAccept) accepted = parsed.value;
      box.client?.receive(datagram, { address: '127.0.0.1', port: 1812 });
    },
    ...overrides,
  });
  box.client = new RadiusEapClient({
    clock,
    crypto: nodeCrypto,
    servers: [{ address: '127.0.0.1', port: 1812, secret: 'testing123' }],
    methods: [method],
    identity,
    password,
    send: (datagram) => server.receive(datagram, { address: '127.0.0.1', port: 40000 }),
    onResult: () => {},
  });
  box.client.start();
  if (accepted === undefined) throw new Error('no Access-Accept');
  return accepted;
}

/** Microsoft vendor integers in the packet, by vendor type. */
function msIntegers(packet: RadiusPacket): Record<number, number> {
  const out: Record<number, number> = {};
  for (const a of packet.attributes) {
    if (a.type !== 26 || a.value.length !== 10) continue;
    const v = a.value;
    if (((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) !== 311) continue;
    out[v[4]!] = ((v[6]! << 24) | (v[7]! << 16) | (v[8]! << 8) | v[9]!) >>> 0;
  }
  return out;
}

describe('Access-Accept contents', () => {
  it('MSCHAPv2: MS-MPPE-Encryption-Policy 1 (allowed) and -Types 6 (RC4 40 or 128) beside the keys, as FreeRADIUS', () => {
    expect(
      msIntegers(accept(createMschapV2Method({ crypto: nodeCrypto }), 'alice', 'wonder')),
    ).toEqual({
      7: 1,
      8: 6,
    });
  });

  it('configurable, or off; and none without keys (MD5)', () => {
    const m = createMschapV2Method({ crypto: nodeCrypto });
    expect(
      msIntegers(accept(m, 'alice', 'wonder', { mppeEncryption: { policy: 2, types: 4 } })),
    ).toEqual({
      7: 2,
      8: 4,
    });
    expect(msIntegers(accept(m, 'alice', 'wonder', { mppeEncryption: false }))).toEqual({});
    expect(msIntegers(accept(createMd5Method({ crypto: nodeCrypto }), 'bob', 'hello'))).toEqual({});
  });

  it('EAP-Key-Name from the session result goes into the Accept (RFC 4072 §6.2)', () => {
    const local = new LocalAuthenticationProvider({ users, crypto: nodeCrypto });
    const keyName = Uint8Array.of(13, ...new Uint8Array(64).fill(7));
    const provider: AuthenticationProvider = {
      authenticate: (request, done) =>
        local.authenticate(request, (r) =>
          done({ ...r, attributes: [...(r.attributes ?? []), { type: 102, value: keyName }] }),
        ),
    };
    const packet = accept(createMd5Method({ crypto: nodeCrypto }), 'bob', 'hello', { provider });
    expect(packet.attributes.find((a) => a.type === RadiusAttributeType.EapKeyName)?.value).toEqual(
      keyName,
    );
  });
});
