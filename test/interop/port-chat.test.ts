/**
 * `netrx chat` against pppd's real `chat` (Debian ppp), an implementation
 * nobody here wrote: every script below runs twice against the same fixture
 * server (support/chat-fixture.ts) — once with chat on a socat pty bridged to
 * the fixture's TCP port, once with `netrx chat --port tcp:…` — and the two
 * must give the same exit code and the same normalised `-v -s` transcript
 * (support/chat-run.ts drops only what a tty alone produces).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandExists, requirePeers } from './support/peers.js';
import { startFixture, type FixtureMode } from './support/chat-fixture.js';
import {
  normalise,
  runNetrxChat,
  runNetrxChatOnPty,
  runNetrxChatOnSerial,
  runRealChat,
  type ChatKill,
} from './support/chat-run.js';

/** The peer versions these expectations were checked with. */
const RECORDED = { ppp: '2.4.9-1+1.1+b1', socat: '1.7.4.4' };

const peers = requirePeers('port-chat.test.ts', [
  { name: 'chat', ok: () => commandExists('chat'), hint: 'apt-get install -y ppp' },
  { name: 'socat', ok: () => commandExists('socat'), hint: 'apt-get install -y socat' },
]);
if (!peers.skip) {
  const ppp = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'ppp'], { encoding: 'utf8' }).stdout;
  const socat = /socat version (\S+)/.exec(
    spawnSync('socat', ['-V'], { encoding: 'utf8' }).stdout,
  )?.[1];
  console.info(`peers: chat from ppp ${ppp}, socat ${socat}`);
  if (ppp !== RECORDED.ppp || socat !== RECORDED.socat) {
    console.warn(`[netrx interop] checked with ppp ${RECORDED.ppp}, socat ${RECORDED.socat}`);
  }
}

const workdir = mkdtempSync(join(tmpdir(), `netrx-chat-${process.pid}-`));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

const LOGIN = `ABORT 'Login incorrect'
ABORT BUSY
TIMEOUT 5
ogin:--ogin: ppp
ssword: \\qhello2u2
'$ ' exit
bye ''
`;

interface Case {
  readonly name: string;
  readonly mode: FixtureMode;
  /** chat's options (both programs get the same). */
  readonly flags?: readonly string[];
  /** argv script words (after `--`), or a script file's content. */
  readonly script?: readonly string[];
  readonly file?: string;
  /** The logging flags, when not `-v -s -S`. */
  readonly log?: readonly string[];
  /** Extra files made in the working directory first. */
  readonly files?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly exit: number;
  /**
   * Also run `netrx chat` on a pty as its stdin/stdout (the stdio port), as
   * pppd would, and with `--port serial:PTY` (the serial transport).
   */
  readonly pty?: boolean;
  /** A signal sent to both programs mid-script. */
  readonly kill?: ChatKill;
  /** Script words right after the options, with no `--` (chat's own argv). */
  readonly noDashDash?: boolean;
}

