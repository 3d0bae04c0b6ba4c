import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCases } from './check.js';
import { webCrypto, websocketCases } from './websocket-suite.js';

// The same cases Deno, Bun and Chromium run (test/interop/runtimes.test.ts), here on Node.
describe('portable WebSocket suite on Node', () => {
  const crypto = webCrypto((bytes) => webcrypto.getRandomValues(bytes));
  for (const c of websocketCases(crypto)) it(c.name, () => c.run());

  it('the runner reports a failing case instead of stopping', () => {
    const report = runCases(
      [
        {
          name: 'fails',
          run: () => {
            throw new Error('boom');
          },
        },
        { name: 'passes', run: () => undefined },
      ],
      'node',
    );
    expect(report).toEqual({
      runtime: 'node',
      passed: 1,
      failed: [{ name: 'fails', error: 'Error: boom' }],
    });
  });
});
