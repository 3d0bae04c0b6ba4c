// No secret in anything `netrx up` prints (issue 14 F6): a host started
// with a token, a non-demo RADIUS secret and passwords shows none of them in
// its banner or its log; a file refused at the start or on a SIGHUP reload
// names the key without quoting the value, even when YAML read the secret
// as a number (`password: 987654321`), sits in a NATS server URL
// (`nats://user:password@host`, refused: cluster.nats takes credentials as
// keys) or is the NATS password or token. Every line of standard output and standard
// error is searched for every secret and every 6-character piece of it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';

const TOKEN = 'tok-7QxW2mVb9LkP4sZr';
const SECRET = 'rad-Hq8NfT3cYw';
const PASSWORD = 'pw-Jd5GkR2xMv';
const NUMERIC_PASSWORD = '987654321987';
const NATS_PASSWORD = 'natsPw-Zc4Vn8Tq';

const dir = mkdtempSync(join(tmpdir(), 'netrx-up-secrets-'));

function good(): string {
  return [
    `http: { port: 0, token: ${TOKEN} }`,
    'radius:',
    '  port: 0',
    `  clients: [{ address: 127.0.0.0/8, secret: ${SECRET} }]`,
    `  users: [{ name: alice, password: ${PASSWORD} }]`,
    'capture: { rpc: { port: 0 } }',
    `synthetic: { intervalMs: 100, identity: alice, password: ${PASSWORD}, secret: ${SECRET} }`,
    'log: { level: trace }',
    'trace: { console: true, level: 5 }',
    '',
  ].join('\n');
}

/** Bad files, each with a secret where an error might quote it. */
const bad: Record<string, string> = {
  'numeric-password': `radius:\n  users: [{ name: alice, password: ${NUMERIC_PASSWORD} }]\n`,
  'numeric-token': `http: { token: ${NUMERIC_PASSWORD} }\n`,
  'numeric-secret': `radius:\n  clients: [{ address: 127.0.0.1, secret: ${NUMERIC_PASSWORD} }]\n`,
  'numeric-synthetic': `synthetic: { password: ${NUMERIC_PASSWORD} }\n`,
  'nats-url': `cluster:\n  nats:\n    servers: ['nats://alice:${NATS_PASSWORD}@127.0.0.1:4222 x']\n`,
  'nats-url-userinfo': `cluster:\n  nats:\n    servers: ['nats://alice:${NATS_PASSWORD}@127.0.0.1:4222']\n`,
  'nats-password': `cluster:\n  nats:\n    servers: ['nats://127.0.0.1:4222']\n    user: alice\n    password: [${NATS_PASSWORD}]\n`,
  'nats-token-numeric': `cluster:\n  nats:\n    servers: ['nats://127.0.0.1:4222']\n    token: ${NUMERIC_PASSWORD}\n`,
  'nats-two-kinds': `cluster:\n  nats:\n    servers: ['nats://127.0.0.1:4222']\n    user: alice\n    password: ${NATS_PASSWORD}\n    token: ${TOKEN}\n`,
  'list-token': `http: { token: [${TOKEN}] }\n`,
};

function pieces(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 6 <= secret.length; i++) out.push(secret.slice(i, i + 6));
  return out;
}

function expectClean(text: string): void {
  for (const secret of [TOKEN, SECRET, PASSWORD, NUMERIC_PASSWORD, NATS_PASSWORD])
    for (const piece of pieces(secret))
      expect({ piece, found: text.includes(piece) }).toEqual({
        piece,
        found: false,
      });
}

describe('netrx up: no secret in its output', () => {
  it('S4: --print-config prints every secret as *** unless --show-secrets asks', async () => {
    const file = join(dir, 'print.yaml');
    writeFileSync(
      file,
      `${good()}cluster:\n  nats:\n    servers: ['nats://127.0.0.1:4222']\n    user: alice\n    password: ${NATS_PASSWORD}\n`,
    );
    const print = async (args: string[]) => {
      const lines: string[] = [];
      const io: CliIo = {
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
        untilStopped: () => Promise.resolve(),
      };
      expect(await runCli(['up', '--config', file, '--print-config', ...args], io)).toBe(0);
      return lines.join('\n');
    };
    const redacted = await print([]);
    expectClean(redacted);
    expect(redacted).toContain('token: "***"');
    expect(redacted).toContain('nats://127.0.0.1:4222');
    expect(redacted).toMatch(/user: alice\n\s*password: "\*\*\*"/);
    expect(redacted).toContain('name: alice');
    const shown = await print(['--show-secrets']);
    for (const secret of [TOKEN, SECRET, PASSWORD, NATS_PASSWORD]) expect(shown).toContain(secret);
  });

  it('each refused file names the key and quotes no secret', async () => {
    for (const [name, text] of Object.entries(bad)) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, text);
      const lines: string[] = [];
      const io: CliIo = {
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
        untilStopped: () => Promise.resolve(),
      };
      expect(await runCli(['up', '--config', file], io)).not.toBe(0);
      const all = lines.join('\n');
      expect(all).toMatch(
        /(http\.token|radius\.users\[0\]\.password|radius\.clients\[0\]\.secret|synthetic\.password|cluster\.nats\.servers\[0\]|cluster\.nats\.password|cluster\.nats\.token): (expected|"nats:\/\/\*\*\*@127\.0\.0\.1:4222" carries credentials|give one kind of credentials)/,
      );
      expectClean(all);
    }
  });

  it('a host started with secrets, and reloaded with files that are refused, prints none of them', async () => {
    const file = join(dir, 'netrx.yaml');
    writeFileSync(file, good());
    const lines: string[] = [];
    let reload: (() => void) | undefined;
    const io: CliIo = {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      onReload: (listener) => {
        reload = listener;
        return () => (reload = undefined);
      },
      untilStopped: async () => {
        // Let the synthetic peer authenticate a few times (trace events, log lines).
        await new Promise((r) => setTimeout(r, 400));
        for (const text of Object.values(bad)) {
          writeFileSync(file, text);
          const before = lines.length;
          reload?.();
          const deadline = Date.now() + 5000;
          while (!lines.slice(before).some((l) => l.includes('reload refused'))) {
            if (Date.now() > deadline) throw new Error('no reload refused line');
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      },
    };
    expect(await runCli(['up', '--config', file], io)).toBe(0);
    const all = lines.join('\n');
    expect(all).toContain('ready');
    expect(lines.filter((l) => l.includes('reload refused'))).toHaveLength(Object.keys(bad).length);
    // The printed login link is for the operator; the log never repeats its code.
    const code = /login\?code=([\w-]+)/.exec(all)?.[1] ?? '';
    expect(code).not.toBe('');
    expect(lines.filter((l) => l.includes(code))).toHaveLength(1);
    expectClean(all);
  });
});