const cases: readonly Case[] = [
  // The research file's login dialogue (§2.4) and its four outcomes.
  { name: 'login ok', pty: true, mode: 'ok', file: LOGIN, exit: 0 },
  {
    name: 'login busy: sub-send after the timeout, then ABORT BUSY',
    pty: true,
    mode: 'busy',
    file: LOGIN,
    exit: 5,
  },
  { name: 'login silent: two timeouts', mode: 'silent', file: LOGIN, exit: 3 },
  { name: 'login hang-up mid-script', mode: 'hangup', file: LOGIN, exit: 2 },
  {
    name: 'a tty that hangs up while chat waits: exit 2',
    pty: true,
    mode: 'hangup-late',
    flags: ['-t', '10'],
    script: ['ogin:', 'ppp', 'ssword:', 'x'],
    exit: 2,
  },
  {
    name: 'hang-up before a sub-send: the write fails, exit 2',
    mode: 'hangup',
    flags: ['-t', '2'],
    script: ['ogin:', 'ppp', 'ssword:--ssword:', 'x'],
    exit: 2,
  },
  {
    name: 'login with a wrong password hits the first ABORT',
    mode: 'ok',
    file: LOGIN.replace('hello2u2', 'wrong'),
    exit: 4,
  },
  {
    name: 'login as argv words',
    mode: 'ok',
    script: ['ABORT', 'BUSY', 'ogin:', 'ppp', 'ssword:', 'hello2u2', '$ ', 'exit', 'bye', ''],
    flags: ['-t', '5'],
    exit: 0,
  },
  {
    name: 'a slow server: ogin:--ogin: sends a CR after TIMEOUT 1',
    mode: 'slowlogin',
    script: ['TIMEOUT', '1', 'ogin:--ogin:', 'ppp', 'ssword:', 'hello2u2'],
    exit: 0,
  },
  // 8-bit bytes: chat strips bit 7.
  {
    name: '8-bit: \\301\\302 matches AB',
    pty: true,
    mode: 'eightbit',
    flags: ['-t', '5'],
    script: ['AB', ''],
    exit: 0,
  },
  {
    name: '8-bit: an expect of \\301\\302 never matches',
    mode: 'eightbit',
    flags: ['-t', '2'],
    script: ['\\301\\302', ''],
    exit: 3,
  },
  // A Hayes modem.
  {
    name: 'modem: dial with -T',
    mode: 'modem',
    flags: ['-T', '5551234'],
    script: ['', 'AT', 'OK', 'ATDT\\T', 'CONNECT', ''],
    exit: 0,
  },
  {
    name: 'modem: -T and -U',
    mode: 'modem',
    flags: ['-T', '555', '-U', '1234'],
    script: ['', 'ATDT\\T\\U', 'CONNECT', ''],
    exit: 0,
  },
  {
    name: 'modem: \\T without -T is sent as T',
    mode: 'modem',
    script: ['', 'ATDT\\T', 'CONNECT', ''],
    exit: 0,
  },
  {
    name: 'modem: a sub-expect chain x-AT-y-AT-OK',
    mode: 'modem',
    flags: ['-t', '1'],
    script: ['', 'ATZ', 'x-AT-y-AT-OK', ''],
    exit: 0,
  },
  {
    name: 'modem: ABORT ERROR gives 4',
    mode: 'modem',
    script: ['ABORT', 'ERROR', '', 'FOO', 'OK', ''],
    exit: 4,
  },
  {
    name: 'modem: the second ABORT gives 5',
    mode: 'modem',
    script: ['ABORT', 'NO CARRIER', 'ABORT', 'ERROR', '', 'BAD', 'OK', ''],
    exit: 5,
  },
  {
    name: 'modem: CLR_ABORT',
    mode: 'modem',
    script: ['ABORT', 'ERROR', 'ABORT', 'BUSY', 'CLR_ABORT', 'ERROR', '', 'FOO', 'ERROR', ''],
    exit: 0,
  },
  {
    name: 'modem: TIMEOUT 0 means 45 seconds',
    mode: 'modem',
    script: ['TIMEOUT', '0', '', 'AT', 'OK', ''],
    exit: 0,
  },
  {
    name: 'modem: ECHO ON echoes what comes in',
    mode: 'modem',
    script: ['ECHO', 'ON', '', 'AT', 'OK', '', 'ECHO', 'OFF', '', 'AT', 'OK', ''],
    exit: 0,
  },
  {
    name: 'modem: -e echoes from the start',
    pty: true,
    mode: 'modem',
    flags: ['-e'],
    script: ['', 'AT', 'OK', ''],
    exit: 0,
  },
  {
    name: 'modem: SAY writes to stderr',
    mode: 'modem',
    script: ['SAY', 'dialling...\\n', '', 'AT', 'OK', ''],
    exit: 0,
  },
  {
    name: 'modem: HANGUP OFF',
    mode: 'modem',
    script: ['HANGUP', 'OFF', '', 'AT', 'OK', ''],
    exit: 0,
  },
  // chat's own argv, no `--`: options end at the first script word, so `-x` is sent.
  {
    name: 'modem: argv script with no --, a send starting with -',
    mode: 'modem',
    flags: ['-t', '5'],
    script: ['', 'AT', 'OK', '-x', 'ERROR', ''],
    noDashDash: true,
    exit: 0,
  },
  // A hang-up mid-script (SIGHUP 1 s into an 8 s expect): ignored after HANGUP OFF
  // (the expect times out, exit 3), fatal after HANGUP ON (`SIGHUP`, exit 2). The
  // signal must land inside the expect: 7 s of room for a test process slowed by
  // load (4 s left 3, which a stalled worker under load 20 can use up).
  {
    name: 'HANGUP OFF: a SIGHUP mid-script is ignored',
    mode: 'silent',
    flags: ['-t', '8'],
    script: ['HANGUP', 'OFF', 'nothing', ''],
    kill: { signal: 'SIGHUP', after: 'expect (nothing)', afterMs: 1000 },
    exit: 3,
  },
  {
    name: 'HANGUP ON: a SIGHUP mid-script ends it',
    mode: 'silent',
    flags: ['-t', '8'],
    script: ['HANGUP', 'OFF', 'HANGUP', 'ON', 'nothing', ''],
    kill: { signal: 'SIGHUP', after: 'expect (nothing)', afterMs: 1000 },
    exit: 2,
  },
  {
    name: 'modem: EOT sends ^D with no CR',
    mode: 'modem',
    flags: ['-t', '5'],
    script: ['', 'EOT', '', 'AT', 'ERROR', ''],
    exit: 0,
  },
  { name: 'modem: BREAK', mode: 'modem', script: ['', 'BREAK', '', 'AT', 'OK', ''], exit: 0 },
  {
    name: 'modem: send escapes \\b \\t \\s \\\\ \\101 ^A',
    mode: 'modem',
    flags: ['-t', '5'],
    script: ['', 'AT\\s\\t\\\\\\101^A\\b', 'OK', ''],
    exit: 0,
  },
  { name: 'modem: \\d and \\p pause', mode: 'modem', script: ['', 'A\\dT\\p', 'OK', ''], exit: 0 },
  {
    name: 'modem: \\c drops the CR',
    mode: 'modem',
    script: ['', 'AT\\c', '', '\\r', 'OK', ''],
    exit: 0,
  },
  {
    name: 'modem: \\N sends a NUL (and cuts the log line there)',
    mode: 'modem',
    flags: ['-t', '5'],
    script: ['', 'AT\\Nx', 'OK', ''],
    exit: 0,
  },
  { name: 'modem: \\q hides a send', mode: 'modem', script: ['', 'AT\\q', 'OK', ''], exit: 0 },
  {
    name: 'modem: octal in an expect',
    mode: 'modem',
    script: ['', 'AT', '\\117\\113', ''],
    exit: 0,
  },
  {
    name: 'modem: @file sends a file',
    mode: 'modem',
    files: { 'cmd.txt': 'ATDT123\n' },
    script: ['', '@cmd.txt', 'CONNECT', ''],
    exit: 0,
  },
  {
    name: 'modem: @file that is missing exits 1',
    mode: 'modem',
    script: ['', '@nope.txt', 'OK', ''],
    exit: 1,
  },
  {
    name: '-E substitutes the environment',
    mode: 'ok',
    flags: ['-E', '-t', '5'],
    env: { CHATUSER: 'ppp', CHATPW: 'hello2u2' },
    script: ['ogin:', '$CHATUSER', 'ssword:', '\\q$CHATPW', '\\$\\s', ''],
    exit: 0,
  },
  {
    name: 'without -E $NAME is literal',
    mode: 'modem',
    env: { CHATUSER: 'ppp' },
    flags: ['-t', '5'],
    script: ['', 'AT$CHATUSER', 'OK', ''],
    exit: 0,
  },
  {
    name: 'REPORT CONNECT writes the rest of the line',
    mode: 'report',
    script: ['REPORT', 'CONNECT', 'ogin:', ''],
    exit: 0,
  },
  {
    name: 'CLR_REPORT',
    mode: 'report',
    script: ['REPORT', 'CONNECT', 'CLR_REPORT', 'CONNECT', 'ogin:', ''],
    exit: 0,
  },
  {
    name: 'a control byte in an expect (^A) and DEL in the log',
    mode: 'noise',
    flags: ['-t', '5'],
    script: ['b^Ac', '', '$ ', ''],
    exit: 0,
  },
  {
    name: 'a 2200-byte line through the 1024-byte window',
    pty: true,
    mode: 'longline',
    flags: ['-t', '5'],
    script: ['END', ''],
    exit: 0,
  },
  {
    name: 'an unmatched long line times out',
    mode: 'longline',
    flags: ['-t', '1'],
    script: ['never', ''],
    exit: 3,
  },
  {
    name: '-V echoes received bytes to stderr',
    mode: 'modem',
    log: ['-V', '-s', '-S'],
    script: ['', 'AT', 'OK', ''],
    exit: 0,
  },
  {
    name: 'without -s nothing is logged (chat logs to syslog only)',
    mode: 'modem',
    log: ['-v', '-S'],
    flags: ['-t', '1'],
    script: ['', 'AT', 'NEVER', ''],
    exit: 3,
  },
  {
    name: 'REPORT and ABORT on the same line',
    mode: 'report',
    script: ['REPORT', 'CONNECT', 'ABORT', '/ARQ', 'ogin:', ''],
    exit: 4,
  },
  {
    name: 'a sub-expect whose send is EOT',
    mode: 'modem',
    flags: ['-t', '1'],
    script: ['', 'AT', 'NEVER-EOT-ERROR', ''],
    exit: 3,
  },
  // Bad scripts.
  {
    name: 'an ABORT string of 50 bytes exits 1',
    mode: 'modem',
    script: ['ABORT', 'x'.repeat(50), '', 'AT'],
    exit: 1,
  },
  {
    name: '51 ABORT strings exit 2',
    mode: 'modem',
    script: Array.from({ length: 51 }, (_, i) => ['ABORT', `A${i}`]).flat(),
    exit: 2,
  },
  {
    name: 'an unterminated quote exits 1 after running the lines before',
    mode: 'modem',
    file: "'' AT\nOK 'ATZ\n",
    exit: 1,
  },
  {
    name: 'an expect longer than 1024 bytes exits 1',
    mode: 'modem',
    script: ['y'.repeat(1025), ''],
    exit: 1,
  },
  {
    name: 'a keyword with no argument is ignored',
    mode: 'modem',
    script: ['', 'AT', 'OK', 'TIMEOUT'],
    exit: 0,
  },
];

