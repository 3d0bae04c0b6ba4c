// `serialport:PATH[@BAUD]` through the optional serialport 13.0.0 (an
// optionalDependency that npm ci installs, prebuilt bindings). A fake
// SerialPort shows how setCommSettings maps to the line; a socat pty pair
// is the cable for a real login. Under CI=true a missing package or socat
// fails these tests instead of skipping them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Port, parseChatArgs, parseScp, runChat, runScp } from '../../port/index.js';
import { systemClock } from '../runtime/index.js';
import { openSerial } from './serial.js';
import {
  SERIALPORT_PACKAGE,
  hangUpAware,
  loadSerialPort,
  openSerialPort,
  serialPortSettings,
  type SerialPortConstructor,
  type SerialPortLike,
} from './serialport.js';
import { openTransport } from './transports.js';

const inCi = process.env['CI'] === 'true';
const available = await loadSerialPort().then(
  () => true,
  () => false,
);
const hasSocat = spawnSync('sh', ['-c', 'command -v socat && command -v stty']).status === 0;
const quiet = { log: () => {}, stderr: () => {}, report: () => {} };

/** A stand-in for serialport's SerialPort that records what netrx asks of it. */
function fakeSerialPort(failOpens = new Set<number>()) {
  const made: FakeLine[] = [];
  class FakeLine implements SerialPortLike {
    isOpen = false;
    writableLength = 0;
    readonly written: string[] = [];
    readonly listeners = new Map<string, ((arg: never) => void)[]>();
    constructor(readonly options: Record<string, unknown>) {
      made.push(this);
    }
    open(callback: (error: Error | null) => void) {
      if (failOpens.has(made.indexOf(this))) {
        setImmediate(() => callback(new Error('Resource busy')));
        return;
      }
      this.isOpen = true;
      setImmediate(() => callback(null));
    }
    close(callback?: (error: Error | null) => void) {
      this.isOpen = false;
      setImmediate(() => callback?.(null));
    }
    write(data: Buffer) {
      this.written.push(data.toString('latin1'));
      return true;
    }
    update() {}
    set() {}
    pause() {}
    resume() {}
    on(event: string, listener: (arg: never) => void) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    emit(event: string, arg: unknown) {
      for (const listener of this.listeners.get(event) ?? []) listener(arg as never);
    }
    removeAllListeners() {
      this.listeners.clear();
      return this;
    }
  }
  const load = () => Promise.resolve({ SerialPort: FakeLine as unknown as SerialPortConstructor });
  return { made, load };
}

describe('serialport: the adapter', () => {
  it('opens 8N1 at the given speed with hupcl off (closing keeps DTR)', async () => {
    const { made, load } = fakeSerialPort();
    const port = new Port(await openSerialPort('/dev/ttyUSB0', { baud: 115200, load }), {
      clock: systemClock,
    });
    expect(made.map((line) => line.options)).toEqual([
      {
        path: '/dev/ttyUSB0',
        baudRate: 115200,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
        autoOpen: false,
        hupcl: false,
      },
    ]);
    port.close();
    expect(made[0]?.isOpen).toBe(false);
  });

  it('maps RASCOMMSETTINGS to data bits, parity and stop bits', () => {
    expect(serialPortSettings({ parity: 2, stopBits: 2, byteSize: 7 })).toEqual({
      dataBits: 7,
      parity: 'even',
      stopBits: 2,
    });
    expect(serialPortSettings({ parity: 3, stopBits: 1, byteSize: 5 })).toEqual({
      dataBits: 5,
      parity: 'mark',
      stopBits: 1.5,
    });
    expect(serialPortSettings({ parity: 4, stopBits: 0, byteSize: 8 }).parity).toBe('space');
  });

  it('setCommSettings (a .scp `set port`) reopens the line with them; writes meanwhile go out after', async () => {
    const { made, load } = fakeSerialPort();
    const transport = await openSerialPort('/dev/ttyS1', { baud: 2400, load });
    const port = new Port(transport, { clock: systemClock });
    const parsed = parseScp(
      'proc main\n  set port databits 7\n  set port parity even\n  transmit "ATZ^M"\nendproc\n',
    );
    if (!parsed.ok) throw new Error('the script does not parse');
    const result = await runScp(port, parsed.program, { clock: systemClock });
    expect(result.outcome).toBe('done');
    await transport.settled();
    const last = made.at(-1);
    expect(last?.options).toMatchObject({
      path: '/dev/ttyS1',
      baudRate: 2400,
      dataBits: 7,
      parity: 'even',
      stopBits: 1,
      hupcl: false,
    });
    expect(last?.isOpen).toBe(true);
    expect(made.slice(0, -1).every((line) => !line.isOpen)).toBe(true);
    expect(made.flatMap((line) => line.written)).toEqual(['ATZ\r']);
    expect(last?.written).toEqual(['ATZ\r']);
    expect(transport.lineSettings).toMatchObject({ dataBits: 7, parity: 'even' });
    // The same settings again: no reopen.
    const lines = made.length;
    port.setCommSettings(port.commSettings);
    await transport.settled();
    expect(made.length).toBe(lines);
    port.close();
  });

  it('a line that cannot be opened again is a disconnect; writes held for it are dropped', async () => {
    const { made, load } = fakeSerialPort(new Set([1]));
    const transport = await openSerialPort('/dev/ttyS2', { load });
    const port = new Port(transport, { clock: systemClock });
    port.setCommSettings({ parity: 1, stopBits: 0, byteSize: 7 });
    port.send('ATZ\r');
    await transport.settled();
    expect(port.disconnectError?.code).toBe('ERROR_PORT_DISCONNECTED');
    expect(port.disconnectError?.message).toBe('Cannot open /dev/ttyS2: Resource busy');
    expect(made.flatMap((line) => line.written)).toEqual([]);
    port.close();
  });

  it('a read error or an unplugged device is a disconnect (619)', async () => {
    const { made, load } = fakeSerialPort();
    const port = new Port(await openSerialPort('/dev/ttyACM0', { load }), { clock: systemClock });
    made[0]?.emit('close', new Error('Port is disconnected'));
    expect(port.disconnectError?.code).toBe('ERROR_PORT_DISCONNECTED');
    expect(port.disconnectError?.message).toBe('Port is disconnected');
    port.close();
  });

  it('a read of 0 bytes is a hang-up, not a retry (serialport 13 retries at once, forever)', async () => {
    // A file at its end reads 0 bytes every time, as a hung-up tty does.
    const file = join(mkdtempSync(join(tmpdir(), 'netrx-serialport-')), 'eof');
    writeFileSync(file, '');
    const fd = openSync(file, 'r');
    let retries = 0;
    const spinning = {
      fd,
      isOpen: true,
      poller: { once: () => undefined },
      read: async () => {
        retries++;
        return Promise.reject(new Error('the original read must not be called'));
      },
    };
    const binding = hangUpAware({ open: () => Promise.resolve(spinning) });
    const port = await binding.open({});
    const failed = await port.read(Buffer.alloc(16), 0, 16).then(
      () => undefined,
      (error: unknown) => error as Error & { disconnect?: boolean },
    );
    closeSync(fd);
    expect(failed?.message).toBe('The line hung up');
    expect(failed?.disconnect).toBe(true);
    expect(retries).toBe(0);
  });

  it('without the package: ERR_PORT_SERIAL_UNAVAILABLE, naming what to install', async () => {
    const missing = () => Promise.reject(new Error(`Cannot find package '${SERIALPORT_PACKAGE}'`));
    const error = await openSerialPort('/dev/ttyS0', { load: missing }).then(
      () => undefined,
      (thrown: unknown) => thrown as { code?: string; message?: string },
    );
    expect(error?.code).toBe('ERR_PORT_SERIAL_UNAVAILABLE');
    expect(error?.message).toContain('npm install serialport@13.0.0');
  });
});

