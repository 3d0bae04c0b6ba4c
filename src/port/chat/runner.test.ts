import { describe, expect, it } from 'vitest';
import { VirtualClock, createPortPair, type PortPeer } from '../../testing/index.js';
import type { ChatOptions, ChatResult } from './options.js';
import { runChat } from './runner.js';
import { parseChatArgs, parseChatFile } from './script.js';

interface Run {
  readonly result: ChatResult;
  readonly logs: string[];
  readonly stderr: string;
  readonly reports: string[];
  readonly peer: PortPeer;
  readonly elapsed: number;
}

/**
 * Runs a script against a scripted peer on a virtual clock: `answers` maps
 * what the port sends to what the peer writes back; `greeting` is written
 * when the script starts. Time moves only when the runner waits.
 */
async function chat(
  script: string | string[],
  peerScript: {
    greeting?: string;
    answers?: Record<string, string | (() => void)>;
  } = {},
  options: Partial<ChatOptions> = {},
): Promise<Run> {
  const clock = new VirtualClock(1_700_000_000_000);
  const { port, peer } = createPortPair({ clock });
  const logs: string[] = [];
  const reports: string[] = [];
  let stderr = '';
  let sent = '';
  peer.onWrite = (chunk) => {
    sent += String.fromCharCode(...chunk);
    for (const [trigger, answer] of Object.entries(peerScript.answers ?? {})) {
      if (sent.endsWith(trigger)) {
        sent = '';
        if (typeof answer === 'string') peer.write(answer);
        else answer();
      }
    }
  };
  const parsed = typeof script === 'string' ? parseChatFile(script) : parseChatArgs(script);
  const running = runChat(port, parsed, {
    clock,
    verbose: true,
    toStderr: true,
    pacing: 'fast',
    output: {
      log: (line) => logs.push(line),
      stderr: (text) => (stderr += text),
      report: (line) => reports.push(line),
    },
    ...options,
  });
  if (peerScript.greeting !== undefined) peer.write(peerScript.greeting);
  let settled = false;
  void running.finally(() => (settled = true));
  const start = clock.now();
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!settled && !clock.runNext()) await new Promise((resolve) => setImmediate(resolve));
  }
  return { result: await running, logs, stderr, reports, peer, elapsed: clock.now() - start };
}

const login = `ABORT 'Login incorrect'
ABORT BUSY
TIMEOUT 5
ogin:--ogin: ppp
ssword: \\qhello2u2
'$ ' exit
bye ''
`;

describe('runChat: the login dialogue of the research fixture', () => {
  it("ok: exit 0 with chat's -v lines", async () => {
    const run = await chat(login, {
      greeting: 'Welcome to testhost\r\nlogin: ',
      answers: {
        'ppp\r': '\r\nPassword: ',
        'hello2u2\r': '\r\nLogged in. Starting PPP...\r\n$ ',
        'exit\r': '\r\nbye\r\n',
      },
    });
    expect(run.result.exitCode).toBe(0);
    expect(run.result.expect).toBeUndefined();
    expect(run.logs).toEqual([
      'abort on (Login incorrect)',
      'abort on (BUSY)',
      'timeout set to 5 seconds',
      'expect (ogin:)',
      'Welcome to testhost^M',
      'login:',
      ' -- got it\n',
      'send (ppp^M)',
      'expect (ssword:)',
      ' ^M',
      'Password:',
      ' -- got it\n',
      'send (??????)',
      'expect ($ )',
      ' ^M',
      'Logged in. Starting PPP...^M',
      '$ ',
      ' -- got it\n',
      'send (exit^M)',
      'expect (bye)',
      '^M',
      'bye',
      ' -- got it\n',
      'send (^M)',
    ]);
    expect(run.peer.received).toBe('ppp\rhello2u2\rexit\r\r');
  });

  it('busy: the sub-send fires after the timeout, then the second ABORT gives exit 5', async () => {
    const run = await chat(login, {
      greeting: 'ATZ\r\r\nOK\r\n',
      answers: { '\r': '\r\nBUSY\r\n' },
    });
    expect(run.result).toMatchObject({ exitCode: 5, abortString: 'BUSY', expect: 'ogin:' });
    expect(run.logs.slice(-10)).toEqual([
      'expect (ogin:)',
      'ATZ^M^M',
      'OK^M',
      'alarm',
      'send (^M)',
      'expect (ogin:)',
      '^M',
      'BUSY',
      ' -- failed',
      'Failed (BUSY)',
    ]);
    expect(run.elapsed).toBe(5000);
  });

  it('silent: two timeouts give exit 3', async () => {
    const run = await chat(login, {});
    expect(run.result.exitCode).toBe(3);
    // The expect it failed on, for `netrx chat --port A --port B`'s result lines.
    expect(run.result.expect).toBe('ogin:');
    expect(run.logs.filter((l) => l === 'alarm')).toHaveLength(2);
    expect(run.logs.at(-1)).toBe('Failed');
    expect(run.elapsed).toBe(10_000);
  });

  it('hang-up mid-script: exit 2, as chat on a line that hung up', async () => {
    const clock = new VirtualClock();
    const { port, peer } = createPortPair({ clock });
    const logs: string[] = [];
    const running = runChat(port, parseChatFile(login), {
      clock,
      verbose: true,
      toStderr: true,
      pacing: 'fast',
      output: { log: (l) => logs.push(l), stderr: () => {}, report: () => {} },
    });
    peer.onWrite = () => peer.hangUp();
    peer.write('login: ');
    const result = await running;
    expect(result).toMatchObject({ exitCode: 2, disconnected: true, expect: 'ssword:' });
    expect(logs.slice(-3)).toEqual(['send (ppp^M)', 'expect (ssword:)', 'Failed']);
  });
});

