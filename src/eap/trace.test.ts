import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { TraceRegistry, decodePayload, type TraceEvent } from '../trace/index.js';
import { VirtualClock, createEapPair } from '../testing/index.js';
import {
  EAP_PROVIDER,
  EapEventDescriptor,
  LocalAuthenticationProvider,
  StaticUserStore,
  createMd5Method,
} from './index.js';

interface Decoded {
  readonly name: string;
  readonly values: Record<string, unknown>;
}

function session(password: string, lose: boolean) {
  const clock = new VirtualClock();
  const trace = new TraceRegistry({ clock });
  const events: Decoded[] = [];
  trace.enable(EAP_PROVIDER.name, (event: TraceEvent) => {
    const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
    events.push({ name: event.descriptor.name, values: decoded.ok ? decoded.values : {} });
  });
  const md5 = createMd5Method({ crypto: nodeCrypto });
  const pair = createEapPair({
    clock,
    peer: { methods: [md5], identity: 'bob', password, trace, sessionId: 1 },
    authenticator: {
      methods: [md5],
      trace,
      sessionId: 2,
      provider: new LocalAuthenticationProvider({
        users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
        crypto: nodeCrypto,
      }),
    },
  });
  pair.authenticator.start();
  if (lose) pair.drop('to-peer');
  pair.flush();
  clock.advance(3000);
  pair.flush();
  return { pair, events };
}

describe('netrx-eap tracing', () => {
  for (const [password, lose] of [
    ['hello', false],
    ['wrong', true],
  ] as const) {
    it(`traces every state transition as an unbroken chain, each method result and the end (password ${password}, loss ${lose})`, () => {
      const { pair, events } = session(password, lose);
      for (const [id, role, final] of [
        [1, 'peer', pair.peer.state],
        [2, 'authenticator', pair.authenticator.state],
      ] as const) {
        const states = events.filter(
          (e) => e.name === EapEventDescriptor.stateChanged.name && e.values['session'] === id,
        );
        expect(states.length).toBeGreaterThan(3);
        expect(states.every((e) => e.values['role'] === role)).toBe(true);
        expect(states[0]!.values['from']).toBe('DISABLED');
        for (let i = 1; i < states.length; i++) {
          expect(states[i]!.values['from']).toBe(states[i - 1]!.values['to']);
        }
        expect(states.at(-1)!.values['to']).toBe(final);
        const ended = events.filter(
          (e) => e.name === 'EapSessionEnded' && e.values['session'] === id,
        );
        expect(ended).toHaveLength(1);
        expect(ended[0]!.values['outcome']).toBe(password === 'hello' ? 'success' : 'failure');
      }
      const results = events.filter((e) => e.name === 'EapMethodResult');
      // Authenticator: challenge, authenticate, send-and-done; peer: its answer and done.
      expect(
        results.map((e) => `${String(e.values['role'])}:${String(e.values['action'])}`),
      ).toEqual([
        'authenticator:send-with-timeout',
        'peer:send',
        'authenticator:authenticate',
        'authenticator:send-and-done',
        'peer:done',
      ]);
      expect(events.some((e) => e.name === 'EapRetransmitted')).toBe(lose);
    });
  }
});
