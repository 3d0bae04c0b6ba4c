import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes/index.js';
import {
  ContextResult,
  FaultStatus,
  NDR20_SYNTAX,
  NDR64_SYNTAX,
  PduFramer,
  PfcFlag,
  StubAssembler,
  btfnFeatures,
  btfnSyntax,
  encodeBind,
  encodeBindAck,
  encodeBindNak,
  encodeFault,
  encodeRequest,
  encodeResponse,
  isNdr20,
  isNdr64,
  parsePdu,
  type Pdu,
  type SyntaxId,
} from './index.js';

const LREC = { uuid: '22e5386d-8b12-4bf0-b0ec-6a1ea419e366', major: 1, minor: 0 };
const NDR20: SyntaxId = { uuid: NDR20_SYNTAX.uuid, major: 2, minor: 0 };
const NDR64: SyntaxId = { uuid: NDR64_SYNTAX.uuid, major: 1, minor: 0 };

// impacket's bind for the LREC interface (one context, NDR20), laid out by hand from C706 12.6.
const IMPACKET_BIND = `
  05 00 0b 03 10000000 4800 0000 01000000    # v5.0 bind, FIRST|LAST, drep LE, frag 72, auth 0, call 1
  b810 b810 00000000                         # max_xmit 4280, max_recv 4280, assoc_group 0
  01 000000                                  # n_context_elem 1
  0000 01 00                                 # p_cont_id 0, n_transfer_syn 1
  6d38e522 128b f04b b0ec 6a1ea419e366 0100 0000  # 22e5386d-8b12-4bf0-b0ec-6a1ea419e366 v1.0
  045d888a eb1c c911 9fe8 08002b104860 0200 0000  # NDR 2.0`;

/** The member of Pdu whose kind includes K (bind and alter_context share one). */
type PduOf<K extends Pdu['kind']> = Pdu extends infer P
  ? P extends { kind: infer PK }
    ? K extends PK
      ? P
      : never
    : never
  : never;

function expectKind<K extends Pdu['kind']>(pdu: Pdu, kind: K): PduOf<K> {
  expect(pdu.kind).toBe(kind);
  return pdu as PduOf<K>;
}