describe('runChat: keywords', () => {
  it('TIMEOUT 0 means 45 seconds; -t 0 waits forever', async () => {
    const run = await chat(['TIMEOUT', '0', 'x', '']);
    expect(run.logs[0]).toBe('timeout set to 45 seconds');
    expect(run.elapsed).toBe(45_000);
  });

  it('ABORT: the 51st string exits 2; a 50-byte string exits 1; both after what came before', async () => {
    const many = Array.from({ length: 51 }, (_, i) => ['ABORT', `s${i}`]).flat();
    const tooMany = await chat(many);
    expect(tooMany.result.exitCode).toBe(2);
    expect(tooMany.logs.at(-1)).toBe('Too many ABORT strings');
    expect(tooMany.logs).toHaveLength(51);
    const long = await chat(['ABORT', 'x'.repeat(49), 'ABORT', 'y'.repeat(50)]);
    expect(long.result.exitCode).toBe(1);
    expect(long.logs).toEqual([
      `abort on (${'x'.repeat(49)})`,
      `Illegal or too-long ABORT string ('${'y'.repeat(50)}')`,
    ]);
  });

  it('ABORT strings are checked in declaration order after the expect; the code is 4 + n', async () => {
    const run = await chat(['ABORT', 'NO CARRIER', 'ABORT', 'CARRIER', 'CONNECT', ''], {
      greeting: 'NO CARRIER\r\n',
    });
    expect(run.result.exitCode).toBe(4);
    const expectWins = await chat(['ABORT', 'BUSY', 'BUSY', ''], { greeting: 'BUSY' });
    expect(expectWins.result.exitCode).toBe(0);
  });

  it('CLR_ABORT removes a string; the rest keep their order', async () => {
    const run = await chat(['ABORT', 'A1', 'ABORT', 'B2', 'CLR_ABORT', 'A1', 'OK', ''], {
      greeting: 'B2',
    });
    expect(run.logs).toContain('clear abort on (A1)');
    expect(run.result.exitCode).toBe(4);
  });

  it('REPORT writes the matched string and the rest of its line, once; never changes the exit code', async () => {
    const run = await chat(['REPORT', 'CONNECT', 'OK', ''], {
      greeting: 'CONNECT 9600\r\nCONNECT 2\r\nOK',
    });
    expect(run.result.exitCode).toBe(0);
    expect(run.reports).toEqual(['chat:  Nov 14 22:13:20 CONNECT 9600']);
    expect(run.logs[0]).toBe('report (CONNECT)');
  });

  it('CLR_REPORT stops a report', async () => {
    const run = await chat(['REPORT', 'CONNECT', 'CLR_REPORT', 'CONNECT', 'OK', ''], {
      greeting: 'CONNECT 9600\r\nOK',
    });
    expect(run.reports).toEqual([]);
    expect(run.logs).toContain('clear report (CONNECT)');
  });

  it("SAY writes to stderr (with chat's CR unless \\c); ECHO ON echoes received bytes", async () => {
    const run = await chat(['SAY', 'dialling\\n\\c', 'ECHO', 'ON', 'OK', ''], {
      greeting: 'AT\r\nOK',
    });
    expect(run.stderr).toBe('dialling\nAT\nOK\n');
  });

  it('HANGUP OFF / ON reports the hang-up setting to the host, in script order', async () => {
    const settings: boolean[] = [];
    const run = await chat(
      ['HANGUP', 'OFF', 'OK', '', 'HANGUP', 'ON', '', 'x', 'HANGUP', 'yes', 'OK', ''],
      { greeting: 'OK', answers: { 'x\r': 'OK' } },
      { onHangupSetting: (enabled) => settings.push(enabled) },
    );
    expect(run.result.exitCode).toBe(0);
    // chat: `OFF` ignores SIGHUP; any other argument restores its handler.
    expect(settings).toEqual([false, true, true]);
  });
});

