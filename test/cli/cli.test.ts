import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { PcapWriter } from '../../src/wire/index.js';
import { concat } from '../../src/bytes/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'netrx-cli-'));

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (l) => out.push(l), err: (l) => err.push(l), untilStopped: () => Promise.resolve() },
    out,
    err,
  };
}

describe('netrx (in process)', () => {
  it('--help lists every command; --version prints the version', async () => {
    const help = capture();
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.out.join('\n')).toContain('netrx up [--config FILE]');
    const version = capture();
    expect(await runCli(['--version'], version.io)).toBe(0);
    expect(version.out).toEqual(['0.1.0']);
    const bare = capture();
    expect(await runCli([], bare.io)).toBe(0);
  });

  it('refuses unknown commands and flags in one line with exit 2', async () => {
    const unknown = capture();
    expect(await runCli(['frobnicate'], unknown.io)).toBe(2);
    expect(unknown.err).toEqual(['netrx: unknown command "frobnicate" (try netrx --help)']);
    const flag = capture();
    expect(await runCli(['up', '--bogus'], flag.io)).toBe(2);
    expect(flag.err).toEqual([
      'netrx up: unknown option --bogus (usage: netrx up [--config FILE] [--print-config [--show-secrets]])',
    ]);
    const missing = capture();
    expect(await runCli(['up', '--config'], missing.io)).toBe(2);
    expect(missing.err).toHaveLength(1);
    const extra = capture();
    expect(await runCli(['up', 'now'], extra.io)).toBe(2);
    expect(extra.err[0]).toContain('unexpected argument "now"');
  });

  it('up runs on a config file and stops cleanly when asked', async () => {
    const config = join(dir, 'ok.yaml');
    writeFileSync(config, 'http:\n  port: 0\nradius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\n');
    const { io, out } = capture();
    expect(await runCli(['up', '--config', config], io)).toBe(0);
    expect(out[0]).toBe(`netrx 0.1.0 up (config ${config})`);
    expect(
      out.some((l) => /http +http:\/\/127\.0\.0\.1:\d+\/ \(GET \/health, \/metrics\)/.test(l)),
    ).toBe(true);
    expect(out.slice(-2)).toEqual(['stopping…', 'stopped']);
  });
});

describe('netrx websocket echo', () => {
  it('prints the listening line, echoes, and stops when asked', async () => {
    let stop = (): void => {};
    const out: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      untilStopped: () => new Promise<void>((resolve) => (stop = resolve)),
    };
    const running = runCli(['websocket', 'echo', '--port', '0', '--deflate'], io);
    await vi.waitFor(() => expect(out[0]).toMatch(/^listening on ws:\/\/127\.0\.0\.1:\d+\/$/));
    const { WebSocket } = await import('../../src/node/websocket/index.js');
    const client = new WebSocket((out[0] as string).slice('listening on '.length));
    const echoed = new Promise<{ text: string; binary: boolean }>((resolve) =>
      client.once('message', (data: Buffer, binary: boolean) =>
        resolve({ text: data.toString(), binary }),
      ),
    );
    client.once('open', () => client.send('ping?'));
    expect(await echoed).toEqual({ text: 'ping?', binary: false });
    expect(client.extensions).toContain('permessage-deflate');
    client.terminate();
    stop();
    expect(await running).toBe(0);
  });

  it('serves WebSockets over HTTP/2 with --http2 (h2c, and TLS with --certs)', async () => {
    const { writeDemoCertificates, DEMO_SERVER_NAME } =
      await import('../../src/node/certs/index.js');
    const certs = join(dir, 'h2-certs');
    const { certificates } = await writeDemoCertificates(certs);
    const { WebSocket } = await import('../../src/node/websocket/index.js');
    for (const extra of [[], ['--certs', certs]]) {
      let stop = (): void => {};
      const out: string[] = [];
      const io: CliIo = {
        out: (l) => out.push(l),
        err: (l) => out.push(l),
        untilStopped: () => new Promise<void>((resolve) => (stop = resolve)),
      };
      const running = runCli(['websocket', 'echo', '--port', '0', '--http2', ...extra], io);
      await vi.waitFor(() =>
        expect(out[0]).toMatch(/^listening on wss?:\/\/127\.0\.0\.1:\d+\/ \(HTTP\/2, RFC 8441\)$/),
      );
      const url = (out[0] as string).slice('listening on '.length).split(' ')[0] as string;
      const client = new WebSocket(url, {
        http2: true,
        ...(extra.length === 0
          ? {}
          : { ca: certificates.ca.certPem, servername: DEMO_SERVER_NAME }),
      });
      const echoed = new Promise<string>((resolve) =>
        client.once('message', (data: Buffer) => resolve(data.toString())),
      );
      client.once('open', () => client.send('over h2'));
      expect(await echoed).toBe('over h2');
      expect(client.socket).toHaveProperty('session');
      client.terminate();
      stop();
      expect(await running).toBe(0);
    }
  });

  it('refuses bad flags with one usage line and exit 2', async () => {
    for (const args of [
      ['--port', 'x'],
      ['--port', '70000'],
      ['--port', '1', '--max-message', '0'],
      ['--port', '1', '--certs', '/tmp'],
      [],
    ]) {
      const { io, err } = capture();
      expect(await runCli(['websocket', 'echo', ...args], io)).toBe(2);
      expect(err).toHaveLength(1);
    }
  });
});