describe('dcerpc PDUs', () => {
  it('decodes a bind laid out by hand, and encodeBind writes the same bytes', () => {
    const bytes = fromHex(IMPACKET_BIND);
    const parsed = parsePdu(bytes);
    if (!parsed.ok) throw new Error(parsed.failure.message);
    const bind = expectKind(parsed.value, 'bind');
    expect(bind.maxXmitFrag).toBe(4280);
    expect(bind.header.callId).toBe(1);
    expect(bind.contexts).toEqual([{ id: 0, abstractSyntax: LREC, transferSyntaxes: [NDR20] }]);
    const encoded = encodeBind({
      kind: 'bind',
      callId: 1,
      maxXmitFrag: 4280,
      maxRecvFrag: 4280,
      assocGroup: 0,
      contexts: bind.contexts,
    });
    expect(toHex(encoded)).toBe(toHex(bytes));
  });

  it('bind_ack round-trips with the secondary address padded to 4', () => {
    const bytes = encodeBindAck({
      kind: 'bind_ack',
      callId: 7,
      maxXmitFrag: 4280,
      maxRecvFrag: 4280,
      assocGroup: 0x1234,
      secondaryAddress: '49152',
      results: [
        { result: ContextResult.acceptance, reason: 0, transferSyntax: NDR20 },
        { result: ContextResult.provider_rejection, reason: 2 },
        { result: ContextResult.negotiate_ack, reason: 0 },
      ],
    });
    // 26 + "49152\0" (6) = 32, already aligned; results at 32.
    expect(bytes.length).toBe(32 + 4 + 3 * 24);
    expect(bytes[24]).toBe(6);
    const parsed = parsePdu(bytes);
    if (!parsed.ok) throw new Error(parsed.failure.message);
    const ack = expectKind(parsed.value, 'bind_ack');
    expect(ack.secondaryAddress).toBe('49152');
    expect(ack.assocGroup).toBe(0x1234);
    expect(ack.results.map((r) => [r.result, r.reason])).toEqual([
      [0, 0],
      [2, 2],
      [3, 0],
    ]);
    expect(isNdr20(ack.results[0]!.transferSyntax)).toBe(true);
  });

  it('alter_context_resp carries an empty secondary address', () => {
    const bytes = encodeBindAck({
      kind: 'alter_context_resp',
      callId: 2,
      maxXmitFrag: 4280,
      maxRecvFrag: 4280,
      assocGroup: 1,
      secondaryAddress: '',
      results: [{ result: 0, reason: 0, transferSyntax: NDR20 }],
    });
    expect(bytes[2]).toBe(15);
    const parsed = parsePdu(bytes);
    expect(parsed.ok && parsed.value.kind === 'alter_context_resp').toBe(true);
    expect(bytes.length).toBe(28 + 4 + 24);
  });

  it('bind_nak and fault', () => {
    const nak = parsePdu(encodeBindNak(3, 8));
    expect(nak.ok && nak.value.kind === 'bind_nak' && nak.value.reason).toBe(8);
    const faultBytes = encodeFault({
      callId: 9,
      contextId: 0,
      status: FaultStatus.nca_s_op_rng_error,
      didNotExecute: true,
    });
    expect(toHex(faultBytes.subarray(0, 4))).toBe('05000323');
    const fault = parsePdu(faultBytes);
    if (!fault.ok) throw new Error(fault.failure.message);
    expect(expectKind(fault.value, 'fault').status).toBe(0x1c010002);
  });

  it('classifies NDR20, NDR64 and BTFN syntaxes', () => {
    expect(isNdr20(NDR20)).toBe(true);
    expect(isNdr64(NDR64)).toBe(true);
    expect(isNdr20(NDR64)).toBe(false);
    const btfn = btfnSyntax(0x0003);
    expect(btfn.uuid).toBe('6cb71c2c-9812-4540-0300-000000000000');
    expect(btfnFeatures(btfn)).toBe(3);
    expect(btfnFeatures(NDR20)).toBeUndefined();
  });

  it('reads the auth trailer and strips its padding from the stub', () => {
    const request = encodeRequest(
      { callId: 1, contextId: 0, opnum: 1, stub: new Uint8Array(4) },
      4280,
    );
    // Append pad 4 + sec_trailer (auth_type 10, level 6, pad 4) + 16-byte token.
    const withAuth = new Uint8Array(request.length + 4 + 8 + 16);
    withAuth.set(request);
    withAuth.set([10, 6, 4, 0, 0, 0, 0, 0], request.length + 4);
    const view = new DataView(withAuth.buffer);
    view.setUint16(8, withAuth.length, true);
    view.setUint16(10, 16, true);
    const parsed = parsePdu(withAuth);
    if (!parsed.ok) throw new Error(parsed.failure.message);
    const req = expectKind(parsed.value, 'request');
    expect(req.stub.length).toBe(4);
    expect(req.auth).toMatchObject({ authType: 10, authLevel: 6, padLength: 4 });
    expect(req.auth?.token.length).toBe(16);
  });

  it.each([
    ['bad-version', '04000b0310000000', 16],
    ['unsupported-drep', '05000b0300000000', 16],
    ['truncated', '05000b03', 4],
  ])('refuses %s', (code, prefix, size) => {
    const bytes = new Uint8Array(size);
    bytes.set(fromHex(prefix));
    if (size >= 16) new DataView(bytes.buffer).setUint16(8, size, true);
    const parsed = parsePdu(bytes);
    expect(parsed.ok ? 'ok' : parsed.failure.code).toBe(code);
  });

  it('refuses lying counts: contexts past frag_length, auth_length past the body', () => {
    const bind = fromHex(IMPACKET_BIND);
    bind[24] = 200; // 200 contexts in 72 bytes
    const many = parsePdu(bind);
    expect(many.ok ? 'ok' : many.failure.code).toBe('bad-context-list');
    const bind2 = fromHex(IMPACKET_BIND);
    bind2[30] = 255; // 255 transfer syntaxes
    const syntaxes = parsePdu(bind2);
    expect(syntaxes.ok ? 'ok' : syntaxes.failure.code).toBe('bad-context-list');
    const bind3 = fromHex(IMPACKET_BIND);
    bind3[10] = 0xf0; // auth_length 240
    const auth = parsePdu(bind3);
    expect(auth.ok ? 'ok' : auth.failure.code).toBe('bad-auth-length');
    const bind4 = fromHex(IMPACKET_BIND);
    bind4[8] = 200; // frag_length 200 > 72 bytes present
    const frag = parsePdu(bind4);
    expect(frag.ok ? 'ok' : frag.failure.code).toBe('bad-frag-length');
  });
});

