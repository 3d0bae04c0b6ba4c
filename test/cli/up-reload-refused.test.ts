// A SIGHUP reload refused because the file does not check (review D3) is
// counted where an operator looks: /health `reloads.refused` (with the
// reason as lastFailedReload) and netrx_reloads_total{result="refused"}.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-up-reload-refused-'));

describe('netrx up: a refused reload is counted', () => {
  it('D3: a bad file on SIGHUP shows in /health and /metrics', async () => {
    const file = join(dir, 'netrx.yaml');
    writeFileSync(
      file,
      'http: { port: 0 }\nradius: { port: 0 }\ncapture: { rpc: { port: 0 } }\nsynthetic: { enabled: false }\n',
    );
    const lines: string[] = [];
    let reload: (() => void) | undefined;
    let health: { reloads: { applied: number; refused: number }; lastFailedReload?: unknown } = {
      reloads: { applied: -1, refused: -1 },
    };
    let metrics = '';
    const io: CliIo = {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      onReload: (listener) => {
        reload = listener;
        return () => (reload = undefined);
      },
      untilStopped: async () => {
        writeFileSync(file, 'radius: { port: "not a port" }\n');
        reload?.();
        const deadline = Date.now() + 10_000;
        while (!lines.some((l) => l.includes('reload refused'))) {
          if (Date.now() > deadline) throw new Error('no reload refused line');
          await new Promise((r) => setTimeout(r, 20));
        }
        const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(lines.join('\n'))?.[1];
        if (url === undefined) throw new Error('no URL in the banner');
        health = (await (await fetch(new URL('/health', url))).json()) as typeof health;
        metrics = await (await fetch(new URL('/metrics', url))).text();
      },
    };
    expect(await runCli(['up', '--config', file], io)).toBe(0);
    expect(health.reloads).toEqual({ applied: 0, refused: 1 });
    expect(JSON.stringify(health.lastFailedReload)).toContain('radius.port');
    expect(metrics).toContain('netrx_reloads_total{result="refused"} 1');
  });
});
