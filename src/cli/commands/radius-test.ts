/** `netrx radius test`: one EAP authentication through a RADIUS server with the netrx peer. */
import { runRadiusEapTest } from '../../node/radius/index.js';
import { integer, required } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { certsDir, peerMethod } from './radius-methods.js';
import { endpoint, list, methodNames, user } from './radius-args.js';

export const radiusTestCommand: CliCommand = {
  path: ['radius', 'test'],
  summary:
    'one EAP authentication through a RADIUS server with the netrx peer; prints SUCCESS or FAILURE',
  usage:
    'radius test --server HOST:PORT [--server HOST:PORT ...] (--secret SECRET | --radsec) --method md5|mschapv2|peap|ttls-pap|ttls-mschapv2|tls --user NAME:PASSWORD [--certs DIR [--server-name NAME]] [--anonymous NAME] [--status-server] [--timeout MS] [--retries N]',
  options: {
    server: { type: 'string', multiple: true },
    secret: { type: 'string' },
    method: { type: 'string' },
    user: { type: 'string' },
    certs: { type: 'string' },
    'server-name': { type: 'string' },
    anonymous: { type: 'string' },
    timeout: { type: 'string' },
    retries: { type: 'string' },
    radsec: { type: 'boolean' },
    'status-server': { type: 'boolean' },
  },
  async run(values, _positionals, io) {
    const servers = list(values['server']).map(endpoint);
    if (servers.length === 0) throw new UsageError('missing --server');
    const overTls = values['radsec'] === true;
    const secret =
      overTls && values['secret'] === undefined ? 'radsec' : required('--secret', values['secret']);
    const names = methodNames('--method', required('--method', values['method']));
    const { name, password } = user(required('--user', values['user']));
    const timeoutMs =
      values['timeout'] === undefined ? 2000 : integer('--timeout', values['timeout'], 1, 600_000);
    const retries =
      values['retries'] === undefined ? 2 : integer('--retries', values['retries'], 0, 100);
    const certs = certsDir(typeof values['certs'] === 'string' ? values['certs'] : undefined);
    const serverName =
      typeof values['server-name'] === 'string' ? values['server-name'] : undefined;
    // PEAP: the outer identity is anonymous (User-Name too); the user's name goes inside the tunnel.
    const tunnelled = names.some((n) => n === 'peap' || n.startsWith('ttls-'));
    const anonymous =
      typeof values['anonymous'] === 'string'
        ? values['anonymous']
        : tunnelled
          ? 'anonymous'
          : name;
    const methods = names.map((n) => peerMethod(n, certs, { serverName, innerIdentity: name }));
    if (overTls && certs === undefined) throw new UsageError('--radsec needs --certs DIR');
    if (overTls && servers.length > 1)
      throw new UsageError('--radsec takes one --server (one TLS connection)');
    const radsec =
      overTls && certs !== undefined
        ? {
            ca: certs.read('ca.pem'),
            cert: certs.read('client.pem'),
            key: certs.read('client-key.pem'),
            ...(serverName === undefined ? {} : { serverName }),
            statusServer: values['status-server'] === true,
            watchdogMs: 0,
          }
        : undefined;
    // Ctrl-C/SIGTERM end the conversation (main.ts turns the signal into untilStopped).
    const stop = new AbortController();
    void io.untilStopped().then(() => stop.abort());
    let result;
    try {
      result = await runRadiusEapTest({
        signal: stop.signal,
        servers: servers.map((s) => ({ ...s, secret })),
        methods,
        identity: anonymous,
        password,
        timeoutMs,
        retries,
        ...(radsec === undefined ? {} : { radsec }),
      });
    } catch (error) {
      // RadSec: the TLS connection failed (refused certificate, wrong name, nothing listening).
      io.out(`FAILURE: ${(error as Error).message}`);
      return 1;
    }
    if (radsec?.statusServer === true) io.out('Status-Server answered');
    // The peer's own account (the TLS methods name the negotiated version: "(TLSv1.3)").
    if (result.eap !== undefined) io.out(`EAP ${result.eap.outcome}: ${result.eap.reason}`);
    const server =
      result.server === undefined ? '-' : `${result.server.address}:${result.server.port}`;
    io.out(
      `server ${server}, method ${result.eap?.method ?? '-'}, ${result.requests} Access-Requests`,
    );
    if (result.keysMatch !== undefined) {
      io.out(result.keysMatch ? 'MPPE keys match' : 'MPPE keys mismatch');
    }
    if (result.keyNameMatch !== undefined) {
      io.out(result.keyNameMatch ? 'EAP-Key-Name match' : 'EAP-Key-Name mismatch');
    }
    if (result.outcome === 'success' && result.keysMatch !== false) {
      io.out('SUCCESS');
      return 0;
    }
    io.out(`FAILURE: ${result.outcome === 'success' ? 'MPPE keys mismatch' : result.reason}`);
    return 1;
  },
};