describe('runChat: sends', () => {
  it('EOT sends ^D with no CR; BREAK sends a break', async () => {
    const run = await chat(['', 'EOT', '', 'BREAK']);
    expect(run.peer.received).toBe('\x04');
    expect(run.peer.breaks).toBe(1);
    expect(run.logs).toEqual(['send (^D)', 'send (\\K)']);
  });

  it('\\d waits 1 s and \\p 10 ms; \\c drops the CR; \\N sends a NUL (and cuts the log like chat)', async () => {
    const run = await chat(['', 'a\\db\\pc\\Nd\\c']);
    expect(run.peer.received).toBe('abc\0d');
    expect(run.elapsed).toBe(1010);
    expect(run.logs).toEqual(['send (a\\db\\pc\\)']);
  });

  it('chat pacing writes one byte per 10 ms; fast pacing writes a run at once', async () => {
    const slow = await chat(['', 'hello'], {}, { pacing: 'chat' });
    expect(slow.peer.writes).toEqual(['h', 'e', 'l', 'l', 'o', '\r']);
    expect(slow.elapsed).toBe(60);
    const fast = await chat(['', 'hello']);
    expect(fast.peer.writes).toEqual(['hello\r']);
    expect(fast.elapsed).toBe(0);
  });

  it('chat pacing: a send longer than the timeout fails with " -- write timed out", exit 1', async () => {
    const run = await chat(['TIMEOUT', '1', '', 'x'.repeat(150)], {}, { pacing: 'chat' });
    expect(run.result.exitCode).toBe(1);
    expect(run.logs.slice(-2)).toEqual([' -- write timed out', 'Failed']);
  });

  it('-T/-U and -E substitute phone numbers and environment values', async () => {
    const run = await chat(
      ['', 'ATDT\\T', '', '$USER-\\U'],
      {},
      {
        phone: '5551234',
        phone2: '99',
        useEnv: true,
        env: (name) => (name === 'USER' ? 'alice' : undefined),
      },
    );
    expect(run.peer.received).toBe('ATDT5551234\ralice-99\r');
  });

  it('@file sends the file (escapes apply, a final newline dropped); a missing file exits 1', async () => {
    const files: Record<string, string> = { pw: 'secret\\c\n' };
    const readFile = (name: string) => {
      const content = files[name];
      return content === undefined
        ? Promise.reject(new Error('No such file or directory'))
        : Promise.resolve(content);
    };
    const run = await chat(['', '@pw'], {}, { readFile });
    expect(run.peer.received).toBe('secret');
    const missing = await chat(['', '@nope'], {}, { readFile });
    expect(missing.result.exitCode).toBe(1);
    expect(missing.logs).toEqual(['nope -- open failed: No such file or directory']);
  });
});

