// `netrx chat` and `netrx scp` on many ports at once (`--port` repeated,
// `--ports FILE`, `--concurrency`, `--json`) against loopback fixture
// servers: consoles that log in, one that answers BUSY, one that never
// answers, and a port nobody listens on.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';

type Mode = 'login' | 'slow' | 'busy' | 'silent';
const servers: Server[] = [];
const dir = mkdtempSync(join(tmpdir(), 'netrx-chat-many-'));
let connections = 0;
let maxConnections = 0;
const sockets = new Set<Socket>();

function listen(mode: Mode): Promise<number> {
  const server = createServer((socket) => {
    connections++;
    maxConnections = Math.max(maxConnections, connections);
    sockets.add(socket);
    socket.on('close', () => {
      connections--;
      sockets.delete(socket);
    });
    socket.on('error', () => {});
    if (mode === 'busy') socket.write('ATZ\r\nBUSY\r\n');
    if (mode !== 'login' && mode !== 'slow') return;
    // 'slow' takes 200 ms to greet: long enough that ports run one after the other show it.
    setTimeout(() => socket.write('Welcome\r\nlogin: '), mode === 'slow' ? 200 : 0);
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.endsWith('ppp\r')) socket.write('\r\nPassword: ');
      if (seen.endsWith('hello2u2\r')) socket.write('\r\nCONNECT 115200\r\n$ ');
    });
  });
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

/** A loopback port with nobody listening: a server started, its port noted, then closed. */
async function refusedPort(): Promise<number> {
  const port = await listen('silent');
  const server = servers.pop() as Server;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let login1 = 0;
let login2 = 0;
let busy = 0;
let silent = 0;
let refused = 0;
let slow = 0;
beforeAll(async () => {
  refused = await refusedPort();
  [login1, login2, busy, silent, slow] = await Promise.all([
    listen('login'),
    listen('login'),
    listen('busy'),
    listen('silent'),
    listen('slow'),
  ]);
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
        }),
    ),
  );
});
afterEach(() => vi.restoreAllMocks());

const SCRIPT = [
  'ABORT',
  'BUSY',
  'REPORT',
  'CONNECT',
  'ogin:',
  'ppp',
  'ssword:',
  '\\qhello2u2',
  '$ ',
  '\\c',
];
const tcp = (port: number) => `tcp:127.0.0.1:${port}`;

