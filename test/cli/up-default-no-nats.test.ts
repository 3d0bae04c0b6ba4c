/**
 * An embedded default `netrx up` loads no NATS (from audit16's
 * reproduction, finding A5; no outside peer: Node's own module resolve
 * hooks, on the built CLI). Issue 16 says "an embedded default still needs none of it: one
 * host works alone exactly as before", and docs/cluster.md says a host
 * without NATS configuration "never loads" the NATS packages. No test said
 * so. Here the built CLI (`dist/`, `npm run build`) runs `netrx up` under a
 * module resolve hook that reports every `@nats-io/*` import: with no
 * `cluster.nats` none is resolved and /health has no `nats` service; the
 * control, the same host with `cluster.nats.servers` naming a closed
 * loopback port, does resolve them (so the probe can fail).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../interop/support/nats.js';

const main = resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'audit16-default-'));
const running: ChildProcess[] = [];
/** The defaults, with every listener on an ephemeral port (other suites run beside this one). */
const BASE = 'http: { port: 0 }\nradius: { port: 0 }\ncapture: { rpc: { port: 0 } }\n';

afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const hooks = join(dir, 'hooks.mjs');
writeFileSync(
  hooks,
  [
    'export async function resolve(specifier, context, next) {',
    "  if (specifier.startsWith('@nats-io/')) process.stderr.write(`AUDIT16-NATS-IMPORT ${specifier}\\n`);",
    '  return next(specifier, context);',
    '}',
    '',
  ].join('\n'),
);
const register = join(dir, 'register.mjs');
writeFileSync(
  register,
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
);

/** Runs `netrx up` until it is ready, reads /health, stops it: its stderr and health. */
async function up(config: string): Promise<{ stderr: string; services: string[] }> {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const file = join(dir, `up-${running.length}.yaml`);
  writeFileSync(file, config);
  const child = spawn(process.execPath, ['--import', register, main, 'up', '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 30_000;
  // The JSON log goes to stderr, the banner to stdout: look at both.
  while (
    !/"msg":"ready"/.test(stdout + stderr) &&
    Date.now() < deadline &&
    child.exitCode === null
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/.exec(stdout + stderr)?.[1];
  if (url === undefined) throw new Error(`netrx up did not start: ${stdout}\n${stderr}`);
  const health = (await (await fetch(new URL('/health', url))).json()) as {
    services: { name: string }[];
  };
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
  return { stderr, services: health.services.map((s) => s.name) };
}

describe('an embedded default netrx up needs no NATS', () => {
  it('no cluster.nats: no @nats-io import, no nats service', async () => {
    const { stderr, services } = await up(BASE);
    expect(stderr).not.toContain('AUDIT16-NATS-IMPORT');
    expect(services).toContain('radius');
    expect(services).not.toContain('nats');
  }, 60_000);

  it('control: with cluster.nats.servers the NATS client is imported', async () => {
    const closed = await freePort();
    const { stderr, services } = await up(
      `${BASE}cluster: { nats: { servers: ['nats://127.0.0.1:${closed}'] } }\n`,
    );
    expect(stderr).toContain('AUDIT16-NATS-IMPORT @nats-io/transport-node');
    expect(services).toContain('nats');
  }, 60_000);
});
