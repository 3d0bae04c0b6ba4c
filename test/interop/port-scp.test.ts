/**
 * `netrx scp` (the Dial-Up Scripting Command Language) against the fixture
 * servers of the chat compatibility suite (support/chat-fixture.ts): every
 * command and both forms of `waitfor`, over TCP and over a real tty line
 * (a socat pty, `serial:`), with the exit codes and messages of the command
 * and parse errors by line and column. Windows' own interpreter is not
 * available here; the expectations follow SCRIPT.TXT (docs/port.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFixture, type FixtureMode } from './support/chat-fixture.js';
import { commandExists, requirePeers, versionOf } from './support/peers.js';
import { runNetrxScp, runNetrxScpOnSerial } from './support/scp-run.js';

const workdir = mkdtempSync(join(tmpdir(), `netrx-scp-${process.pid}-`));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

let files = 0;
function script(text: string): string {
  const name = `s${files++}.scp`;
  writeFileSync(join(workdir, name), Buffer.from(text, 'latin1'));
  return name;
}

async function onFixture(mode: FixtureMode, text: string, args: string[] = [], env = {}) {
  const fixture = await startFixture(mode);
  try {
    return await runNetrxScp(
      workdir,
      [script(text), '--port', `tcp:127.0.0.1:${fixture.port}`, ...args],
      env,
    );
  } finally {
    await fixture.close();
  }
}

const LOGIN = `; log in to the fixture's login dialogue
proc main
  integer attempts = 0
  boolean prompted = FALSE
  while !prompted and attempts < 2 do
    waitfor "ogin:" until 5
    prompted = $SUCCESS
    attempts = attempts + 1
  endwhile
  if !prompted then
    halt
  endif
  transmit $USERID + "^M"
  waitfor "ssword:" until 5
  transmit $PASSWORD, raw
  transmit "<cr>"
  waitfor "$ " then shell, "incorrect" then refused until 5
  halt
shell:
  transmit "exit^M"
  waitfor "bye" until 5
  goto done
refused:
  halt
done:
endproc
`;

describe('netrx scp against the chat fixtures', () => {
  it('ok: logs in with --user and the password from NETRX_SCP_PASSWORD; exit 0; -v hides the password', async () => {
    const run = await onFixture('ok', LOGIN, ['--user', 'ppp', '-v'], {
      NETRX_SCP_PASSWORD: 'hello2u2',
    });
    expect(run.stderr).toContain('transmit (ppp^M)');
    expect(run.stderr).toContain('transmit (??????)');
    expect(run.stderr).not.toContain('hello2u2');
    expect(run.stderr).toContain('waitfor ($  | incorrect) until 5');
    expect(run.exitCode).toBe(0);
  });

  it('ok, wrong password: the then-branch to refused, halt; exit 3 naming the line', async () => {
    const run = await onFixture('ok', LOGIN, ['--user', 'ppp', '--password', 'nope']);
    expect(run.stderr).toBe(`netrx scp: s${files - 1}.scp:24:3: halt\n`);
    expect(run.exitCode).toBe(3);
  });

  it('busy: waitfor … then picks BUSY over CONNECT; exit 3', async () => {
    const run = await onFixture(
      'busy',
      `proc main
  waitfor "OK" until 5
  transmit "ATDT5551234^M"
  waitfor "CONNECT" then online, "BUSY" then busy, "NO CARRIER" then busy until 5
online:
  goto out
busy:
  halt
out:
endproc
`,
    );
    expect(run.stderr).toMatch(/:8:3: halt\n$/);
    expect(run.exitCode).toBe(3);
  });

  it('silent: until times out, $FAILURE, delay; the script carries on to endproc (exit 0)', async () => {
    const run = await onFixture(
      'silent',
      `proc main
  waitfor "ogin:" until 1
  if $FAILURE then
    delay 1
  else
    halt
  endif
endproc
`,
    );
    expect(run.exitCode).toBe(0);
    expect(run.ms).toBeGreaterThanOrEqual(2000);
  });

  it('hangup: the line drops during a waitfor without until; exit 1 with error 619', async () => {
    const run = await onFixture(
      'hangup',
      `proc main
  waitfor "ogin:"
  transmit "ppp^M"
  waitfor "ssword:"
endproc
`,
    );
    expect(run.stderr).toMatch(/:4:3: .*\(error 619\)\n$/);
    expect(run.exitCode).toBe(1);
  });

  it('modem: set port and set screen keyboard (a TCP line records them), matchcase and case-insensitive waitfor', async () => {
    const run = await onFixture(
      'modem',
      `proc main
  set port databits 8
  set port parity none
  set port stopbits 1
  set screen keyboard off
  if $FAILURE then
    halt
  endif
  transmit "AT^M"
  waitfor "ok" until 5
  if $FAILURE then
    halt
  endif
  transmit "ATDT1^M"
  waitfor "connect 115200", matchcase until 1
  if $SUCCESS then
    halt
  endif
  transmit "ATDT2^M"
  waitfor "CONNECT 115200", matchcase until 5
  if $FAILURE then
    halt
  endif
endproc
`,
      ['-v'],
    );
    expect(run.stderr).toContain('set port parity none');
    expect(run.exitCode).toBe(0);
  });

  it('ipaddr: getip across a split write, set ipaddr, string comparison', async () => {
    const run = await onFixture(
      'ipaddr',
      `proc main
  string address
  address = getip
  set ipaddr getip 1
  if address == "10.0.0.7" then
    transmit "ok^M"
  else
    halt
  endif
  waitfor "bye" until 5
endproc
`,
      ['-v'],
    );
    expect(run.stderr).toContain(' -- got 10.0.0.7');
    expect(run.stderr).toContain('set ipaddr 10.0.0.1');
    expect(run.exitCode).toBe(0);
  });

  it('eightbit: bytes keep bit 7 (unlike chat), matched as written', async () => {
    const run = await onFixture(
      'eightbit',
      'proc main\n  waitfor "\xc1\xc2 done", matchcase until 2\n  if $FAILURE then\n    halt\n  endif\nendproc\n',
    );
    expect(run.exitCode).toBe(0);
  });

  it('noise: procedures, integer arithmetic and a counting loop', async () => {
    const run = await onFixture(
      'noise',
      `proc main
  integer n = 0
  while n < 10 do
    n = n + 2 * 1
  endwhile
  if n != 10 then
    halt
  endif
  expectprompt
endproc

proc expectprompt
  waitfor "LINE TWO" until 2
  waitfor "$ " until 2
  if $FAILURE then
    halt
  endif
endproc
`,
    );
    expect(run.exitCode).toBe(0);
  });
});

describe('netrx scp: bad scripts and arguments', () => {
  it('parse errors: every one with FILE:LINE:COLUMN; exit 4, nothing opened', async () => {
    const name = script(
      'proc main\n  integer n = "x"\n  waitfor "a" then l, "b"\n  transmit "open\nl:\nendproc\n',
    );
    const run = await runNetrxScp(workdir, [name, '--port', 'tcp:127.0.0.1:1']);
    expect(run.stderr.split('\n')).toEqual([
      `netrx scp: ${name}:2:15: the initial value of n needs an integer, not a string`,
      `netrx scp: ${name}:3:23: waitfor's string 2 needs then LABEL, as the first has`,
      `netrx scp: ${name}:4:12: unterminated string (a string ends on its line)`,
      '',
    ]);
    expect(run.exitCode).toBe(4);
  });

  it('--check parses only (exit 0); a missing file exits 4; a runtime error exits 1 with where', async () => {
    const good = script('proc main\n  halt\nendproc\n');
    expect((await runNetrxScp(workdir, [good, '--check'])).exitCode).toBe(0);
    const missing = await runNetrxScp(workdir, ['nope.scp']);
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toMatch(/^netrx scp: nope\.scp: ENOENT/);
    const zero = script('proc main\n  integer z = 0\n  z = 5 / z\nendproc\n');
    const run = await runNetrxScp(workdir, [zero, '--port', 'exec:sleep 5']);
    expect(run.stderr).toBe(`netrx scp: ${zero}:3:7: division by zero (error 87)\n`);
    expect(run.exitCode).toBe(1);
  });

  it('usage: no FILE, a bad --timeout or an unknown port exit 2; --timeout ends a waiting script (exit 1)', async () => {
    expect((await runNetrxScp(workdir, [])).exitCode).toBe(2);
    const good = script('proc main\n  waitfor "never"\nendproc\n');
    expect((await runNetrxScp(workdir, [good, '--timeout', 'soon'])).exitCode).toBe(2);
    const port = await runNetrxScp(workdir, [good, '--port', 'modem:/dev/null']);
    expect(port.exitCode).toBe(2);
    expect(port.stderr).toContain('Unknown port');
    const timed = await runNetrxScp(workdir, [good, '--port', 'exec:sleep 30', '--timeout', '0.5']);
    expect(timed.stderr).toMatch(/:2:3: stopped: --timeout 0\.5 \(error 631\)\n$/);
    expect(timed.exitCode).toBe(1);
  });
});

const peers = requirePeers('port-scp.test.ts (serial)', [
  { name: 'socat', ok: () => commandExists('socat'), hint: 'apt-get install -y socat' },
]);
if (!peers.skip) console.info(`peers: ${versionOf('socat', ['-V']).replace(/\n.*/s, '')}`);

describe.skipIf(peers.skip)('netrx scp on a tty line (serial: over a socat pty)', () => {
  it('set port databits 7 on a pty is refused ($FAILURE), 8N1 is kept, and the dialogue runs', async () => {
    const fixture = await startFixture('modem');
    try {
      const run = await runNetrxScpOnSerial(workdir, fixture.port, [
        script(`proc main
  set port databits 7
  if $SUCCESS then
    halt
  endif
  set port databits 8
  set port parity none
  if $FAILURE then
    halt
  endif
  transmit "AT^M"
  waitfor "OK" until 5
  if $FAILURE then
    halt
  endif
endproc
`),
        '-v',
      ]);
      expect(run.stderr).toMatch(/set port databits 7 -- refused \(\d+\)/);
      expect(run.exitCode).toBe(0);
    } finally {
      await fixture.close();
    }
  });
});
