import { open as openFile, readFile, type FileHandle } from 'node:fs/promises';
import {
  CAPTURE_TOKEN_ENV,
  connectLrecTcp,
  connectLrecWs,
  isLoopbackAddress,
} from '../../node/capture/index.js';
import { parseEventBuffer } from '../../wire/index.js';
import { required } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { errorLine, fileErrorLine } from '../files.js';
import { PacketEventPcapng, formatItem, type TailCounters } from './capture-format.js';

/** How long a stop waits for the outstanding receive before cutting the connection. */
const STOP_GRACE_MS = 2000;

export function parseRpcUrl(text: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `expected rpc://HOST:PORT or wss://HOST:PORT, got ${JSON.stringify(text)}`,
    );
  }
  if (url.protocol !== 'rpc:' || url.hostname === '' || url.port === '' || url.pathname !== '') {
    throw new UsageError(`expected rpc://HOST:PORT, got ${JSON.stringify(text)}`);
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
}

/** A ws:// or wss:// capture URL; ws:// only to a loopback host (tokens do not go in clear). */
export function parseWsUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return undefined;
  if (url.hostname === '' || url.port === '' || url.search !== '' || url.hash !== '') {
    throw new UsageError(`expected ws://HOST:PORT or wss://HOST:PORT, got ${JSON.stringify(text)}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol === 'ws:' && !isLoopbackAddress(host)) {
    throw new UsageError(`ws:// is for loopback only: use wss://${url.host}`);
  }
  return url;
}

/** The calls tail and extcap make, over either transport (handles are opaque). */
export interface TailClient {
  open(name: string): Promise<unknown>;
  receive(handle: unknown): Promise<Uint8Array>;
  close(handle: unknown): Promise<void>;
  end(): void;
}

/** Connects to an rpc://, ws:// or wss:// capture server (--token, --ca, --servername for ws). */
export async function connectTail(
  target: string,
  values: Record<string, string | boolean | undefined>,
): Promise<TailClient> {
  const ws = parseWsUrl(target);
  if (ws === undefined) {
    const { host, port } = parseRpcUrl(target);
    return await connectLrecTcp({ host, port });
  }
  const token =
    typeof values['token'] === 'string'
      ? values['token']
      : process.env[CAPTURE_TOKEN_ENV] || undefined;
  let ca: Uint8Array | undefined;
  if (typeof values['ca'] === 'string') {
    try {
      ca = await readFile(values['ca']);
    } catch (error) {
      throw new Error(fileErrorLine(values['ca'], error), { cause: error });
    }
  }
  return await connectLrecWs({
    url: ws.href,
    ...(token === undefined ? {} : { token }),
    ...(ca === undefined ? {} : { ca }),
    ...(typeof values['servername'] === 'string' ? { servername: values['servername'] } : {}),
  });
}

export const captureTailCommand: CliCommand = {
  path: ['capture', 'tail'],
  summary:
    'opens a remote event session and prints its events live (netrx RPC or WebSocket client)',
  usage:
    'capture tail (rpc://HOST:PORT | ws://HOST:PORT | wss://HOST:PORT) --session NAME [--token TOKEN] [--ca FILE] [--servername NAME] [--pcapng FILE]',
  positionals: { min: 1, max: 1, names: 'rpc://HOST:PORT | wss://HOST:PORT' },
  options: {
    session: { type: 'string' },
    pcapng: { type: 'string' },
    token: { type: 'string' },
    ca: { type: 'string' },
    servername: { type: 'string' },
  },
  async run(values, positionals, io) {
    const target = positionals[0] ?? '';
    // Checked before connecting, so a bad URL is a usage error.
    if (parseWsUrl(target) === undefined) {
      parseRpcUrl(target);
      const wsOnly = ['token', 'ca', 'servername'].find((flag) => values[flag] !== undefined);
      if (wsOnly !== undefined) throw new UsageError(`--${wsOnly} is for ws:// and wss:// only`);
    }
    const name = required('--session', values['session']);
    const pcapPath = typeof values['pcapng'] === 'string' ? values['pcapng'] : undefined;
    let file: FileHandle | undefined;
    const pcap = new PacketEventPcapng();
    try {
      if (pcapPath !== undefined) {
        file = await openFile(pcapPath, 'w');
        await file.write(pcap.start());
      }
      const client = await connectTail(target, values);
      const handle = await client.open(name);
      const counters: TailCounters = { received: 0, lost: 0 };
      let stopping = false;
      void io.untilStopped().then(() => {
        stopping = true;
        // The outstanding receive may wait on an idle session: do not wait forever.
        setTimeout(() => client.end(), STOP_GRACE_MS).unref();
      });
      let failure: unknown;
      while (!stopping) {
        let buffer: Uint8Array;
        try {
          buffer = await client.receive(handle);
        } catch (error) {
          if (!stopping) failure = error;
          break;
        }
        const items = parseEventBuffer(buffer);
        if (!items.ok) {
          io.err(`netrx capture tail: a bad EVENT_BUFFER (${items.failure.message})`);
          continue;
        }
        const blocks: Uint8Array[] = [];
        for (const item of items.value) {
          io.out(formatItem(item, counters));
          if (file !== undefined) blocks.push(...pcap.blocks(item));
        }
        if (file !== undefined && blocks.length > 0) await file.writev(blocks);
      }
      if (failure === undefined) {
        await client.close(handle).catch(() => undefined);
        client.end();
      }
      await file?.close();
      io.err(
        `netrx capture tail: received ${counters.received}, lost ${counters.lost}` +
          (pcapPath === undefined ? '' : `, ${pcap.packets} packets written to ${pcapPath}`),
      );
      if (failure !== undefined) {
        io.err(`netrx capture tail: ${errorLine(failure)}`);
        return 1;
      }
      return 0;
    } catch (error) {
      await file?.close();
      io.err(`netrx capture tail: ${errorLine(error)}`);
      return 1;
    }
  },
};