describe('dcerpc properties', () => {
  it('parsePdu never throws, on any bytes, and never reads past frag_length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        (body, plausible, fragLength) => {
          const bytes = body.slice();
          if (plausible && bytes.length >= 16) {
            bytes.set([5, 0], 0);
            bytes[4] = 0x10;
            new DataView(bytes.buffer).setUint16(8, fragLength % (bytes.length + 1), true);
          }
          const parsed = parsePdu(bytes);
          if (parsed.ok) expect(parsed.value.header.fragLength).toBeLessThanOrEqual(bytes.length);
        },
      ),
    );
  });

  it('request and response fragments reassemble to the stub for any size and fragment size', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 20_000 }),
        fc.integer({ min: 1432, max: 0xffff }),
        fc.constantFrom('request', 'response'),
        fc.integer({ min: 1, max: 4 }),
        (stub, maxFrag, kind, splitParts) => {
          // The stub given as several parts (a header and a payload, say).
          const cut = Math.floor(stub.length / splitParts);
          const parts = Array.from({ length: splitParts }, (_, i) =>
            stub.subarray(i * cut, i === splitParts - 1 ? stub.length : (i + 1) * cut),
          );
          const bytes =
            kind === 'request'
              ? encodeRequest({ callId: 5, contextId: 1, opnum: 2, stub: parts }, maxFrag)
              : encodeResponse({ callId: 5, contextId: 1, stub: parts }, maxFrag);
          const framer = new PduFramer();
          const framed = framer.push(bytes);
          if (!framed.ok) throw new Error(framed.failure.message);
          const assembler = new StubAssembler(1 << 20);
          let whole: Uint8Array | undefined;
          let remainingHint = stub.length;
          for (const [i, pdu] of framed.pdus.entries()) {
            expect(pdu.length).toBeLessThanOrEqual(maxFrag);
            const parsed = parsePdu(pdu);
            if (!parsed.ok) throw new Error(parsed.failure.message);
            const value = parsed.value;
            if (value.kind !== 'request' && value.kind !== 'response') throw new Error(value.kind);
            expect(value.allocHint).toBe(remainingHint);
            remainingHint -= value.stub.length;
            if (i < framed.pdus.length - 1) expect(value.stub.length % 8).toBe(0);
            const step = assembler.add(value.header.callId, value.header.flags, value.stub);
            if (step.status === 'failed') throw new Error(step.failure.message);
            if (step.status === 'complete') whole = step.stub;
          }
          expect(whole && toHex(whole)).toBe(toHex(stub));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the framer yields the same PDUs however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }),
        (stubs, cuts) => {
          const pdus = stubs.map((stub, i) =>
            encodeRequest({ callId: i, contextId: 0, opnum: 1, stub }, 1432),
          );
          const stream = new Uint8Array(pdus.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of pdus) {
            stream.set(p, at);
            at += p.length;
          }
          const framer = new PduFramer();
          const got: string[] = [];
          let offset = 0;
          let c = 0;
          while (offset < stream.length) {
            const size = cuts[c++ % cuts.length]!;
            const out = framer.push(stream.subarray(offset, offset + size));
            if (!out.ok) throw new Error(out.failure.message);
            for (const pdu of out.pdus) got.push(toHex(pdu));
            offset += size;
            expect(framer.bufferedBytes).toBeLessThanOrEqual(0xffff);
          }
          const expected: string[] = [];
          const again = new PduFramer().push(stream);
          if (!again.ok) throw new Error('framer failed');
          for (const pdu of again.pdus) expected.push(toHex(pdu));
          expect(got).toEqual(expected);
          expect(framer.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a lying frag_length fails the framer for good, and its buffer stays bounded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1432, max: 0xffff }),
        fc.uint8Array({ minLength: 16, maxLength: 4000 }),
        (fragLength, limit, tail) => {
          const bytes = tail.slice();
          bytes.set([5, 0, 0, 3, 0x10, 0, 0, 0]);
          new DataView(bytes.buffer).setUint16(8, fragLength, true);
          const framer = new PduFramer(limit);
          const out = framer.push(bytes);
          if (fragLength < 16 || fragLength > limit) {
            expect(out.ok).toBe(false);
            expect(framer.push(new Uint8Array(4)).ok).toBe(false);
          } else {
            expect(out.ok).toBe(true);
            expect(framer.bufferedBytes).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });

  it('the assembler refuses stubs past its limit and fragments out of order', () => {
    const assembler = new StubAssembler(100);
    expect(assembler.add(1, PfcFlag.FIRST_FRAG, new Uint8Array(64)).status).toBe('more');
    const big = assembler.add(1, 0, new Uint8Array(64));
    expect(big.status === 'failed' && big.failure.code).toBe('too-large');
    expect(assembler.bufferedBytes).toBe(0);
    const orphan = assembler.add(2, PfcFlag.LAST_FRAG, new Uint8Array(8));
    expect(orphan.status === 'failed' && orphan.failure.code).toBe('bad-fragment');
    expect(assembler.add(3, PfcFlag.FIRST_FRAG, new Uint8Array(8)).status).toBe('more');
    const interleaved = assembler.add(4, PfcFlag.FIRST_FRAG, new Uint8Array(8));
    expect(interleaved.status === 'failed' && interleaved.failure.code).toBe('bad-fragment');
    // Another call's middle or last fragment while one is being reassembled: refused,
    // not appended to the first call's stub (mutation check).
    expect(assembler.add(5, PfcFlag.FIRST_FRAG, new Uint8Array(8)).status).toBe('more');
    const foreign = assembler.add(6, PfcFlag.LAST_FRAG, new Uint8Array(8));
    expect(foreign.status === 'failed' && foreign.failure.code).toBe('bad-fragment');
    expect(assembler.inProgress).toBe(false);
  });
});