/**
 * A case's budget, for a hung run only (every wait inside is for an event):
 * the runs one after another (chat and netrx over TCP side by side, then a
 * pty case's stdio and serial runs), each a node start that takes seconds
 * at load 20, plus the script's own timeouts.
 */
const CASE_BUDGET_MS = { tcp: 90_000, pty: 180_000 };

async function runCase(c: Case): Promise<void> {
  const fixture = await startFixture(c.mode);
  try {
    const dir = mkdtempSync(join(workdir, 'case-'));
    for (const [name, content] of Object.entries(c.files ?? {})) {
      writeFileSync(join(dir, name), content, 'latin1');
    }
    let args = [...(c.flags ?? []), ...(c.log ?? ['-v', '-s', '-S'])];
    if (c.file !== undefined) {
      writeFileSync(join(dir, 'script.chat'), c.file, 'latin1');
      args = [...args, '-f', 'script.chat'];
    } else {
      args = [...args, ...(c.noDashDash === true ? [] : ['--']), ...(c.script ?? [])];
    }
    const [real, ours] = await Promise.all([
      runRealChat(fixture.port, args, dir, c.env, c.kill),
      runNetrxChat(fixture.port, args, dir, c.env, [], c.kill),
    ]);
    expect(real.exitCode, `chat's exit code; its transcript:\n${real.stderr}`).toBe(c.exit);
    expect(normalise(ours.stderr)).toEqual(normalise(real.stderr));
    expect(ours.exitCode).toBe(real.exitCode);
    if (c.pty === true) {
      const onPty = await runNetrxChatOnPty(fixture.port, args, dir, c.env);
      expect(normalise(onPty.stderr)).toEqual(normalise(real.stderr));
      expect(onPty.exitCode).toBe(real.exitCode);
      const onSerial = await runNetrxChatOnSerial(fixture.port, args, dir, c.env);
      expect(normalise(onSerial.stderr)).toEqual(normalise(real.stderr));
      expect(onSerial.exitCode).toBe(real.exitCode);
    }
  } finally {
    await fixture.close();
  }
}