/** Runs the CLI, capturing stdout lines and everything written to stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    return true;
  });
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => (err += `${line}\n`),
    untilStopped: () => Promise.resolve(),
  };
  try {
    return { code: await runCli(args, io), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('netrx chat on many ports', () => {
  it('runs the script on every port, one result line each in input order, and exits with the worst code', async () => {
    const file = join(dir, 'ports.txt');
    writeFileSync(
      file,
      `# rack 4\n${tcp(busy)}\n\n${tcp(silent)}   # never answers\n${tcp(refused)}\n`,
    );
    const started = performance.now();
    const { code, out, err } = await cli([
      'chat', '-v', '-s', '--fast', '-t', '1', '--concurrency', '8',
      '--port', tcp(login1), '--port', tcp(login2), '--ports', file, '--', ...SCRIPT,
    ]); // prettier-ignore
    const rows = out.map((line) => line.split('\t'));
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      [tcp(login1), 'exit 0'],
      [tcp(login2), 'exit 0'],
      [tcp(busy), 'exit 4'],
      [tcp(silent), 'exit 3'],
      [tcp(refused), 'exit 2'],
    ]);
    expect(rows.every((r) => /^\d+ ms$/.test(r[2] ?? ''))).toBe(true);
    expect(rows[0]?.[3]).toMatch(/^REPORT chat: {2}.*CONNECT 115200$/);
    expect(rows[2]?.[3]).toBe('ABORT (BUSY); expect (ogin:)');
    expect(rows[3]?.[3]).toBe('timeout; expect (ogin:)');
    expect(rows[4]?.[3]).toMatch(/^Cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    // The highest exit code: ABORT 4 over timeout 3 over the refused connection's 2.
    expect(code).toBe(4);
    // The ports ran side by side: the silent one's 1 s timeout did not hold up the others.
    expect(performance.now() - started).toBeLessThan(4000);
    // -v lines carry their port's spec, and \q still hides the password.
    expect(err).toContain(`${tcp(login1)}: send (ppp^M)`);
    expect(err).toContain(`${tcp(login2)}: send (??????)`);
    expect(err).toContain(`${tcp(busy)}: Failed (BUSY)`);
    expect(err).not.toContain('hello2u2');
  });

  it('--json prints one object a line; --concurrency bounds the ports run at once', async () => {
    const ports = [slow, slow, slow, slow, busy, slow];
    const started = performance.now();
    const { code, out } = await cli([
      'chat', '--fast', '-t', '2', '--json', '--concurrency', '2',
      ...ports.flatMap((p) => ['--port', tcp(p)]), '--', ...SCRIPT,
    ]); // prettier-ignore
    const results = out.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(results.map((r) => [r['port'], r['exitCode']])).toEqual(
      ports.map((p) => [tcp(p), p === busy ? 4 : 0]),
    );
    expect(results[4]).toMatchObject({ abortString: 'BUSY', expect: 'ogin:' });
    expect(results[0]?.['reports']).toEqual([expect.stringContaining('CONNECT 115200')]);
    expect(results.every((r) => typeof r['durationMs'] === 'number')).toBe(true);
    expect(code).toBe(4);
    // Five 200 ms logins two at a time take at least three rounds (all at once: one).
    expect(performance.now() - started).toBeGreaterThanOrEqual(590);
  });

  it('many ports on one signal raise no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const { code, out } = await cli([
        'chat', '--fast', '-t', '2', '--concurrency', '16',
        ...Array.from({ length: 16 }, () => ['--port', tcp(login1)]).flat(), '--', ...SCRIPT,
      ]); // prettier-ignore
      expect(code).toBe(0);
      expect(out).toHaveLength(16);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('one --port keeps chat: no result line on stdout, chat exit code', async () => {
    const { code, out } = await cli([
      'chat',
      '--fast',
      '-t',
      '1',
      '--port',
      tcp(busy),
      '--',
      ...SCRIPT,
    ]);
    expect(code).toBe(4);
    expect(out).toEqual([]);
  });

  it('a bad line in --ports FILE is a usage error naming the line (exit 1, as chat); nothing runs', async () => {
    maxConnections = 0;
    const file = join(dir, 'bad.txt');
    writeFileSync(file, `${tcp(login1)}\n# ok so far\ntelnet:127.0.0.1:23\n`);
    const { code, out, err } = await cli(['chat', '--ports', file, '--', ...SCRIPT]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toContain(
      `netrx chat: --ports ${file}:3: bad port "telnet:127.0.0.1:23": expected tcp:HOST:PORT`,
    );
    expect(maxConnections).toBe(0);
    const missing = await cli(['chat', '--ports', join(dir, 'none.txt'), '--', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`--ports ${join(dir, 'none.txt')}: ENOENT`);
    const stdio = await cli(['chat', '--port', 'stdio', '--port', tcp(login1), '--', 'x']);
    expect(stdio.code).toBe(1);
    expect(stdio.err).toContain('--port "stdio": stdio cannot be one of many ports');
  });
});

describe('netrx scp on many ports', () => {
  it('runs a .scp script on each port: done, timed out (failed), unopened', async () => {
    const file = join(dir, 'login.scp');
    writeFileSync(
      file,
      'proc main\n  waitfor "ogin:" until 2\n  if $FAILURE then\n    halt\n  endif\n' +
        '  transmit $USERID + "^M"\n  waitfor "ssword:" until 2\n  transmit $PASSWORD, raw\n' +
        '  transmit "^M"\n  waitfor "$ " until 2\nendproc\n',
    );
    const { code, out } = await cli([
      'scp', file, '--user', 'ppp', '--password', 'hello2u2', '--timeout', '5',
      '--port', tcp(login1), '--port', tcp(silent), '--port', tcp(refused),
    ]); // prettier-ignore
    const rows = out.map((line) => line.split('\t'));
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      [tcp(login1), 'exit 0'],
      [tcp(silent), 'exit 3'],
      [tcp(refused), 'exit 2'],
    ]);
    expect(rows[1]?.[3]).toBe(`${file}:4:5: halt`);
    expect(code).toBe(3);
  });
});
