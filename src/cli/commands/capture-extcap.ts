/**
 * `netrx capture extcap`: Wireshark's extcap interface in front of the
 * netrx capture client, so Wireshark and tshark capture live from a remote
 * `netrx capture serve` host with no plugin: one launcher file in the
 * extcap folder (`--install DIR` writes it; scripts/extcap/netrx-extcap is
 * the same for a checkout) makes the interface `netrx` appear.
 *
 * The capture call writes the section header and interface block into the
 * fifo at once, then connects (rpc://, or ws:// / wss:// with the bearer
 * token and a CA file), opens the session, and writes an Enhanced Packet
 * Block per packet event as each EVENT_BUFFER arrives (one write per
 * receive, nothing held back), with an Interface Statistics Block whenever
 * the counters changed, at most one a second (a timer writes a held one
 * when no buffer follows), and one at the end. tshark and Wireshark stop a
 * capture by killing the extcap or closing the fifo, so the closing ISB
 * often never lands: the periodic ones carry the last counts. An
 * EVENT_BUFFER that does not decode is dropped, counted (ISB comment, the
 * debug log) and the capture goes on.
 *
 * stderr is for failures only: Wireshark shows anything an extcap writes
 * there as an error dialog. One exception, which deserves that dialog: a
 * capture whose session delivers events but no packet (no packet-capture
 * provider) says so once, on stderr and in an ISB comment, after 100 such
 * events or at its end, instead of showing "0 packets" unexplained. Loss and other anomalies go into the file the
 * Wireshark way (isb_ifdrop, epb_dropcount, ISB comments) and, with
 * `--debug-file PATH` (Wireshark's extcap debug option), into that log.
 * It ends cleanly, closing the session handle, on SIGINT/SIGTERM
 * (Wireshark's stop) or when the fifo's reader is gone (EPIPE); a failure is
 * one line on stderr and exit code 1, which Wireshark shows.
 */
import { appendFileSync } from 'node:fs';
import { chmod, mkdir, open as openFile, writeFile, type FileHandle } from 'node:fs/promises';
import type { Clock, Timer } from '../../runtime/index.js';
import { systemClock } from '../../node/runtime/index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEventBuffer } from '../../wire/index.js';
import { UsageError, type CliCommand, type CliIo } from '../command.js';
import { errorLine } from '../files.js';
import { packageVersion } from '../version.js';
import {
  EXTCAP_INTERFACE,
  ExtcapPcapngStream,
  extcapConfig,
  extcapDlts,
  extcapInterfaces,
  launcherScript,
} from './capture-extcap-format.js';
import { parseCaptureFilter, type FrameFilter } from './capture-extcap-filter.js';
import { connectTail, parseRpcUrl, parseWsUrl, type TailClient } from './capture-tail.js';

/** How long a stop waits for the outstanding receive before cutting the connection (a rundown). */
const STOP_GRACE_MS = 500;
/** Malformed EVENT_BUFFERs described one by one in the debug log; later ones are only counted. */
const BAD_BUFFER_LINES = 10;
export const LAUNCHER_NAME = 'netrx-extcap';

/** dist/cli/main.js, also when this module runs from src/ (tests). */
function mainScript(): string {
  const beside = fileURLToPath(new URL('../main.js', import.meta.url));
  return existsSync(beside)
    ? beside
    : fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));
}

function helpUrl(): string {
  return new URL('../../../docs/capture.md', import.meta.url).href;
}

function checkInterface(value: string | boolean | undefined): void {
  if (value !== EXTCAP_INTERFACE) {
    throw new UsageError(
      value === undefined
        ? `missing --extcap-interface ${EXTCAP_INTERFACE}`
        : `--extcap-interface: no interface ${JSON.stringify(value)} (this extcap has ${EXTCAP_INTERFACE})`,
    );
  }
}