describe('runChat: receiving', () => {
  it('strips bit 7: \\301\\302 matches AB, and an expect of \\301 can never match', async () => {
    const ok = await chat(['-t', 'AB', ''].slice(1), { greeting: '\xc1\xc2 done\r\n' });
    expect(ok.result.exitCode).toBe(0);
    const never = await chat(
      ['\\301\\302', ''],
      { greeting: '\xc1\xc2 done\r\n' },
      { timeoutSeconds: 2 },
    );
    expect(never.result.exitCode).toBe(3);
    expect(never.logs[0]).toBe('expect (M-AM-B)');
  });

  it('logs a long line in 80-byte pieces and keeps logging right across the 1024-byte window', async () => {
    const line = 'x'.repeat(2000);
    const run = await chat(['END', ''], { greeting: `${line}END` });
    expect(run.result.exitCode).toBe(0);
    const pieces = run.logs.slice(1, -2);
    expect(pieces.join('')).toBe(`${line}END`);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(80);
  });

  it('an expect split across any chunks is found', async () => {
    const clock = new VirtualClock();
    const { port, peer } = createPortPair({ clock });
    const running = runChat(port, parseChatArgs(['ogin:', '']), {
      clock,
      pacing: 'fast',
      output: { log: () => {}, stderr: () => {}, report: () => {} },
    });
    for (const piece of ['lo', 'g', 'i', 'n', ':']) {
      peer.write(piece);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await running).exitCode).toBe(0);
  });

  it('an empty expect ("") matches at once and logs nothing (chat never reaches get_string)', async () => {
    const run = await chat(['', 'x']);
    expect(run.logs).toEqual(['send (x^M)']);
  });

  it('without -s nothing is logged; -V echoes received bytes', async () => {
    const run = await chat(
      ['OK', ''],
      { greeting: 'A\r\nOK' },
      { toStderr: false, verboseStderr: true },
    );
    expect(run.logs).toEqual([]);
    expect(run.stderr).toBe('A\nOK');
  });

  it('an aborted signal ends the script with exit 2 and logs the reason', async () => {
    const controller = new AbortController();
    const clock = new VirtualClock();
    const { port } = createPortPair({ clock });
    const logs: string[] = [];
    const running = runChat(port, parseChatArgs(['never', '']), {
      clock,
      toStderr: true,
      signal: controller.signal,
      output: { log: (l) => logs.push(l), stderr: () => {}, report: () => {} },
    });
    controller.abort('SIGINT');
    expect((await running).exitCode).toBe(2);
    expect(logs).toEqual(['SIGINT']);
  });

  it("a syntax error runs what came before, then exits 1 with chat's message", async () => {
    const run = await chat("'' hello\n'' 'oops\n", {});
    expect(run.result.exitCode).toBe(1);
    expect(run.peer.received).toBe('hello\r');
    expect(run.logs).toEqual(['send (hello^M)', 'unterminated quote (line 2)']);
  });

  it('an expect longer than 1024 bytes exits 1', async () => {
    const run = await chat(['y'.repeat(1025), '']);
    expect(run.result.exitCode).toBe(1);
    expect(run.logs.slice(-2)).toEqual(['expect string is too long', 'Failed']);
  });
});

describe('runChat: regressions', () => {
  it('a line that hung up before a sub-send: the failed write ends with exit 2, not 1', async () => {
    // Found by the interop suite: fatal() skipped terminate(), so the disconnect did not make it 2.
    const clock = new VirtualClock();
    const { port, peer } = createPortPair({ clock });
    const logs: string[] = [];
    const running = runChat(port, parseChatArgs(['ogin:', 'ppp', 'ssword:--ssword:', 'x']), {
      clock,
      verbose: true,
      toStderr: true,
      pacing: 'fast',
      output: { log: (l) => logs.push(l), stderr: () => {}, report: () => {} },
    });
    peer.onWrite = () => peer.hangUp();
    peer.write('login: ');
    const result = await running;
    expect(logs.slice(-4)).toEqual([
      'expect (ssword:)',
      'send (^M)',
      ' -- write failed: port was disconnected',
      'Failed',
    ]);
    expect(result.exitCode).toBe(2);
  });

  it('a REPORT line still being gathered when an ABORT ends the script is written (without -r too)', async () => {
    // Found by the interop suite: only -r runs finished the line at exit.
    const run = await chat(['REPORT', 'CONNECT', 'ABORT', '/ARQ', 'ogin:', ''], {
      greeting: 'CONNECT 9600/ARQ\r\nlogin: ',
    });
    expect(run.result.exitCode).toBe(4);
    expect(run.reports).toEqual(['chat:  Nov 14 22:13:20 CONNECT 9600/ARQ']);
  });
});

