import { describe, expect, it } from 'vitest';
import { storedAtMsOf, streamSequenceOf } from './nats-pull.js';

describe('ack subjects', () => {
  const nanos = '1700000000123456789';

  it('give the stream sequence and the store time, with or without a domain', () => {
    const plain = `$JS.ACK.netrx-lab.netrx-reader-lab-a.1.42.7.${nanos}.3`;
    const domain = `$JS.ACK.hub.ACCHASH.netrx-lab.netrx-reader-lab-a.1.42.7.${nanos}.3`;
    for (const reply of [plain, domain, `${domain}.r4nd0m`]) {
      expect([streamSequenceOf(reply), storedAtMsOf(reply)]).toEqual([42, 1_700_000_000_123]);
    }
  });

  it('a subject that is not one has no store time', () => {
    expect(storedAtMsOf('_INBOX.abc.1')).toBeUndefined();
    expect(storedAtMsOf('$JS.ACK.s.c.1.42.7')).toBeUndefined();
    expect(storedAtMsOf('$JS.ACK.s.c.1.42.7.soon.3')).toBeUndefined();
  });
});