const socats: ChildProcess[] = [];
afterEach(() => {
  for (const socat of socats.splice(0)) if (socat.exitCode === null) socat.kill('SIGTERM');
});
let cables = 0;
/** A socat pty pair (a null-modem cable): /tmp/ports-many-aN and -bN. */
async function cable(): Promise<{ a: string; b: string; socat: ChildProcess }> {
  const n = `${process.pid}-${cables++}`;
  const a = `/tmp/ports-many-a${n}`;
  const b = `/tmp/ports-many-b${n}`;
  for (const link of [a, b]) rmSync(link, { force: true });
  const socat = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  socats.push(socat);
  // Ready once socat has set both ptys up (its `raw` settings would otherwise land after
  // serialport's open and leave VMIN 0, on which serialport 13 reads 0 bytes in a loop).
  await new Promise<void>((resolve, reject) => {
    let said = '';
    socat.stderr?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('starting data transfer loop')) resolve();
    });
    socat.once('exit', () => reject(new Error(`socat exited: ${said}`)));
  });
  expect(existsSync(a) && existsSync(b)).toBe(true);
  return { a, b, socat };
}

describe.skipIf(!(available && hasSocat) && !inCi)(
  `serialport: over a socat pty pair (${SERIALPORT_PACKAGE} 13.0.0)`,
  () => {
    it('logs in across the cable; a setting change reopens the line and the dialogue goes on', async () => {
      const { a, b } = await cable();
      const device = new Port(openSerial(b), { clock: systemClock, name: 'device' });
      const host = new Port(await openTransport(`serialport:${a}@19200`), {
        clock: systemClock,
        name: 'host',
      });
      const dialogue = (async () => {
        device.send('login: ');
        await device.expect(['ppp\r'], { timeoutMs: 5000 });
        device.send('Password: ');
        await device.expect(['hello2u2\r'], { timeoutMs: 5000 });
        device.send('$ ');
        await device.expect(['stty\r'], { timeoutMs: 5000 });
        device.send('ok\r\n$ ');
      })();
      const login = parseChatArgs(['ogin:', 'ppp', 'ssword:', 'hello2u2', '$ ', '']);
      const options = {
        clock: systemClock,
        pacing: 'fast',
        timeoutSeconds: 5,
        output: quiet,
      } as const;
      expect((await runChat(host, login, options)).exitCode).toBe(0);
      // Two stop bits: the line is closed and opened again 8N2 at the same speed.
      host.setCommSettings({ parity: 0, stopBits: 2, byteSize: 8 });
      const after = await runChat(host, parseChatArgs(['', 'stty', 'ok', '']), options);
      expect(after.exitCode).toBe(0);
      await dialogue;
      const settings = spawnSync('stty', ['-F', a, '-a'], { encoding: 'utf8' }).stdout;
      expect(settings).toMatch(/speed 19200 baud/);
      expect(settings).toMatch(/(^|\s)cstopb\b/);
      host.close();
      device.close();
    });

    it('the other end going away is a disconnect', async () => {
      const { a, socat } = await cable();
      const port = new Port(await openSerialPort(a), { clock: systemClock });
      const ended = (async () => {
        for await (const chunk of port) void chunk;
        return port.disconnectError?.code;
      })();
      socat.kill('SIGTERM');
      expect(await ended).toBe('ERROR_PORT_DISCONNECTED');
      port.close();
    });
  },
);
