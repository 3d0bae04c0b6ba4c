// `netrx chat` on a terminal that hangs up: a pty (through @lydell/node-pty
// 1.1.0, the optionalDependency `pty:` ports use) is the program's controlling
// terminal and its stdin/stdout, as for chat run by pppd or from a shell, and
// the test closes the master side while netrx waits. Node 20 writes the
// terminal's settings back as it exits and aborts (SIGABRT in
// `node::ResetStdio()`) when that fails with EIO; netrx must exit 2 instead,
// with chat's words for the hang-up. Every wait is for an event (a line on
// the terminal, the process's exit); the budgets only bound a hung run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodePty, PTY_PACKAGE, type NodePtyModule } from '../../src/node/port/index.js';
import { ensureBuilt, root } from './support/processes.js';

const main = join(root, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'pty-chat-hangup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nodePty: NodePtyModule | undefined = await loadNodePty().catch(() => undefined);
const inCi = process.env['CI'] === 'true';

beforeAll(() => {
  expect(ensureBuilt()).toBe(0);
}, 120_000);

interface Terminal {
  /** Resolves once the program has written `text` to the terminal (everything it wrote so far). */
  shows(text: string): Promise<string>;
  write(text: string): void;
  /** Closes the master side, as a terminal window closing or a modem dropping the line does. */
  hangUp(): void;
  readonly exited: Promise<{ exitCode: number; signal: number }>;
}

function onTerminal(pty: NodePtyModule, file: string, args: string[]): Terminal {
  const child = pty.spawn(file, args, {
    name: 'dumb',
    cols: 80,
    rows: 24,
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    encoding: null,
  });
  let screen = '';
  const watchers: { text: string; resolve: (screen: string) => void }[] = [];
  child.onData((data) => {
    screen += typeof data === 'string' ? data : data.toString('latin1');
    for (const watcher of watchers.splice(0)) {
      if (screen.includes(watcher.text)) watcher.resolve(screen);
      else watchers.push(watcher);
    }
  });
  const exited = new Promise<{ exitCode: number; signal: number }>((resolve) =>
    child.onExit(({ exitCode, signal }) => resolve({ exitCode, signal: signal ?? 0 })),
  );
  return {
    shows: (text) =>
      screen.includes(text)
        ? Promise.resolve(screen)
        : new Promise((resolve) => watchers.push({ text, resolve })),
    write: (text) => child.write(text),
    // node-pty's destroy() closes the master fd (then sends the SIGHUP a terminal would).
    hangUp: () => (child as unknown as { destroy(): void }).destroy(),
    exited,
  };
}

const SCRIPT = ['-v', '-s', '-S', '-t', '60', 'ogin:', 'ppp', 'ssword:', 'x'];

describe.skipIf(nodePty === undefined && !inCi)(
  `netrx chat on a terminal that hangs up (${PTY_PACKAGE} 1.1.0)`,
  () => {
    it(
      'all of its stdio on the terminal: exit 2, no abort at exit',
      { timeout: 90_000 },
      async () => {
        const terminal = onTerminal(nodePty!, process.execPath, [main, 'chat', ...SCRIPT]);
        terminal.write('login: ');
        // Its transcript (-s) is on the terminal too: it waits for the password prompt.
        await terminal.shows('expect (ssword:)');
        terminal.hangUp();
        // Before the fix: { exitCode: 0, signal: 6 } (Node's assertion in ResetStdio).
        expect(await terminal.exited).toEqual({ exitCode: 2, signal: 0 });
      },
    );

    it(
      "stdin and stdout on the terminal, stderr a file: exit 2 and chat's words",
      { timeout: 90_000 },
      async () => {
        const log = join(dir, 'stderr.txt');
        const command = `exec ${process.execPath} ${main} chat ${SCRIPT.join(' ')} 2>${log}`;
        const terminal = onTerminal(nodePty!, 'sh', ['-c', command]);
        terminal.write('login: ');
        // Its send on the terminal: it now waits for the password prompt.
        await terminal.shows('ppp\r');
        terminal.hangUp();
        const exited = await terminal.exited;
        // The hang-up is both a SIGHUP (the controlling terminal) and an end of
        // input; chat reports whichever it handles first, as netrx does; the
        // failed restore is chat's fatal line at exit. Rarely (first seen in a fresh-clone
        // run, session 33) the end of input wins, netrx exits 2, and the SIGHUP lands
        // during Node's teardown, after libuv gave the signal back to its default:
        // the process ends by SIGHUP (Node cannot ignore a signal for its teardown),
        // as the third case below already allows. Its transcript is whole either way.
        const transcript =
          '^expect \\(ogin:\\)\nlogin:\n -- got it\n\nsend \\(ppp\\^M\\)\nexpect \\(ssword:\\)\n';
        if (exited.signal === 1) {
          expect(exited.exitCode).toBe(0);
          expect(readFileSync(log, 'latin1')).toMatch(new RegExp(transcript));
        } else {
          expect(exited).toEqual({ exitCode: 2, signal: 0 });
          expect(readFileSync(log, 'latin1')).toMatch(
            new RegExp(
              transcript +
                "(SIGHUP|Failed)\nCan't restore terminal parameters: Input/output error\n$",
            ),
          );
        }
      },
    );

    it(
      'a hang-up as the script ends (a timeout): exit 3 or 2 or SIGHUP, no abort',
      { timeout: 90_000 },
      async () => {
        const terminal = onTerminal(nodePty!, process.execPath, [
          main, 'chat', '-v', '-s', '-S', '-t', '1', 'never', '',
        ]); // prettier-ignore
        // The last line of the transcript: netrx is closing the port and exiting.
        await terminal.shows('Failed');
        terminal.hangUp();
        // The hang-up lands before the restore at close (2, chat's fatal exit) or
        // after it (3); or its SIGHUP lands after netrx stopped handling signals,
        // which ends the process as it ends any (1). Before the fix it most often
        // landed before Node's own restore: SIGABRT (6).
        const { exitCode, signal } = await terminal.exited;
        expect(signal === 0 ? `exit ${exitCode}` : `signal ${signal}`).toMatch(
          /^(exit [23]|signal 1)$/,
        );
      },
    );

    it(
      'a terminal that only holds its stdio (--port tcp:) hangs up: exit 2, no abort',
      { timeout: 90_000 },
      async () => {
        // A line that says nothing: netrx waits on it while its terminal goes.
        let connected!: () => void;
        const connection = new Promise<void>((resolve) => (connected = resolve));
        const sockets: Socket[] = [];
        const server: Server = createServer((socket) => {
          sockets.push(socket);
          connected();
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const { port } = server.address() as { port: number };
          const terminal = onTerminal(nodePty!, process.execPath, [
            main, 'chat', '-v', '-s', '-S', '-t', '60', '--port', `tcp:127.0.0.1:${port}`, 'ogin:', '',
          ]); // prettier-ignore
          await connection;
          await terminal.shows('expect (ogin:)');
          terminal.hangUp();
          // Its SIGHUP ends the script (chat's HANGUP ON): exit 2. Before the fix: SIGABRT.
          expect(await terminal.exited).toEqual({ exitCode: 2, signal: 0 });
        } finally {
          for (const socket of sockets) socket.destroy();
          await new Promise((resolve) => server.close(resolve));
        }
      },
    );
  },
);