export const captureExtcapCommand: CliCommand = {
  path: ['capture', 'extcap'],
  summary: 'Wireshark extcap: tshark -i netrx / Wireshark capture live from a netrx capture server',
  usage:
    'capture extcap (--extcap-interfaces | --extcap-dlts --extcap-interface netrx | --extcap-config --extcap-interface netrx | --capture --extcap-interface netrx --fifo PATH --server (rpc|ws|wss)://HOST:PORT --session NAME [--token T] [--ca FILE] [--servername NAME] | --install DIR)',
  options: {
    'extcap-interfaces': { type: 'boolean' },
    'extcap-version': { type: 'string' },
    'extcap-dlts': { type: 'boolean' },
    'extcap-config': { type: 'boolean' },
    'extcap-interface': { type: 'string' },
    'extcap-capture-filter': { type: 'string' },
    'extcap-reload-option': { type: 'string' },
    capture: { type: 'boolean' },
    fifo: { type: 'string' },
    debug: { type: 'boolean' },
    'debug-file': { type: 'string' },
    server: { type: 'string' },
    session: { type: 'string' },
    token: { type: 'string' },
    ca: { type: 'string' },
    servername: { type: 'string' },
    install: { type: 'string' },
  },
  async run(values, _positionals, io) {
    if (typeof values['install'] === 'string') {
      const dir = values['install'];
      // Wireshark's personal extcap folder often does not exist until something is put there.
      const created = await mkdir(dir, { recursive: true });
      if (created !== undefined) io.out(`created ${dir}`);
      const path = join(dir, LAUNCHER_NAME);
      await writeFile(path, launcherScript(process.execPath, mainScript()));
      await chmod(path, 0o755);
      io.out(`wrote ${path}: Wireshark and tshark now list the interface ${EXTCAP_INTERFACE}`);
      return 0;
    }
    if (values['extcap-interfaces'] === true) {
      for (const line of extcapInterfaces(packageVersion(), helpUrl())) io.out(line);
      return 0;
    }
    if (values['extcap-dlts'] === true) {
      checkInterface(values['extcap-interface']);
      for (const line of extcapDlts()) io.out(line);
      return 0;
    }
    if (values['extcap-config'] === true) {
      checkInterface(values['extcap-interface']);
      for (const line of extcapConfig()) io.out(line);
      return 0;
    }
    checkInterface(values['extcap-interface']);
    const filterText = values['extcap-capture-filter'];
    const filter = parseCaptureFilter(typeof filterText === 'string' ? filterText : '');
    // Also how Wireshark validates a filter (a call without --capture): non-zero = invalid.
    if (!filter.ok) throw new UsageError(`--extcap-capture-filter: ${filter.reason}`);
    if (values['capture'] !== true) return 0; // a filter validation call: the filter is valid
    const fifo = values['fifo'];
    if (typeof fifo !== 'string' || fifo === '') throw new UsageError('missing --fifo PATH');
    const server = typeof values['server'] === 'string' ? values['server'] : '';
    if (server === '') throw new UsageError('missing --server rpc://HOST:PORT');
    // Checked before connecting, so a bad URL is a usage error.
    if (parseWsUrl(server) === undefined) {
      parseRpcUrl(server);
      // rpc:// has no authentication yet: a token given for it would protect nothing.
      const wsOnly = ['token', 'ca', 'servername'].find(
        (flag) => typeof values[flag] === 'string' && values[flag] !== '',
      );
      if (wsOnly !== undefined) {
        throw new UsageError(
          `--${wsOnly} is for ws:// and wss:// servers (rpc:// has no TLS or token)`,
        );
      }
    }
    const session = values['session'];
    if (typeof session !== 'string' || session === '') throw new UsageError('missing --session');
    // Wireshark passes an option left empty in its dialog as "": treat it as absent.
    const connectValues = Object.fromEntries(
      Object.entries(values).filter(([, v]) => v !== ''),
    ) as Record<string, string | boolean | undefined>;
    const debugFile = values['debug-file'];
    return runExtcapCapture(
      {
        fifo,
        server,
        session,
        ...(typeof debugFile === 'string' && debugFile !== '' ? { log: debugLog(debugFile) } : {}),
        filter: filter.filter,
        filtering: typeof filterText === 'string' && filterText.trim() !== '',
        connect: () => connectTail(server, connectValues),
      },
      io,
    );
  },
};

