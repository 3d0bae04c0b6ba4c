import { describe, expect, it } from 'vitest';
import { cliInvocation } from './invocation.js';

describe('cliInvocation (review L4: the Wireshark instructions)', () => {
  it('is netrx through the bin, node and the script otherwise', () => {
    expect(cliInvocation('/usr/local/bin/netrx', '/home/me')).toBe('netrx');
    expect(cliInvocation(undefined, '/home/me')).toBe('netrx');
    // npm start in a clone: scripts/start.mjs runs dist/cli/main.js.
    expect(cliInvocation('/home/me/netrx/dist/cli/main.js', '/home/me/netrx')).toBe(
      'node dist/cli/main.js',
    );
    expect(cliInvocation('/opt/netrx/dist/cli/main.js', '/home/me')).toBe(
      'node /opt/netrx/dist/cli/main.js',
    );
    expect(cliInvocation("/home/me/my netrx/it's/main.js", '/tmp')).toBe(
      `node '/home/me/my netrx/it'\\''s/main.js'`,
    );
  });
});
