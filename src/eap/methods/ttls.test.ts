import { describe, expect, it } from 'vitest';
import { peapDialogue } from '../../../test/interop/support/eap-peap-dialogue.js';
import { toHex } from '../../bytes/index.js';
import { EapType } from '../../wire/eap.js';
import {
  EAP_KEY_NAME_ATTRIBUTE,
  MicrosoftAttributeType,
  TtlsAvpCode,
  TtlsAvpFlag,
  encodeTtlsAvps,
  findAttribute,
  parseTtlsAvps,
  type AuthAttribute,
} from '../index.js';

const vendor = (attributes: readonly AuthAttribute[], vendorType: number) =>
  findAttribute(attributes, 26, { vendorId: 311, vendorType })?.value;

describe('TTLS AVPs (RFC 5281 §10)', () => {
  it('encodes code, flags, 3-octet length and pads to four octets', () => {
    const bytes = encodeTtlsAvps([
      {
        code: TtlsAvpCode.UserName,
        flags: TtlsAvpFlag.Mandatory,
        data: Uint8Array.of(0x62, 0x6f, 0x62),
      },
      { code: 2, flags: 0, vendorId: 311, data: Uint8Array.of(1) },
    ]);
    expect(toHex(bytes)).toBe(
      '00000001' +
        '40' +
        '00000b' +
        '626f62' +
        '00' +
        '00000002' +
        '80' +
        '00000d' +
        '00000137' +
        '01' +
        '000000',
    );
    const parsed = parseTtlsAvps(bytes);
    expect(parsed.ok && parsed.avps.map((a) => [a.code, a.vendorId, toHex(a.data)])).toEqual([
      [1, undefined, '626f62'],
      [2, 311, '01'],
    ]);
  });
  it('refuses a length below the header or past the data; the last padding may be absent', () => {
    expect(parseTtlsAvps(Uint8Array.of(0, 0, 0, 1, 0x40, 0, 0, 7))).toMatchObject({ ok: false });
    expect(parseTtlsAvps(Uint8Array.of(0, 0, 0, 1, 0x40, 0, 0, 10, 1))).toMatchObject({
      ok: false,
    });
    expect(parseTtlsAvps(Uint8Array.of(0, 0, 0, 1, 0x40, 0, 0, 9, 1))).toMatchObject({ ok: true });
  });
});

describe('EAP-TTLS/PAP over Node TLS through createEapPair', () => {
  for (const [version, sendCapacity] of [
    ['TLSv1.2', 1020],
    ['TLSv1.2', 300],
    // Regression (RFC 9427 §3): under TLS 1.3 the peer's AVPs travel with its Finished;
    // the authenticator sent its NewSessionTickets instead of reading them and failed
    // the peer's ACK ("sent no AVPs"); through RADIUS the netrx peer then hung.
    ['TLSv1.3', 1020],
    ['TLSv1.3', 300],
  ] as const) {
    it(`${version}, send capacity ${sendCapacity}: success on both sides, the RFC 5281 / RFC 9427 keys agree`, async () => {
      const run = await peapDialogue({ ttls: true, sendCapacity, version });
      expect(run.peer?.reason).toContain(`(${version})`);
      expect(run.auth).toMatchObject({ outcome: 'success', resultCode: 0, method: 'TTLS' });
      expect(run.peer).toMatchObject({ outcome: 'success', resultCode: 0, method: 'TTLS' });
      expect(run.auth?.identity).toBe('bob');
      expect(run.auth?.outerIdentity).toBe('anonymous');
      expect(run.provider.counts).toEqual({ accepted: 1, rejected: 0 });
      const auth = run.auth!.attributes;
      const peer = run.peer!.attributes;
      const recv = vendor(auth, MicrosoftAttributeType.MsMppeRecvKey);
      expect(recv).toHaveLength(32);
      expect(vendor(peer, MicrosoftAttributeType.MsMppeSendKey)).toEqual(recv);
      expect(vendor(peer, MicrosoftAttributeType.MsMppeRecvKey)).toEqual(
        vendor(auth, MicrosoftAttributeType.MsMppeSendKey),
      );
      expect(findAttribute(auth, EAP_KEY_NAME_ATTRIBUTE)?.value[0]).toBe(EapType.Ttls);
      for (const w of run.pair.wire) expect(w.bytes.length).toBeLessThanOrEqual(sendCapacity);
    });
  }

  it('a wrong password and an unknown inner user: Failure, 691', async () => {
    const wrong = await peapDialogue({ ttls: true, password: 'wrong' });
    expect(wrong.auth).toMatchObject({ outcome: 'failure', resultCode: 691 });
    expect(wrong.peer?.outcome).toBe('failure');
    const unknown = await peapDialogue({ ttls: true, innerIdentity: 'mallory' });
    expect(unknown.auth).toMatchObject({ outcome: 'failure', resultCode: 691 });
  });
});

describe('EAP-TTLS/EAP-MSCHAPv2 over Node TLS through createEapPair', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    '%s: success on both sides; the inner identity is checked; keys agree',
    async (version) => {
      const run = await peapDialogue({ ttls: 'eap', sendCapacity: 400, version });
      expect(run.peer?.reason).toContain(`(${version})`);
      expect(run.auth).toMatchObject({ outcome: 'success', resultCode: 0, method: 'TTLS' });
      expect(run.peer).toMatchObject({ outcome: 'success', resultCode: 0, method: 'TTLS' });
      expect(run.provider.counts).toEqual({ accepted: 1, rejected: 0 });
      const recv = vendor(run.auth!.attributes, MicrosoftAttributeType.MsMppeRecvKey);
      expect(recv).toHaveLength(32);
      expect(vendor(run.peer!.attributes, MicrosoftAttributeType.MsMppeSendKey)).toEqual(recv);
    },
  );

  it('a wrong password: Failure on both sides', async () => {
    const run = await peapDialogue({ ttls: 'eap', password: 'wrong' });
    expect(run.auth).toMatchObject({ outcome: 'failure', resultCode: 691 });
    expect(run.peer?.outcome).toBe('failure');
  });
});
