import {
  SYNTHETIC_PROVIDER_NAME,
  SessionTable,
  startSyntheticProvider,
  type SessionLimits,
} from '../../capture/index.js';
import { PACKET_CAPTURE_PROVIDER_NAME } from '../../link/index.js';
import { startLrecTcpServer } from '../../node/capture/index.js';
import { systemClock } from '../../node/runtime/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { integer, required } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { errorLine } from '../files.js';
import { parseLinkVxlan, startCaptureLinks } from './capture-serve-link.js';

/** Bytes one queued synthetic or packet event takes, as an estimate for --queue-events. */
const EVENT_ESTIMATE = 8 + 96 + 128 + 12;

/**
 * --queue-events N as session limits: up to 16 buffers of ceil(N / buffers)
 * events each (a buffer is also what one receive returns), sized for
 * 128-byte events; the queue holds N events rounded up to whole buffers.
 */
export function queueLimits(
  events: number,
): Pick<SessionLimits, 'maxBuffers' | 'eventsPerBuffer' | 'bufferBytes'> {
  const maxBuffers = Math.min(16, events);
  const eventsPerBuffer = Math.ceil(events / maxBuffers);
  const bufferBytes = Math.min(1 << 20, Math.max(4096, eventsPerBuffer * EVENT_ESTIMATE + 12));
  return { maxBuffers, eventsPerBuffer, bufferBytes };
}

export const captureServeCommand: CliCommand = {
  path: ['capture', 'serve'],
  summary: 'an MS-LREC event session served over DCE/RPC (ncacn_ip_tcp) on loopback',
  usage:
    'capture serve --session NAME --rpc-port PORT [--insecure-no-auth] [--synthetic EVENTS_PER_SECOND] [--synthetic-count N] [--queue-events N] [--timer-ms MS] [--link-vxlan SPEC]...',
  options: {
    session: { type: 'string' },
    'rpc-port': { type: 'string' },
    'insecure-no-auth': { type: 'boolean' },
    synthetic: { type: 'string' },
    'synthetic-count': { type: 'string' },
    'queue-events': { type: 'string' },
    'timer-ms': { type: 'string' },
    'link-vxlan': { type: 'string', multiple: true },
  },
  async run(values, _positionals, io) {
    const name = required('--session', values['session']);
    if (name.length > 1024) throw new UsageError('--session: at most 1024 characters');
    const port = integer('--rpc-port', values['rpc-port'], 0, 65535);
    if (values['insecure-no-auth'] !== true) {
      throw new UsageError(
        '--insecure-no-auth is required: authentication (NTLM) is not implemented yet, and unauthenticated capture is served on loopback only',
      );
    }
    const rate =
      values['synthetic'] === undefined
        ? undefined
        : integer('--synthetic', values['synthetic'], 0, 100_000_000);
    const count =
      values['synthetic-count'] === undefined
        ? undefined
        : integer('--synthetic-count', values['synthetic-count'], 0, Number.MAX_SAFE_INTEGER);
    if (count !== undefined && rate === undefined)
      throw new UsageError('--synthetic-count needs --synthetic');
    const queueEvents =
      values['queue-events'] === undefined
        ? undefined
        : integer('--queue-events', values['queue-events'], 1, 65_536);
    const timerMs =
      values['timer-ms'] === undefined
        ? undefined
        : integer('--timer-ms', values['timer-ms'], 100, 1000);

    // Hosts on VXLAN segments whose frames the session carries (packet-capture provider).
    const links = ((values['link-vxlan'] as unknown as string[] | undefined) ?? []).map(
      parseLinkVxlan,
    );

    const clock = systemClock;
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock });
    const session = table.createSession({
      name,
      // Without --synthetic the session listens to every provider of this process.
      providers: [
        { provider: rate === undefined ? '*' : SYNTHETIC_PROVIDER_NAME, level: 0 },
        // With --synthetic, the links' frames too.
        ...(rate !== undefined && links.length > 0
          ? [{ provider: PACKET_CAPTURE_PROVIDER_NAME, level: 0 }]
          : []),
      ],
      limits: {
        ...(queueEvents === undefined ? {} : queueLimits(queueEvents)),
        ...(timerMs === undefined ? {} : { timerMs }),
      },
    });
    session.start();
    // Starts emitting when the first client opens the session (the enable callback).
    const synthetic =
      rate === undefined
        ? undefined
        : startSyntheticProvider({
            registry,
            clock,
            eventsPerSecond: rate,
            startOnEnable: true,
            ...(count === undefined ? {} : { count }),
          });
    let server;
    let capturing: { stop(): Promise<void> } | undefined;
    try {
      capturing = links.length === 0 ? undefined : await startCaptureLinks(links, registry);
      server = await startLrecTcpServer({
        table,
        port,
        insecureNoAuth: true,
        // MS-LREC stops the session when a client's connection drops; a server
        // left running starts it again so the next client can open it.
        onConnectionClosed: () => {
          if (session.state === 'Stopped') session.start();
        },
      });
    } catch (error) {
      synthetic?.stop();
      await capturing?.stop();
      io.err(`netrx capture serve: ${errorLine(error)}`);
      return 1;
    }
    io.out(`listening on rpc://127.0.0.1:${server.port} session ${JSON.stringify(name)}`);
    io.out('ready');
    await io.untilStopped();
    synthetic?.stop();
    session.stop();
    await server.close();
    await capturing?.stop();
    return 0;
  },
};
