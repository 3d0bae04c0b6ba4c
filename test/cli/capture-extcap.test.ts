/**
 * `netrx capture extcap` in-process: what it answers Wireshark's queries
 * (extcap(4) grammar), the launcher `--install` writes, and the capture
 * call against a real capture host (test/interop/support/capture-lab.ts)
 * into a real fifo: the pcapng section and interface first, packets as they
 * arrive, a clean end when the reader goes away (EPIPE) or on stop.
 */
import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { packageVersion } from '../../src/cli/version.js';
import { startCaptureLab } from '../interop/support/capture-lab.js';
import { io, sleep, until } from '../support/cli-io.js';

async function extcap(...args: string[]) {
  const session = io();
  const code = await runCli(['capture', 'extcap', ...args], session.cli);
  return { code, out: session.out, err: session.err };
}

/** One extcap(4) sentence: a keyword, then {key=value} groups, values free of braces. */
const SENTENCE = /^(extcap|interface|dlt|arg) (\{[a-z]+=[^{}]*\})+$/;

describe('netrx capture extcap: the queries', () => {
  it('--extcap-interfaces (with the --extcap-version Wireshark adds) names the extcap and its interface', async () => {
    const { code, out } = await extcap('--extcap-interfaces', '--extcap-version=4.0');
    expect(code).toBe(0);
    expect(out).toEqual([
      expect.stringMatching(
        new RegExp(
          `^extcap \\{version=${packageVersion()}\\}\\{help=file://.*/docs/capture\\.md\\}$`,
        ),
      ),
      'interface {value=netrx}{display=netrx remote capture}',
    ]);
    for (const line of out) expect(line).toMatch(SENTENCE);
  });

  it('--extcap-dlts: Ethernet, DLT 1', async () => {
    const { code, out } = await extcap('--extcap-dlts', '--extcap-interface', 'netrx');
    expect(code).toBe(0);
    expect(out).toEqual(['dlt {number=1}{name=EN10MB}{display=Ethernet}']);
  });

  it('--extcap-config: server, session, a password-type token, a CA file and a TLS server name', async () => {
    const { code, out } = await extcap('--extcap-config', '--extcap-interface', 'netrx');
    expect(code).toBe(0);
    for (const line of out) expect(line).toMatch(SENTENCE);
    const args = out.map((line): Record<string, string> =>
      Object.fromEntries(
        [...line.matchAll(/\{([a-z]+)=([^{}]*)\}/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
      ),
    );
    expect(args.map((a) => [a['number'], a['call'], a['type']])).toEqual([
      ['0', '--server', 'string'],
      ['1', '--session', 'string'],
      ['2', '--token', 'password'],
      ['3', '--ca', 'fileselect'],
      ['4', '--servername', 'string'],
    ]);
    expect(args[0]?.['default']).toBe('rpc://127.0.0.1:7341');
    const validation = new RegExp(args[0]?.['validation'] ?? '');
    for (const url of ['rpc://127.0.0.1:4135', 'wss://capture.example:8443', 'ws://127.0.0.1:9']) {
      expect(validation.test(url)).toBe(true);
    }
    expect(validation.test('http://h:1')).toBe(false);
  });

  it('refuses another interface; validates capture filters as Wireshark asks (exit 0 = valid)', async () => {
    const other = await extcap('--extcap-dlts', '--extcap-interface', 'eth0');
    expect(other.code).toBe(2);
    expect(other.err.join('\n')).toContain('no interface "eth0"');
    // Wireshark validates a filter by calling without --capture.
    for (const valid of [
      '',
      'tcp',
      'icmp or arp',
      'not host 10.0.0.1',
      'udp dst port 53 or src net 10.0.0.0/8',
    ]) {
      const { code, out, err } = await extcap(
        '--extcap-interface',
        'netrx',
        '--extcap-capture-filter',
        valid,
      );
      expect([code, out, err]).toEqual([0, [], []]);
    }
    const filter = await extcap(
      '--extcap-interface',
      'netrx',
      '--extcap-capture-filter',
      'portrange 80-90',
    );
    expect(filter.code).toBe(2);
    expect(filter.err.join('\n')).toContain(
      '--extcap-capture-filter: "portrange" is not supported',
    );
  });

  it('--install DIR creates DIR (and its parents) when missing, and says so', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ce-install-')), 'wireshark', 'extcap');
    const { code, out } = await extcap('--install', dir);
    expect(code).toBe(0);
    expect(out[0]).toBe(`created ${dir}`);
    expect(out[1]).toContain(join(dir, 'netrx-extcap'));
    expect(statSync(join(dir, 'netrx-extcap')).mode & 0o777).toBe(0o755);
  });

  it('--install DIR writes an executable launcher with absolute paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ce-install-'));
    const { code, out } = await extcap('--install', dir);
    expect(code).toBe(0);
    const path = join(dir, 'netrx-extcap');
    expect(out).toEqual([expect.stringContaining(path)]);
    expect(statSync(path).mode & 0o777).toBe(0o755);
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(`exec '${process.execPath}' '`);
    expect(text).toMatch(/\/dist\/cli\/main\.js' capture extcap "\$@"\n$/);
    expect(spawnSync('sh', ['-n', path]).status).toBe(0);
  });
});

