import { open as openFile, type FileHandle } from 'node:fs/promises';
import { connectLrecTcp } from '../../node/capture/index.js';
import { parseEventBuffer } from '../../wire/index.js';
import { required } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { errorLine } from '../files.js';
import { PacketEventPcapng, formatItem, type TailCounters } from './capture-format.js';

/** How long a stop waits for the outstanding receive before cutting the connection. */
const STOP_GRACE_MS = 2000;

export function parseRpcUrl(text: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`expected rpc://HOST:PORT, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'rpc:' || url.hostname === '' || url.port === '' || url.pathname !== '') {
    throw new UsageError(`expected rpc://HOST:PORT, got ${JSON.stringify(text)}`);
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
}

export const captureTailCommand: CliCommand = {
  path: ['capture', 'tail'],
  summary: 'opens a remote event session and prints its events live (netrx RPC client)',
  usage: 'capture tail rpc://HOST:PORT --session NAME [--pcapng FILE]',
  positionals: { min: 1, max: 1, names: 'rpc://HOST:PORT' },
  options: {
    session: { type: 'string' },
    pcapng: { type: 'string' },
  },
  async run(values, positionals, io) {
    const { host, port } = parseRpcUrl(positionals[0] ?? '');
    const name = required('--session', values['session']);
    const pcapPath = typeof values['pcapng'] === 'string' ? values['pcapng'] : undefined;
    let file: FileHandle | undefined;
    const pcap = new PacketEventPcapng();
    try {
      if (pcapPath !== undefined) {
        file = await openFile(pcapPath, 'w');
        await file.write(pcap.start());
      }
      const client = await connectLrecTcp({ host, port });
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
