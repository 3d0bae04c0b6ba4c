import { createServer, type Server, type Socket } from 'node:net';

/**
 * The fixture servers the chat compatibility suite talks to (the research
 * file's server.sh modes, in-process): each connection runs one mode's
 * dialogue. Lines from the client end with CR (chat sends CR).
 *
 * Every mode holds the line until the client goes, and the modes that hang up
 * (the case under test) time it from the client's last send: in the pty runs
 * socat connects before the program starts, and node under load can take
 * seconds to start, so a timer from the connection ran out before netrx read
 * a byte (the pty then hung up with the greeting unread).
 */
export type FixtureMode =
  | 'ok'
  | 'busy'
  | 'silent'
  | 'hangup'
  | 'hangup-late'
  | 'eightbit'
  | 'modem'
  | 'longline'
  | 'noise'
  | 'report'
  | 'slowlogin'
  | 'ipaddr';

export interface Fixture {
  readonly port: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads CR-terminated lines from a socket (LF ignored), one at a time. */
class LineReader {
  private buffer = '';
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    const at = this.buffer.indexOf('\r');
    if (at >= 0) {
      const line = this.buffer.slice(0, at).replace(/\n/g, '');
      this.buffer = this.buffer.slice(at + 1);
      this.waiting = undefined;
      waiting(line);
    } else if (this.ended) {
      this.waiting = undefined;
      waiting(undefined);
    }
  }

  /** Resolves when the client has gone (its script ended, or its pty bridge did). */
  closed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ended) resolve();
      else this.socket.once('close', () => resolve());
    });
  }

  line(): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.wake();
    });
  }
}

async function dialogue(mode: FixtureMode, socket: Socket): Promise<void> {
  const reader = new LineReader(socket);
  const send = (text: string) => {
    if (!socket.destroyed) socket.write(Buffer.from(text, 'latin1'));
  };
  switch (mode) {
    case 'ok':
    case 'slowlogin': {
      // Nothing until the client pokes it: the CR its `ogin:--ogin:` sends after
      // TIMEOUT 1 (an event, not a head start the client might not get under load).
      if (mode === 'slowlogin') await reader.line();
      send('Welcome to testhost\r\nlogin: ');
      const user = await reader.line();
      send('\r\nPassword: ');
      const password = await reader.line();
      if (user === 'ppp' && password === 'hello2u2') {
        send('\r\nLogged in. Starting PPP...\r\n$ ');
        await reader.line();
        send('\r\nbye\r\n');
      } else {
        send('\r\nLogin incorrect\r\n');
      }
      await reader.closed();
      break;
    }
    case 'busy':
      send('ATZ\r\r\nOK\r\n');
      await reader.line();
      send('\r\nBUSY\r\n');
      await reader.closed();
      break;
    case 'silent':
      // Until the client goes, so the script's timeouts, not a hang-up, end it.
      await reader.closed();
      break;
    case 'hangup':
      // The research fixture hung up 0.3 s after connecting; this one hangs up
      // 0.8 s after the login send has come in, so that send always goes out
      // (a timer from the connection raced a client slowed by load).
      send('login: ');
      await reader.line();
      await sleep(800);
      break;
    case 'hangup-late':
      // Time for a slow-starting client (node under load) before the line drops.
      send('login: ');
      await reader.line();
      await sleep(2500);
      break;
    case 'eightbit':
      send('\xc1\xc2 done\r\n');
      await reader.closed();
      break;
    case 'modem':
      // A Hayes modem: AT → OK, ATD… → CONNECT, anything else → ERROR.
      for (;;) {
        const line = await reader.line();
        if (line === undefined) return;
        const command = line.trim().toUpperCase();
        if (command.startsWith('ATD')) send(`${line}\r\r\nCONNECT 115200\r\n`);
        else if (command.startsWith('AT')) send(`${line}\r\r\nOK\r\n`);
        else send(`${line}\r\r\nERROR\r\n`);
      }
    case 'longline':
      send(`${'x'.repeat(1500)}${'y'.repeat(700)}\r\nEND\r\n`);
      await reader.closed();
      break;
    case 'noise':
      send('a\tb\x01c\x7fd\r\n\r\n\nline two\r\n$ ');
      await reader.closed();
      break;
    case 'report':
      send('RING\r\nCONNECT 9600/ARQ\r\nlogin: ');
      await reader.closed();
      break;
    case 'ipaddr':
      // A SLIP/PPP server announcing addresses (the .scp suite's getip), in two
      // writes that split the second address.
      send('Annex: slip\r\nYour address is 10.0.0.');
      await sleep(50);
      send('7, gateway 10.0.0.1.\r\nAnnex: ');
      await reader.line();
      send('\r\nbye\r\n');
      await reader.closed();
      break;
  }
}

/** Starts a fixture server on 127.0.0.1 with an ephemeral port. */
export async function startFixture(mode: FixtureMode): Promise<Fixture> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    void dialogue(mode, socket).finally(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
