/**
 * A portable subset of the WebSocket core's conformance and property
 * suites: in-memory handle pairs (every receive mode, chops, fragments,
 * pings, the closing handshake, violations), the handshake through the
 * HTTP head parser, and the pure-JS permessage-deflate codec, with
 * fast-check drawing inputs and settings. It imports only the core, the
 * portable entry and fast-check, so it runs unchanged under vitest
 * (websocket-suite.test.ts), Deno, Bun and Chromium (run-suite.ts).
 */
import fc from 'fast-check';
import type { Crypto } from '../../src/runtime/index.js';
import { HandleDriver, connectHandles, type DriverOptions } from '../../src/testing/index.js';
import {
  HttpHeadParser,
  computeAccept,
  createClientHandle,
  createServerHandle,
  validateUpgradeRequest,
  type HandleProperties,
  type PerMessageDeflateParams,
} from '../../src/websocket/index.js';
import { createPakoDeflateCodec, createPortableCrypto } from '../../src/websocket/portable.js';
import { encodeFrame, Opcode } from '../../src/wire/websocket/index.js';
import { check, checkBytes, checkEqual, type PortableCase } from './check.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Cases over a Crypto the host gives (each runtime's getRandomValues). */
export function websocketCases(crypto: Crypto, numRuns = 40): PortableCase[] {
  const pair = (
    props: { client?: HandleProperties; server?: HandleProperties } = {},
    drivers: { client?: DriverOptions; server?: DriverOptions } = {},
    perMessageDeflate?: PerMessageDeflateParams,
  ) => {
    const client = createClientHandle({ crypto, ...props.client });
    const server = createServerHandle({ crypto, ...props.server });
    client.open(perMessageDeflate === undefined ? {} : { perMessageDeflate });
    server.open(perMessageDeflate === undefined ? {} : { perMessageDeflate });
    return connectHandles(client, server, drivers);
  };

  const driverArb = fc.record({
    chop: fc.integer({ min: 1, max: 3000 }),
    copyIntoBuffer: fc.boolean(),
    callerBuffer: fc.option(fc.integer({ min: 1, max: 512 }), { nil: undefined }),
  });
  const driverOptions = (d: {
    chop: number;
    copyIntoBuffer: boolean;
    callerBuffer: number | undefined;
  }): DriverOptions => ({
    chop: d.chop,
    copyIntoBuffer: d.copyIntoBuffer,
    ...(d.callerBuffer === undefined
      ? {}
      : { receiveBuffer: () => new Uint8Array(d.callerBuffer as number) }),
  });
  const messageArb = fc.oneof(
    fc
      .string({ unit: 'grapheme', maxLength: 300 })
      .map((s) => ({ type: 'utf8-message' as const, data: text(s) })),
    fc.uint8Array({ maxLength: 5000 }).map((data) => ({ type: 'binary-message' as const, data })),
  );

  return [
    {
      name: 'pair: a message mix arrives intact across drawn chops and receive modes',
      run: () =>
        fc.assert(
          fc.property(
            fc.array(messageArb, { maxLength: 12 }),
            driverArb,
            driverArb,
            fc.boolean(),
            (messages, cd, sd, assemble) => {
              const p = pair(
                { server: { assembleMessages: assemble } },
                { client: driverOptions(cd), server: driverOptions(sd) },
              );
              for (const m of messages) p.client.handle.send(m.type, m.data);
              p.flush();
              const got = p.server.messages();
              checkEqual(got.length, messages.length, 'message count');
              got.forEach((g, i) => {
                checkEqual(g.type, messages[i]!.type, `type of ${i}`);
                checkBytes(g.data, messages[i]!.data, `message ${i}`);
              });
            },
          ),
          { numRuns },
        ),
    },
    {
      name: 'pair + pure-JS permessage-deflate: drawn window bits, takeover and chops',
      run: () =>
        fc.assert(
          fc.property(
            fc.record({
              serverNoContextTakeover: fc.boolean(),
              clientNoContextTakeover: fc.boolean(),
              serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
              clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
            }),
            fc.array(messageArb, { minLength: 1, maxLength: 8 }),
            driverArb,
            (params, messages, d) => {
              const codec = createPakoDeflateCodec();
              const p = pair(
                { client: { deflateCodec: codec }, server: { deflateCodec: codec } },
                { client: driverOptions(d), server: driverOptions(d) },
                params,
              );
              for (const m of messages) {
                p.client.handle.send(m.type, m.data);
                p.server.handle.send(m.type, m.data);
              }
              p.flush();
              for (const side of [p.server, p.client]) {
                const got = side.messages();
                checkEqual(got.length, messages.length, 'message count');
                got.forEach((g, i) => checkBytes(g.data, messages[i]!.data, `message ${i}`));
              }
            },
          ),
          { numRuns },
        ),
    },
    {
      name: 'pair: fragments sent one by one arrive as one message',
      run: () => {
        const p = pair({ server: { assembleMessages: true } });
        p.client.handle.send('utf8-fragment', text('ab'));
        p.client.handle.send('utf8-fragment', text('cd'));
        p.client.handle.send('utf8-message', text('ef'));
        p.flush();
        checkEqual(
          p.server.messages().map((m) => [m.type, decode(m.data)]),
          [['utf8-message', 'abcdef']],
          'assembled',
        );
      },
    },
    {
      name: 'pair: a message longer than the caller buffer is indicated as fragments',
      run: () => {
        const p = pair({}, { server: { receiveBuffer: () => new Uint8Array(4) } });
        p.client.handle.send('binary-message', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
        p.flush();
        checkEqual(
          p.server.received.map((r) => [r.bufferType, [...r.data]]),
          [
            ['binary-fragment', [1, 2, 3, 4]],
            ['binary-fragment', [5, 6, 7, 8]],
            ['binary-message', [9, 10]],
          ],
          'pieces',
        );
      },
    },
    {
      name: 'server answers a ping with an identical pong',
      run: () => {
        const server = createServerHandle({ crypto });
        server.open();
        const driver = new HandleDriver(server);
        driver.postReceive();
        driver.deliver(
          encodeFrame({ opcode: Opcode.Ping, payload: text('are you there'), maskKey: 0x01020304 }),
        );
        driver.run();
        checkEqual([...(driver.written[0] ?? [])], [0x8a, 13, ...text('are you there')], 'pong');
        checkEqual(server.stats.pingsAnswered, 1, 'pings answered');
      },
    },
    {
      name: 'closing handshake: any valid code and reason is echoed, both end closed',
      run: () =>
        fc.assert(
          fc.property(
            fc.oneof(fc.constant(1000), fc.integer({ min: 3000, max: 4999 })),
            fc.string({ maxLength: 40 }),
            (code, reason) => {
              fc.pre(text(reason).length <= 123);
              const p = pair();
              p.client.handle.send('close', { code, reason });
              p.flush();
              checkEqual(
                p.server.received.map((r) => r.close),
                [{ code, reason }],
                'server saw',
              );
              checkEqual(
                p.client.received.map((r) => r.close),
                [{ code, reason }],
                'client saw',
              );
              checkEqual(
                [p.client.handle.state, p.server.handle.state],
                ['closed', 'closed'],
                'states',
              );
            },
          ),
          { numRuns },
        ),
    },
    {
      name: 'violations close with their codes: unmasked 1002, bad UTF-8 1007',
      run: () => {
        for (const [frame, closeCode] of [
          [encodeFrame({ opcode: Opcode.Text, payload: text('x') }), 1002],
          [
            encodeFrame({ opcode: Opcode.Text, payload: Uint8Array.of(0xff, 0xfe), maskKey: 7 }),
            1007,
          ],
        ] as const) {
          const server = createServerHandle({ crypto });
          server.open();
          const driver = new HandleDriver(server);
          driver.postReceive();
          driver.deliver(frame);
          driver.run();
          checkEqual(driver.received.at(-1)?.close?.code, closeCode, 'close code');
          check(driver.received.at(-1)?.error !== undefined, 'a coded ProtocolError');
        }
      },
    },
    {
      name: 'handshake through the HTTP head parser, deflate negotiated, in drawn pieces',
      run: () =>
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 64 }), fc.boolean(), (piece, deflate) => {
            const codec = createPakoDeflateCodec();
            const client = createClientHandle({ crypto, deflateCodec: codec });
            const server = createServerHandle({ crypto, deflateCodec: codec });
            const request = client.beginClientHandshake({
              host: 'example.test',
              path: '/chat',
              perMessageDeflate: deflate,
            });
            const parser = new HttpHeadParser('request');
            let step = parser.push(new Uint8Array(0));
            for (let at = 0; at < request.bytes.length; at += piece)
              step = parser.push(request.bytes.subarray(at, at + piece));
            check(step.state === 'complete', 'request parsed');
            const upgrade = validateUpgradeRequest(step.head);
            check(upgrade.ok, 'request valid');
            const answer = server.beginServerHandshake(upgrade.value, { perMessageDeflate: true });
            const responseStep = new HttpHeadParser('response').push(answer.bytes);
            check(responseStep.state === 'complete', 'response parsed');
            const result = client.endClientHandshake(responseStep.head);
            check(result.ok, 'response accepted');
            checkEqual(result.value.perMessageDeflate !== undefined, deflate, 'deflate negotiated');
            checkEqual(client.state, 'open', 'client state');
          }),
          { numRuns },
        ),
    },
    {
      name: 'Sec-WebSocket-Accept of RFC 6455 §1.3 with the portable SHA-1',
      run: () =>
        checkEqual(
          computeAccept('dGhlIHNhbXBsZSBub25jZQ==', crypto),
          's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
          'accept',
        ),
    },
  ];
}

/** The Crypto each runtime builds from its own Web Crypto. */
export function webCrypto(getRandomValues: (bytes: Uint8Array<ArrayBuffer>) => unknown): Crypto {
  return createPortableCrypto((bytes) => {
    getRandomValues(bytes as Uint8Array<ArrayBuffer>);
  });
}
