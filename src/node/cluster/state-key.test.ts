import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStateKey } from './state-key.js';

const dir = mkdtempSync(join(tmpdir(), 'cluster-kv-key-'));
const raw = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const hex = Buffer.from(raw).toString('hex');

describe('loadStateKey', () => {
  it('takes 64 hex digits, a 32-octet file, or a file of 64 hex digits', () => {
    expect(loadStateKey('k', hex)).toEqual(raw);
    writeFileSync(join(dir, 'raw'), raw);
    expect(loadStateKey('k', join(dir, 'raw'))).toEqual(raw);
    writeFileSync(join(dir, 'hex'), `${hex}\n`);
    expect(loadStateKey('k', join(dir, 'hex'))).toEqual(raw);
  });

  it('refuses a wrong length, naming the setting and never showing the key', () => {
    writeFileSync(join(dir, 'short'), raw.subarray(0, 16));
    let error: unknown;
    try {
      loadStateKey('radius.cluster.stateKey', join(dir, 'short'));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_RADIUS_STATE_KEY' });
    expect((error as Error).message).toMatch(/^radius\.cluster\.stateKey: .*32 octets.*holds 16/);
    expect(() => loadStateKey('--state-key', hex.slice(2))).toThrow(/^--state-key: /);
    try {
      loadStateKey('--state-key', hex.slice(2));
    } catch (e) {
      expect((e as Error).message).not.toContain(hex.slice(2, 20));
    }
  });
});
