// The EAP-TLS method under arbitrary input: whatever Requests (peer side) or
// Responses (authenticator side) arrive, with a scripted engine that settles
// synchronously or later (drawn), makeMessage never throws, every packet it
// builds fits the drawn send capacity, and the session never succeeds without
// the engine's handshake finishing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createTlsMethod,
  encodeTlsTypeData,
  isMethodError,
  type EapMakeMessageResult,
  type TlsEngine,
  type TlsEngineFactory,
} from '../../src/eap/index.js';
import { EapCode, eapPacketLength, type EapPacket } from '../../src/wire/index.js';

/** A stand-in TLS engine: answers each input with drawn output, finishes after `establishAfter` inputs. */
function scriptedEngines(
  outputs: readonly number[],
  establishAfter: number,
  fails: boolean,
): TlsEngineFactory {
  return {
    create(role): TlsEngine {
      let fed = 0;
      let pending = role === 'client' ? (outputs[0] ?? 0) : 0;
      let state: TlsEngine['state'] = 'handshaking';
      return {
        role,
        get state() {
          return state;
        },
        protocol: 'TLSv1.2',
        get error() {
          return state === 'failed'
            ? { code: 'SCRIPTED', reason: 'scripted failure', alert: 40 }
            : undefined;
        },
        feed() {
          fed++;
          pending = outputs[fed % Math.max(1, outputs.length)] ?? 0;
          if (fed >= establishAfter) state = fails ? 'failed' : 'established';
        },
        writeApplicationData() {
          pending += 22;
        },
        whenSettled(settled) {
          settled();
        },
        takeOutput() {
          const out = new Uint8Array(pending).fill(0x16);
          pending = 0;
          return out;
        },
        takeApplicationData: () => new Uint8Array(0),
        exportKeyingMaterial: (_label, length) => new Uint8Array(length).fill(7),
        peerCertificate: () => undefined,
        close() {
          state = 'closed';
        },
      };
    },
  };
}

const incoming = fc.oneof(
  fc.record({
    kind: fc.constant('tls' as const),
    identifier: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined, freq: 4 }),
    flags: fc.integer({ min: 0, max: 255 }),
    length: fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined }),
    data: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    kind: fc.constant('raw' as const),
    identifier: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 20 }),
  }),
  fc.record({
    kind: fc.constantFrom('success' as const, 'failure' as const, 'timeout' as const),
    identifier: fc.integer({ min: 0, max: 255 }),
  }),
);

function checkResult(result: EapMakeMessageResult, capacity: number): void {
  if (isMethodError(result)) {
    expect(typeof result.error).toBe('number');
    return;
  }
  if (result.packet !== undefined)
    expect(eapPacketLength(result.packet)).toBeLessThanOrEqual(capacity);
}

describe('EAP-TLS method under arbitrary input', () => {
  for (const side of ['peer', 'authenticator'] as const) {
    it(`${side}: never throws, fits the capacity, succeeds only after the engine established`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 11, max: 1500 }),
          fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 5 }),
          fc.integer({ min: 1, max: 6 }),
          fc.boolean(),
          fc.array(incoming, { maxLength: 40 }),
          (capacity, outputs, establishAfter, fails, events) => {
            const method = createTlsMethod({
              engines: scriptedEngines(outputs, establishAfter, fails),
            });
            const work = method.begin({ authenticator: side === 'authenticator', initialId: 1 });
            const code = side === 'peer' ? EapCode.Request : EapCode.Response;
            let established = false;
            let last = method.makeMessage(work, null, capacity);
            checkResult(last, capacity);
            for (const event of events) {
              let packet: EapPacket | null;
              if (event.kind === 'tls') {
                // Mostly the Identifier the method expects, so the deep paths run too.
                const identifier = event.identifier ?? ('identifier' in work ? work.identifier : 0);
                packet = {
                  code,
                  identifier,
                  type: 13,
                  typeData: encodeTlsTypeData(event.flags, event.length, event.data),
                };
              } else if (event.kind === 'raw') {
                packet = { code, identifier: event.identifier, type: 13, typeData: event.data };
              } else if (event.kind === 'timeout') {
                packet = null;
              } else {
                packet = {
                  code: event.kind === 'success' ? EapCode.Success : EapCode.Failure,
                  identifier: event.identifier,
                };
              }
              last = method.makeMessage(work, packet, capacity);
              checkResult(last, capacity);
              // Pending work settles synchronously here: complete it as the framework would.
              for (
                let n = 0;
                n < 3 && !isMethodError(last) && last.pendingWork !== undefined;
                n++
              ) {
                let done = false;
                last.pendingWork.whenDone(() => (done = true));
                expect(done).toBe(true);
                established ||= work.channel.engine?.state === 'established';
                last = method.makeMessage(work, null, capacity, {
                  authenticator: side === 'authenticator',
                  workComplete: true,
                });
                checkResult(last, capacity);
              }
              established ||= work.channel.engine?.state === 'established';
              if (
                !isMethodError(last) &&
                last.authResultCode === 0 &&
                (last.action === 'done' || last.action === 'send-and-done')
              ) {
                expect(established).toBe(true);
                expect(fails).toBe(false);
              }
            }
            method.end(work);
          },
        ),
      );
    });
  }
});