describe('netrx pcap info', () => {
  it('prints one JSON line for a good file', async () => {
    const writer = new PcapWriter({ linkType: 1 });
    const frame = new Uint8Array(60);
    const file = join(dir, 'two.pcap');
    writeFileSync(
      file,
      concat([
        writer.header(),
        writer.record({ timestamp: 1_000_000_000n, data: frame }),
        writer.record({ timestamp: 2_000_000_000n, data: frame.subarray(0, 42) }),
      ]),
    );
    const { io, out } = capture();
    expect(await runCli(['pcap', 'info', file], io)).toBe(0);
    expect(out).toEqual(['{"format":"pcap","linkTypes":[1],"frames":2,"bytes":102}']);
  });

  it('exits non-zero with a one-line reason for a bad or missing file', async () => {
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, 'this is not a capture at all');
    for (const file of [bad, join(dir, 'missing.pcap')]) {
      const { io, err } = capture();
      expect(await runCli(['pcap', 'info', file], io)).toBe(1);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(/^netrx pcap info: /);
    }
    const usage = capture();
    expect(await runCli(['pcap', 'info'], usage.io)).toBe(2);
  });
});

describe('netrx (built binary)', () => {
  const cases: [string, string, RegExp][] = [
    [
      'malformed.yaml',
      'http: [\n',
      /^netrx up: config .*malformed\.yaml: not valid YAML: line 2, column 1: /,
    ],
    [
      'unknown.yaml',
      'htp: {}\n',
      /^netrx up: config .*unknown\.yaml: htp: unknown key \(did you mean "http"\?\)/,
    ],
    [
      'port.json',
      '{"http":{"port":99999}}',
      /^netrx up: config .*port\.json: http\.port: expected an integer from 0 to 65535, got 99999$/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    it(`up --config ${name} prints one clear line and exits non-zero`, () => {
      const path = join(dir, name);
      writeFileSync(path, text);
      const result = spawnSync(process.execPath, [main, 'up', '--config', path], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    });
  }

  it('up serves /health and stops on SIGINT with exit 0', async () => {
    const config = join(dir, 'any-port.yaml');
    writeFileSync(config, 'http:\n  port: 0\nradius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\n');
    const child = spawn(process.execPath, [main, 'up', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      const url = await new Promise<string>((resolveUrl, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
          if (match?.[1] !== undefined && stdout.includes('press Ctrl-C')) resolveUrl(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${stdout}`)));
      });
      const health = (await (await fetch(new URL('/health', url))).json()) as { status: string };
      expect(health.status).toBe('ok');
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain('stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
