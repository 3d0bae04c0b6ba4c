import { describe, expect, it } from 'vitest';
import { peapDialogue } from '../../../test/interop/support/eap-peap-dialogue.js';
import { EapCode, EapType, parseEap } from '../../wire/eap.js';
import {
  EAP_KEY_NAME_ATTRIBUTE,
  MicrosoftAttributeType,
  findAttribute,
  parseTlsTypeData,
  TlsFlag,
  type AuthAttribute,
} from '../index.js';

const vendor = (attributes: readonly AuthAttribute[], vendorType: number) =>
  findAttribute(attributes, 26, { vendorId: 311, vendorType })?.value;

describe('PEAPv0/EAP-MSCHAPv2 over Node TLS through createEapPair', () => {
  for (const [version, sendCapacity] of [
    ['TLSv1.2', 1020],
    ['TLSv1.2', 300],
    ['TLSv1.3', 1020],
    ['TLSv1.3', 300],
  ] as const) {
    it(`${version}, send capacity ${sendCapacity}: success on both sides, TLS-derived MPPE keys agree`, async () => {
      const run = await peapDialogue({ sendCapacity, version });
      expect(run.peer?.reason).toContain(`(${version})`);
      expect(run.auth).toMatchObject({ outcome: 'success', resultCode: 0, method: 'PEAP' });
      expect(run.peer).toMatchObject({ outcome: 'success', resultCode: 0, method: 'PEAP' });
      // The outer identity is anonymous; the provider checked the inner one, and the
      // session's identity is that inner one (the Access-Accept's User-Name).
      expect(run.auth?.identity).toBe('bob');
      expect(run.auth?.outerIdentity).toBe('anonymous');
      expect(run.provider.counts).toEqual({ accepted: 1, rejected: 0 });
      const auth = run.auth!.attributes;
      const peer = run.peer!.attributes;
      const recv = vendor(auth, MicrosoftAttributeType.MsMppeRecvKey);
      const send = vendor(auth, MicrosoftAttributeType.MsMppeSendKey);
      // 32 bytes each: the TLS MSK halves, not MSCHAPv2's 16-byte keys.
      expect(recv).toHaveLength(32);
      expect(send).toHaveLength(32);
      expect(vendor(peer, MicrosoftAttributeType.MsMppeSendKey)).toEqual(recv);
      expect(vendor(peer, MicrosoftAttributeType.MsMppeRecvKey)).toEqual(send);
      const keyName = findAttribute(auth, EAP_KEY_NAME_ATTRIBUTE)?.value;
      expect(keyName).toHaveLength(65);
      expect(keyName?.[0]).toBe(EapType.Peap);
      for (const w of run.pair.wire) expect(w.bytes.length).toBeLessThanOrEqual(sendCapacity);
      expect(run.pair.peer.stats().droppedTotal).toBe(0);
      expect(run.pair.authenticator.stats().droppedTotal).toBe(0);
    });
  }

  it('the Start is type 25 with S and version 0; every PEAP packet carries version 0', async () => {
    const run = await peapDialogue();
    const packets = run.pair.wire.map((w) => parseEap(w.bytes));
    const peap = packets.flatMap((p) =>
      p.ok && 'typeData' in p.value && p.value.type === EapType.Peap ? [p.value] : [],
    );
    expect([...(peap[0]?.typeData ?? [])]).toEqual([TlsFlag.Start]);
    for (const p of peap) {
      const parsed = parseTlsTypeData(p.typeData);
      expect(parsed.ok && parsed.value.version).toBe(0);
    }
    const last = packets.at(-1);
    expect(last?.ok && last.value.code).toBe(EapCode.Success);
  });

  it('a wrong inner password: Failure on both sides, no keys', async () => {
    const run = await peapDialogue({ password: 'wrong' });
    expect(run.auth).toMatchObject({ outcome: 'failure', resultCode: 691, attributes: [] });
    expect(run.peer?.outcome).toBe('failure');
    expect(run.provider.counts).toEqual({ accepted: 0, rejected: 1 });
    const last = run.pair.wire.at(-1);
    expect(last && parseEap(last.bytes).ok && last.bytes[0]).toBe(EapCode.Failure);
  });

  it('an unknown inner user is refused although the outer identity is anonymous', async () => {
    const run = await peapDialogue({ innerIdentity: 'mallory' });
    expect(run.auth).toMatchObject({ outcome: 'failure', resultCode: 691 });
    expect(run.peer?.outcome).toBe('failure');
  });

  it('the peer refuses a server certificate for another name', async () => {
    const run = await peapDialogue({ client: { serverName: 'other.netrx.test' } });
    expect(run.peer?.outcome).toBe('failure');
    expect(run.peer?.reason).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(run.auth?.outcome).not.toBe('success');
  });
});