describe.skipIf(peers.skip)('netrx chat and pppd chat: same exit code, same -v transcript', () => {
  const onTcp = cases.filter((c) => c.pty !== true);
  const onPty = cases.filter((c) => c.pty === true);
  it.concurrent.each(onTcp)('$name', { timeout: CASE_BUDGET_MS.tcp }, runCase);
  it.concurrent.each(onPty)('$name', { timeout: CASE_BUDGET_MS.pty }, runCase);

  it('fast mode: the same transcript as chat', { timeout: 30_000 }, async () => {
    const fixture = await startFixture('ok');
    try {
      const dir = mkdtempSync(join(workdir, 'fast-'));
      writeFileSync(join(dir, 'login.chat'), LOGIN);
      const args = ['-v', '-s', '-S', '-f', 'login.chat'];
      const real = await runRealChat(fixture.port, args, dir);
      const fast = await runNetrxChat(fixture.port, args, dir, {}, ['--fast']);
      expect(fast.exitCode).toBe(0);
      expect(normalise(fast.stderr)).toEqual(normalise(real.stderr));
      console.info(`login dialogue: chat ${real.ms} ms, netrx chat --fast ${fast.ms} ms`);
    } finally {
      await fixture.close();
    }
  });

  it('-r writes REPORT lines to the file, like chat', { timeout: 30_000 }, async () => {
    const fixture = await startFixture('report');
    try {
      const results: string[] = [];
      for (const run of [runRealChat, runNetrxChat]) {
        const dir = mkdtempSync(join(workdir, 'report-'));
        const args = ['-v', '-s', '-S', '-r', 'report.txt', '--', 'REPORT', 'CONNECT', 'ogin:', ''];
        const result = await run(fixture.port, args, dir);
        expect(result.exitCode).toBe(0);
        results.push(normalise(readFileSync(join(dir, 'report.txt'), 'latin1')).join('\n'));
      }
      expect(results[1]).toBe(results[0]);
      expect(results[0]).toContain('chat:  TIME CONNECT 9600/ARQ');
    } finally {
      await fixture.close();
    }
  });
});
