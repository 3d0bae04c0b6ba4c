import {
  SYNTHETIC_PROVIDER_NAME,
  SessionTable,
  startSyntheticProvider,
} from '../../capture/index.js';
import { startLrecTcpServer } from '../../node/capture/index.js';
import { queueLimits } from '../../node/host/capture-service.js';
import { systemClock } from '../../node/runtime/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { integer, required } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { errorLine } from '../files.js';

// One sizing rule for `--queue-events` and the host's `capture.sessions[].queueEvents`.
export { queueLimits };

export const captureServeCommand: CliCommand = {
  path: ['capture', 'serve'],
  summary: 'an MS-LREC event session served over DCE/RPC (ncacn_ip_tcp) on loopback',
  usage:
    'capture serve --session NAME --rpc-port PORT [--insecure-no-auth] [--synthetic EVENTS_PER_SECOND] [--synthetic-count N] [--queue-events N] [--timer-ms MS]',
  options: {
    session: { type: 'string' },
    'rpc-port': { type: 'string' },
    'insecure-no-auth': { type: 'boolean' },
    synthetic: { type: 'string' },
    'synthetic-count': { type: 'string' },
    'queue-events': { type: 'string' },
    'timer-ms': { type: 'string' },
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

    const clock = systemClock;
    const registry = new TraceRegistry({ clock });
    const table = new SessionTable({ registry, clock });
    const session = table.createSession({
      name,
      // Without --synthetic the session listens to every provider of this process.
      providers: [{ provider: rate === undefined ? '*' : SYNTHETIC_PROVIDER_NAME, level: 0 }],
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
    try {
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
      io.err(`netrx capture serve: ${errorLine(error)}`);
      return 1;
    }
    io.out(`listening on rpc://127.0.0.1:${server.port} session ${JSON.stringify(name)}`);
    io.out('ready');
    await io.untilStopped();
    synthetic?.stop();
    session.stop();
    await server.close();
    return 0;
  },
};
