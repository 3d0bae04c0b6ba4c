// docs/host.md shows the real defaults and the real output: its
// configuration example is exactly the embedded default, its sample output
// is what `netrx up` prints on it, its route list is the host's, and it
// names every command with its current usage.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { commands } from '../../src/cli/commands/index.js';
import {
  defaultHostConfig,
  servicesFromConfig,
  startHost,
  validateHostConfig,
} from '../../src/node/host/index.js';

const docs = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'host.md'), 'utf8');

/** The body of the first fenced block whose first line matches `opening`. */
function block(opening: RegExp): string {
  const match = /```[a-z]*\n([\s\S]*?)```/g;
  for (const [, body] of docs.matchAll(match))
    if (body !== undefined && opening.test(body)) return body;
  throw new Error(`docs/host.md has no block starting ${String(opening)}`);
}

describe('docs/host.md', () => {
  it('the configuration example is the embedded default, key for key, as --print-config prints it', async () => {
    const example = block(/^http:\n {2}host:/);
    expect(parseYaml(example)).toEqual(defaultHostConfig());
    const out: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: () => {},
      untilStopped: () => Promise.resolve(),
    };
    expect(await runCli(['up', '--print-config'], io)).toBe(0);
    expect(out.join('\n')).toBe(example.trimEnd());
  });

  it('the sample output is what netrx up prints on the default configuration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netrx-docs-'));
    const config = join(dir, 'default-but-any-port.yaml');
    // The default, but on a free port: 7340 may be in use on this machine.
    writeFileSync(config, 'http:\n  port: 0\nradius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\n');
    const out: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: () => {},
      untilStopped: () => Promise.resolve(),
    };
    expect(await runCli(['up', '--config', config], io)).toBe(0);
    const printed = out.slice(0, out.indexOf('ready: press Ctrl-C to stop') + 1).map((line) =>
      line
        .replace(`(config ${config})`, '(embedded default config)')
        .replace(/udp 127\.0\.0\.1:\d+/g, 'udp 127.0.0.1:1812')
        .replace(/rpc:\/\/127\.0\.0\.1:\d+/g, 'rpc://127.0.0.1:7341')
        .replace(/(?<=(?:http|ws):\/\/)127\.0\.0\.1:\d+/g, '127.0.0.1:7340'),
    );
    const sample = block(/^\$ npm start/).split('\n');
    expect(sample.slice(1, sample.indexOf(''))).toEqual(printed);
  });

  it('the bad-file lines are what netrx up prints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netrx-docs-'));
    const files: Record<string, string> = {
      'http.port: expected': 'http:\n  port: 70000\n',
      'http.prot: unknown key': 'http:\n  prot: 1\n',
    };
    const documented = block(/^netrx up: config /).split('\n');
    for (const [start, text] of Object.entries(files)) {
      const line = documented.find((l) => l.startsWith(`netrx up: config netrx.yaml: ${start}`));
      expect(line).toBeDefined();
      const sub = mkdtempSync(join(dir, 'case-'));
      writeFileSync(join(sub, 'netrx.yaml'), text);
      const err: string[] = [];
      const io: CliIo = {
        out: () => {},
        err: (l) => err.push(l),
        untilStopped: () => Promise.resolve(),
      };
      expect(await runCli(['up', '--config', join(sub, 'netrx.yaml')], io)).toBe(1);
      expect(err.map((l) => l.replace(`${sub}/`, ''))).toEqual([line]);
    }
  });

  it('the route list names every route GET / lists', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    try {
      const { routes } = (await (await fetch(host.url)).json()) as { routes: string[] };
      const paragraph = docs.slice(
        docs.indexOf('Routes:'),
        docs.indexOf('\n\n', docs.indexOf('Routes:')),
      );
      for (const route of routes) expect(paragraph).toContain(`${route}\``);
    } finally {
      await host.stop();
    }
  });

  it('the command list has every command with its current usage', () => {
    const listed = block(/^netrx up /).replace(/\s+/g, ' ');
    for (const command of commands) expect(listed).toContain(`netrx ${command.usage}`);
  });
});