describe('scripts/extcap/netrx-extcap, the launcher users link into the extcap folder', () => {
  const script = resolve(import.meta.dirname, '..', '..', 'scripts', 'extcap', 'netrx-extcap');
  const built = existsSync(resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js'));

  it.runIf(built)("runs this checkout's netrx when symlinked from elsewhere", () => {
    expect(statSync(script).mode & 0o111).toBe(0o111);
    const dir = mkdtempSync(join(tmpdir(), 'ce-link-'));
    symlinkSync(script, join(dir, 'netrx-extcap'));
    const result = spawnSync(
      join(dir, 'netrx-extcap'),
      ['--extcap-dlts', '--extcap-interface', 'netrx'],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH: '/usr/bin:/bin', NETRX_NODE: process.execPath },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('dlt {number=1}{name=EN10MB}{display=Ethernet}\n');
  });
});

describe('netrx capture extcap --capture into a fifo', () => {
  const fifoIn = (dir: string) => {
    const path = join(dir, 'extcap.fifo');
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    return path;
  };

  it('writes SHB and IDB first, then packets; ends cleanly (handle closed) when the reader goes away', async () => {
    const lab = await startCaptureLab('netrx-ce-fifo');
    const fifo = fifoIn(mkdtempSync(join(tmpdir(), 'ce-fifo-')));
    const session = io();
    const capturing = runCli(
      [
        'capture',
        'extcap',
        '--capture',
        '--extcap-interface',
        'netrx',
        '--fifo',
        fifo,
        '--server',
        lab.url,
        '--session',
        lab.session,
      ],
      session.cli,
    );
    const reader = createReadStream(fifo);
    const chunks: Buffer[] = [];
    reader.on('data', (chunk) => chunks.push(chunk as Buffer));
    const bytes = () => Buffer.concat(chunks);
    try {
      await until(() => bytes().length > 0, 10_000, 'the section header');
      const head = bytes();
      expect(head.readUInt32LE(0)).toBe(0x0a0d0d0a); // SHB
      const shbLength = head.readUInt32LE(4);
      await until(() => bytes().length >= shbLength + 8, 5000, 'the interface block');
      expect(bytes().readUInt32LE(shbLength)).toBe(1); // IDB, before any packet
      expect(bytes().readUInt16LE(shbLength + 8)).toBe(1); // LINKTYPE_ETHERNET
      // The header goes out before the session is opened (so a failure still ends dumpcap's read).
      await until(() => lab.openHandles() > 0, 5000, 'the session open');
      const before = bytes().length;
      lab.traffic(3);
      await until(() => bytes().length > before, 5000, 'packets');
      expect(bytes().readUInt32LE(before)).toBe(6); // EPB
      reader.destroy(); // Wireshark stopped reading
      await sleep(50);
      for (let i = 0; i < 50 && lab.openHandles() > 0; i++) {
        lab.traffic(1); // the next write finds the fifo without a reader
        await sleep(50);
      }
      expect(await capturing).toBe(0);
      expect(session.err).toEqual([]);
      expect(lab.openHandles()).toBe(0);
      expect(lab.rundowns()).toBe(0); // closed, not cut off
    } finally {
      reader.destroy();
      session.stop();
      await lab.close();
    }
  }, 30_000);

  it('stops on request (what SIGTERM and SIGINT do in main.ts) and lets go of the session even while idle', async () => {
    const lab = await startCaptureLab('netrx-ce-stop');
    const fifo = fifoIn(mkdtempSync(join(tmpdir(), 'ce-fifo-')));
    const session = io();
    const capturing = runCli(
      [
        'capture',
        'extcap',
        '--capture',
        '--extcap-interface',
        'netrx',
        '--fifo',
        fifo,
        '--server',
        lab.url,
        '--session',
        lab.session,
      ],
      session.cli,
    );
    const reader = createReadStream(fifo);
    reader.resume();
    try {
      await until(() => lab.openHandles() > 0, 10_000, 'the session open');
      const started = Date.now();
      session.stop();
      expect(await capturing).toBe(0);
      // An idle session's receive never completes: the extcap cuts the connection after 500 ms,
      // and the server runs the handle down (MS-LREC 3.1.6.1), as for any dropped client.
      expect(Date.now() - started).toBeLessThan(2000);
      await until(() => lab.openHandles() === 0, 5000, 'the handle gone');
    } finally {
      reader.destroy();
      await lab.close();
    }
  }, 30_000);

  it.each([
    ['the server is not there', 'rpc://127.0.0.1:1', 's', /(ECONNREFUSED|refused)/i],
    [
      'the session is unknown',
      undefined,
      'no-such-session',
      /failed: ERROR_NOT_FOUND \(1168\): No session named/,
    ],
  ])(
    'fails with one line when %s, after closing a fifo that holds the header (dumpcap sees the end)',
    async (_what, server, name, reason) => {
      const lab = await startCaptureLab('netrx-ce-fail');
      const fifo = fifoIn(mkdtempSync(join(tmpdir(), 'ce-fifo-')));
      const reader = createReadStream(fifo);
      const chunks: Buffer[] = [];
      reader.on('data', (chunk) => chunks.push(chunk as Buffer));
      const ended = new Promise<void>((done) => reader.once('end', () => done()));
      try {
        const { code, err } = await extcap(
          '--capture',
          '--extcap-interface',
          'netrx',
          '--fifo',
          fifo,
          '--server',
          server ?? lab.url,
          '--session',
          name,
        );
        expect(code).toBe(1);
        expect(err).toHaveLength(1);
        expect(err[0]).toMatch(/^netrx capture extcap: /);
        expect(err[0]).toMatch(reason);
        await ended;
        const bytes = Buffer.concat(chunks);
        expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
        expect(bytes.readUInt32LE(bytes.readUInt32LE(4))).toBe(1);
      } finally {
        reader.destroy();
        await lab.close();
      }
    },
  );

  it('needs --fifo, --server and --session for a capture', async () => {
    expect((await extcap('--capture', '--extcap-interface', 'netrx')).err.join('')).toContain(
      'missing --fifo',
    );
    expect(
      (await extcap('--capture', '--extcap-interface', 'netrx', '--fifo', '/x')).err.join(''),
    ).toContain('missing --server');
    expect(
      (
        await extcap(
          '--capture',
          '--extcap-interface',
          'netrx',
          '--fifo',
          '/x',
          '--server',
          'rpc://h:1',
        )
      ).err.join(''),
    ).toContain('missing --session');
    expect(
      (
        await extcap(
          '--capture',
          '--extcap-interface',
          'netrx',
          '--fifo',
          '/x',
          '--server',
          'http://h:1',
          '--session',
          's',
        )
      ).code,
    ).toBe(2);
  });
});