describe('runChat: the REPORT gather at the end of the script (chat terminate())', () => {
  /** Runs a REPORT CONNECT script on a virtual clock; `setup` may schedule peer writes or an abort. */
  async function gather(
    greeting: string,
    setup: (context: { clock: VirtualClock; peer: PortPeer; stop: AbortController }) => void,
    options: Partial<ChatOptions> = {},
  ) {
    const clock = new VirtualClock(1_700_000_000_000);
    const { port, peer } = createPortPair({ clock });
    const stop = new AbortController();
    const logs: string[] = [];
    const reports: string[] = [];
    const running = runChat(port, parseChatArgs(['REPORT', 'CONNECT', 'CONNECT', '']), {
      clock,
      verbose: true,
      toStderr: true,
      pacing: 'fast',
      signal: stop.signal,
      output: { log: (l) => logs.push(l), stderr: () => {}, report: (l) => reports.push(l) },
      ...options,
    });
    peer.write(greeting);
    setup({ clock, peer, stop });
    let settled = false;
    // The outcome is kept (not awaited here) so a rejection is asserted below, not lost.
    const outcome = running.then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error }),
    );
    void outcome.finally(() => (settled = true));
    const start = clock.now();
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!settled && !clock.runNext()) await new Promise((resolve) => setImmediate(resolve));
    }
    return { ...(await outcome), logs, reports, elapsed: clock.now() - start };
  }

  it('a signal during the gather ends the run with exit 2 and one SIGTERM line, no REPORT (as chat)', async () => {
    const run = await gather('CONNECT 9600', ({ clock, stop }) => {
      clock.setTimer(500, () => stop.abort('SIGTERM'));
    });
    expect(run.error).toBeUndefined();
    expect(run.result?.exitCode).toBe(2);
    expect(run.logs.filter((line) => line === 'SIGTERM')).toHaveLength(1);
    // chat's handler re-enters terminate(), which exits at once: the partial line is not written.
    expect(run.reports).toEqual([]);
    expect(run.elapsed).toBe(500);
  });

  it('--telnet: IAC NOP every 100 ms does not restart the 1 s wait for the next byte', async () => {
    const run = await gather(
      'CONNECT 9600',
      ({ clock, peer }) => {
        let left = 300;
        const nop = () => {
          peer.write(new Uint8Array([0xff, 0xf1]));
          if (--left > 0) clock.setTimer(100, nop);
        };
        clock.setTimer(100, nop);
      },
      { telnet: true },
    );
    expect(run.result?.exitCode).toBe(0);
    expect(run.reports).toEqual(['chat:  Nov 14 22:13:20 CONNECT 9600']);
    expect(run.elapsed).toBe(1000);
  });

  it("keeps chat's 256-byte report_buffer (timestamp included) and logs alarm on the timeout", async () => {
    const tail = ' 115200/V42BIS/LAPM/COMPRESSION-V42BIS-ERRORCORRECTION' + 'x'.repeat(300);
    const run = await gather(`CONNECT${tail}`, () => {});
    expect(run.result?.exitCode).toBe(0);
    // Checked with /usr/sbin/chat 2.4.9: 256 bytes after `chat:  `.
    const line = `Nov 14 22:13:20 CONNECT${tail}`.slice(0, 256);
    expect(run.reports).toEqual([`chat:  ${line}`]);
    // The whole buffer filled: no byte was waited for, so no alarm.
    expect(run.logs).not.toContain('alarm');
    const short = await gather(
      'CONNECT 115200/V42BIS/LAPM/COMPRESSION-V42BIS-ERRORCORRECTION',
      () => {},
    );
    expect(short.reports).toEqual([
      'chat:  Nov 14 22:13:20 CONNECT 115200/V42BIS/LAPM/COMPRESSION-V42BIS-ERRORCORRECTION',
    ]);
    expect(short.logs.at(-1)).toBe('alarm');
    expect(short.elapsed).toBe(1000);
  });
});

describe('runChat: chat 2.4.9 details (checked with /usr/sbin/chat)', () => {
  it("a send-side timeout logs chat's alarm lines (once a second) before -- write timed out", async () => {
    const run = await chat(['TIMEOUT', '2', '', '\\d\\d\\d\\dAT'], {}, { pacing: 'chat' });
    expect(run.result.exitCode).toBe(1);
    expect(run.logs).toEqual([
      'timeout set to 2 seconds',
      'send (\\d\\d\\d\\dAT^M)',
      'alarm',
      'alarm',
      'alarm',
      ' -- write timed out',
      'Failed',
    ]);
    expect(run.elapsed).toBe(4010);
  });

  it('CLR_ABORT with a duplicated ABORT string clears only the first copy', async () => {
    const run = await chat(
      ['TIMEOUT', '1', 'ABORT', 'A', 'ABORT', 'B', 'ABORT', 'A', 'CLR_ABORT', 'A', 'x', ''],
      { greeting: 'A B A x' },
    );
    expect(run.logs.filter((line) => line.startsWith('clear abort'))).toEqual([
      'clear abort on (A)',
    ]);
    expect(run.result.exitCode).toBe(5);
    expect(run.result.abortString).toBe('A');
  });
});