/** Lines appended to Wireshark's extcap debug file; a log that cannot be written is not a failure. */
function debugLog(path: string): (line: string) => void {
  return (line) => {
    try {
      appendFileSync(path, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // The capture matters more than its log.
    }
  };
}

/**
 * The capture call: `connect` is the transport (a test passes its own);
 * `log` the debug log (default: none); `clock` times the ISBs.
 * @internal exported for tests
 */
export async function runExtcapCapture(
  options: {
    fifo: string;
    server: string;
    session: string;
    filter: FrameFilter;
    filtering: boolean;
    connect: () => Promise<TailClient>;
    log?: (line: string) => void;
    clock?: Clock;
  },
  io: CliIo,
): Promise<number> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => undefined);
  let stopping = false;
  let client: TailClient | undefined;
  void io.untilStopped().then(() => {
    stopping = true;
    // The outstanding receive may wait on an idle session: cut it (the server runs the handle down).
    setTimeout(() => client?.end(), STOP_GRACE_MS).unref();
  });
  let fifo: FileHandle | undefined;
  let readerGone = false;
  // The one line on stderr that is not a failure: why a capture shows 0 packets.
  let hinted = false;
  const hint = (final: boolean) => {
    const text = hinted ? undefined : stream.noPacketHint(final);
    if (text === undefined) return;
    hinted = true;
    io.err(`netrx capture extcap: ${text}`);
    log(text);
  };
  const stream = new ExtcapPcapngStream(
    `netrx remote capture: session ${JSON.stringify(options.session)} at ${options.server}`,
    options.filter,
    () => BigInt(Math.round(clock.now())) * 1_000_000n,
    options.filtering,
  );
  // Writes go one after another (the loop's and the ISB timer's), never interleaved.
  let writing: Promise<void> = Promise.resolve();
  const write = (blocks: Uint8Array[]): Promise<void> => {
    const next = writing.then(async () => {
      if (readerGone || blocks.length === 0) return;
      try {
        await fifo?.writev(blocks);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'EPIPE') throw error;
        readerGone = true; // Wireshark or tshark stopped reading: the capture is over
      }
    });
    writing = next.catch(() => undefined);
    return next;
  };
  // An ISB held by the once-a-second limit goes out when due, whether or not a buffer follows.
  let isbTimer: Timer | undefined;
  let timerFailure: Error | undefined;
  const scheduleStatistics = () => {
    if (isbTimer !== undefined) return;
    const due = stream.statisticsDueInMs();
    if (due === undefined) return;
    isbTimer = clock.setTimer(due, () => {
      isbTimer = undefined;
      write(stream.statisticsIfDue()).catch((error: unknown) => {
        timerFailure ??= error instanceof Error ? error : new Error(errorLine(error));
      });
      scheduleStatistics();
    });
  };
  try {
    // The fifo first (opening it waits for its reader, dumpcap): a failure to
    // connect or open then closes a fifo that has its header, so dumpcap sees
    // the end and Wireshark shows our stderr, instead of waiting for a writer.
    fifo = await openFile(options.fifo, 'w');
    await write(stream.start());
    client = await options.connect();
    const handle = await client.open(options.session);
    let failure: unknown;
    while (!stopping && !readerGone) {
      let buffer: Uint8Array;
      try {
        buffer = await client.receive(handle);
      } catch (error) {
        if (!stopping) failure = error;
        break;
      }
      const items = parseEventBuffer(buffer);
      if (!items.ok) {
        // Untrusted input: one bad buffer is a counted drop, not the end of the capture.
        if (stream.counters.badBuffers < BAD_BUFFER_LINES)
          log(
            `dropped a malformed EVENT_BUFFER of ${buffer.length} bytes ` +
              `(${items.failure.code} at ${items.failure.offset ?? 0}: ${items.failure.message})`,
          );
        await write(stream.badBuffer());
      } else await write(stream.buffer(items.value));
      hint(false);
      scheduleStatistics();
      if (timerFailure !== undefined) throw timerFailure;
    }
    isbTimer?.cancel();
    isbTimer = undefined;
    if (failure === undefined) {
      await client.close(handle).catch(() => undefined);
      client.end();
    } else client.end();
    await write(stream.finish());
    await fifo.close().catch(() => undefined);
    // Not stderr: Wireshark shows any stderr as an error dialog. The file's
    // ISBs carry the same counts; the debug log the whole line.
    if (stream.anomalies()) log(stream.summary());
    if (failure === undefined) hint(true);
    if (failure !== undefined) {
      io.err(`netrx capture extcap: ${errorLine(failure)}`);
      return 1;
    }
    return 0;
  } catch (error) {
    isbTimer?.cancel();
    client?.end();
    await fifo?.close().catch(() => undefined);
    io.err(`netrx capture extcap: ${errorLine(error)}`);
    return 1;
  }
}
