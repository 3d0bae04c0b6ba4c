// `netrx up` logs JSON lines (pino) on standard error, and the bearer token
// and the RADIUS secrets and passwords never appear in them: not at trace
// level with every trace event printed, not across a refused and an
// applied SIGHUP reload, not when a request carries the token. The logger
// itself censors secret keys and scrubs secret values from message text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMd5Method } from '../../src/eap/index.js';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { REDACTED, createHostLogger } from '../../src/node/host/index.js';
import { runRadiusEapTest } from '../../src/node/radius/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';

const TOKEN = 'tok-0123456789abcdef-bearer';
const SECRET = 'rad-secret-7f3a9c';
const NEW_SECRET = 'rad-secret-NEW-55e1';
const PASSWORD = 'alice-pass-93b1';
const secrets = [TOKEN, SECRET, NEW_SECRET, PASSWORD];

const dir = mkdtempSync(join(tmpdir(), 'netrx-up-log-'));
function configText(secret: string): string {
  return [
    'http: { port: 0, token: ' + JSON.stringify(TOKEN) + ' }',
    'radius:',
    '  port: 0',
    `  clients: [{ address: 127.0.0.0/8, secret: ${JSON.stringify(secret)} }]`,
    `  users: [{ name: alice, password: ${JSON.stringify(PASSWORD)} }]`,
    'capture: { rpc: { port: 0 } }',
    `synthetic: { intervalMs: 100, identity: alice, password: ${JSON.stringify(PASSWORD)}, secret: ${JSON.stringify(secret)} }`,
    'log: { level: trace }',
    'trace: { console: true, level: 5 }',
    '',
  ].join('\n');
}

async function until(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('netrx up: structured log', () => {
  it('the logger censors secret keys and scrubs secret values from every line', () => {
    const lines: string[] = [];
    const { logger } = createHostLogger({
      level: 'trace',
      write: (line) => lines.push(line),
      secrets: [SECRET, 'with "quotes" \\ inside'],
    });
    logger.info({ token: TOKEN, client: { secret: 'x' }, headers: { authorization: 'y' } }, 'a');
    logger.warn(`the peer sent ${SECRET} back`);
    logger.error('a secret with "quotes" \\ inside, escaped in JSON');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({
      level: 30,
      levelName: 'info',
      msg: 'a',
      token: REDACTED,
      client: { secret: REDACTED },
      headers: { authorization: REDACTED },
    });
    expect(parsed[1]).toMatchObject({ level: 40, msg: `the peer sent ${REDACTED} back` });
    expect(parsed[2]?.['msg']).toBe(`a secret ${REDACTED}, escaped in JSON`);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('never writes the token or a RADIUS secret or password, across traffic and reloads', async () => {
    const file = join(dir, 'netrx.yaml');
    writeFileSync(file, configText(SECRET));
    const out: string[] = [];
    const err: string[] = [];
    let stop = () => {};
    let reload = () => {};
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      untilStopped: () => new Promise<void>((resolve) => (stop = resolve)),
      onReload: (listener) => {
        reload = listener;
        return () => {};
      },
    };
    const exited = runCli(['up', '--config', file], io);
    await until(() => out.includes('ready: press Ctrl-C to stop'));
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out.join('\n'))?.[0] ?? '';
    const health = async () =>
      (await (
        await fetch(new URL('/health', url), { headers: { Authorization: `Bearer ${TOKEN}` } })
      ).json()) as { services: { name: string; port?: number; rounds?: number }[] };
    await until(
      async () => ((await health()).services.find((s) => s.name === 'synthetic')?.rounds ?? 0) > 1,
    );
    // A NAS with the wrong secret: dropped, counted, traced.
    const port = (await health()).services.find((s) => s.name === 'radius')?.port ?? 0;
    const wrong = await runRadiusEapTest({
      servers: [{ address: '127.0.0.1', port, secret: 'not-the-secret' }],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      identity: 'alice',
      password: PASSWORD,
      timeoutMs: 200,
      retries: 0,
    });
    expect(wrong.outcome).toBe('timeout');

    // A bad file: refused, logged, the running configuration kept.
    writeFileSync(file, configText(NEW_SECRET).replace('port: 0\n', 'port: 70000\n'));
    reload();
    await until(() => err.some((l) => l.includes('reload refused')));
    // A good one: only radius restarts; the synthetic peer takes its new secret in place (review L3).
    writeFileSync(file, configText(NEW_SECRET));
    reload();
    await until(() => err.some((l) => l.includes('"msg":"reloaded: ')));
    stop();
    expect(await exited).toBe(0);

    const lines = err.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.every((l) => typeof l.level === 'number' && typeof l.msg === 'string')).toBe(true);
    const refused = lines.find((l) => l.msg.startsWith('reload refused'));
    expect(refused).toMatchObject({ level: 50 });
    expect(refused?.msg).toContain('radius.port: expected an integer from 0 to 65535, got 70000');
    expect(lines.find((l) => l.msg.startsWith('reloaded'))?.msg).toBe(
      'reloaded: 1 restarted, 0 started, 0 stopped, 2 kept, 1 updated in place',
    );
    expect(lines.some((l) => l.msg.includes('netrx-radius/RadiusPacketDropped'))).toBe(true);
    expect(lines.length).toBeGreaterThan(20);
    const all = [...err, ...out].join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret);
  }, 30_000);
});
