/** User-Name against the EAP identity, and the Access-Accept's User-Name (outside review, finding 1). */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { StaticUserStore, createMd5Method } from '../eap/index.js';
import { TraceRegistry, decodePayload, type TraceEvent } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RADIUS_PROVIDER,
  RadiusCode,
  RadiusServer,
  parseRadius,
  signAccessRequest,
  type RadiusAttribute,
  type RadiusEndpoint,
  type RadiusServerOptions,
} from './index.js';

const secret = new TextEncoder().encode('testing123');
const text = (s: string) => new TextEncoder().encode(s);
const NAS: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };

export function md5Harness(overrides: Partial<RadiusServerOptions> = {}) {
  const sent: { datagram: Uint8Array; to: RadiusEndpoint }[] = [];
  const server = new RadiusServer({
    clock: new VirtualClock(),
    crypto: nodeCrypto,
    clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    users: new StaticUserStore([
      { name: 'bob', password: 'hello' },
      { name: 'mallory', password: 'evil' },
    ]),
    send: (datagram, to) => sent.push({ datagram, to }),
    ...overrides,
  });
  let id = 0;
  const request = (attributes: RadiusAttribute[], from = NAS) => {
    server.receive(
      signAccessRequest(nodeCrypto, 1, ++id & 0xff, nodeCrypto.randomBytes(16), attributes, secret),
      from,
    );
    const last = sent.at(-1);
    if (last === undefined) return undefined;
    const parsed = parseRadius(last.datagram);
    if (!parsed.ok) throw new Error('unparsable response');
    return parsed.value;
  };
  /** Response/Identity, then the MD5 Response with `password`; User-Name as given on each. */
  const md5 = (identity: string, password: string, names: (string | undefined)[]) => {
    const userName = (n: string | undefined) =>
      n === undefined ? [] : [{ type: RadiusAttributeType.UserName, value: text(n) }];
    const challenge = request([
      ...userName(names[0]),
      {
        type: RadiusAttributeType.EapMessage,
        value: Uint8Array.of(2, 1, 0, 5 + identity.length, 1, ...text(identity)),
      },
    ]);
    if (challenge?.code !== RadiusCode.AccessChallenge) return challenge;
    const eap = challenge.attributes.find((a) => a.type === RadiusAttributeType.EapMessage)!.value;
    const state = challenge.attributes.find((a) => a.type === RadiusAttributeType.State)!.value;
    const value = eap.subarray(6, 6 + (eap[5] as number));
    const digest = nodeCrypto.digest('md5', Uint8Array.of(eap[1]!), text(password), value);
    return request([
      ...userName(names[1]),
      {
        type: RadiusAttributeType.EapMessage,
        value: Uint8Array.of(2, eap[1]!, 0, 22, 4, 16, ...digest),
      },
      { type: RadiusAttributeType.State, value: state.slice() },
    ]);
  };
  return { server, sent, md5 };
}

const userNameOf = (p: { attributes: readonly RadiusAttribute[] } | undefined) => {
  const v = p?.attributes.find((a) => a.type === RadiusAttributeType.UserName)?.value;
  return v === undefined ? undefined : new TextDecoder().decode(v);
};

describe('RadiusServer: User-Name and the EAP identity', () => {
  it('a Response/Identity that differs from User-Name is rejected with EAP-Failure, counted and traced', () => {
    const clock = new VirtualClock();
    const trace = new TraceRegistry({ clock });
    const rejected: Record<string, unknown>[] = [];
    trace.enable(RADIUS_PROVIDER.name, (event: TraceEvent) => {
      if (event.descriptor.name !== 'RadiusAccessRejected') return;
      const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
      if (decoded.ok) rejected.push(decoded.values);
    });
    const h = md5Harness({ clock, trace });
    const answer = h.md5('bob', 'hello', ['mallory']);
    expect(rejected).toEqual([
      { reason: 'identity-mismatch', address: '127.0.0.1', method: 'EAP' },
    ]);
    expect(answer?.code).toBe(RadiusCode.AccessReject);
    const eap = answer?.attributes.find((a) => a.type === RadiusAttributeType.EapMessage)?.value;
    expect(eap?.[0]).toBe(4);
    expect(h.server.stats()).toMatchObject({ identityMismatches: 1, sessionsStarted: 0 });
  });

  it('a later User-Name that is not the conversation identity is rejected too', () => {
    const h = md5Harness();
    expect(h.md5('mallory', 'evil', ['mallory', 'bob'])?.code).toBe(RadiusCode.AccessReject);
    expect(h.server.stats().identityMismatches).toBe(1);
  });

  it('the Access-Accept carries the authenticated identity, also when the NAS left User-Name out', () => {
    const h = md5Harness();
    const accept = h.md5('bob', 'hello', [undefined, undefined]);
    expect(accept?.code).toBe(RadiusCode.AccessAccept);
    expect(userNameOf(accept)).toBe('bob');
    const again = md5Harness().md5('bob', 'hello', ['bob', 'bob']);
    expect(again?.code).toBe(RadiusCode.AccessAccept);
    expect(userNameOf(again)).toBe('bob');
  });
});
