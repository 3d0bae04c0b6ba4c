// TLS 1.3 tickets of the server engines without resumption (docs/eap-tls13.md,
// issue 13): the factory's server sets SSL_OP_NO_TICKET, which under TLS 1.3
// makes OpenSSL's tickets stateful, not absent, so Node still sends two
// after every handshake (FreeRADIUS's stock eap module sends none). The
// documented recipe, OPENSSL_CONF with NumTickets = 0 (the text bench/eap's
// `netrx-nt0` server uses), sends none. OPENSSL_CONF is read when Node
// starts, so each case runs in its own Node process, over loopback TCP.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_TICKETS_OPENSSL_CONF } from '../../../bench/support/eap-variants.js';
import { certs } from '../../../test/interop/support/eap-tls-dialogue.js';

const dir = mkdtempSync(join(tmpdir(), 'eap-perf-tickets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'server.pem'), certs.server.certPem);
writeFileSync(join(dir, 'server-key.pem'), certs.server.keyPem);
writeFileSync(join(dir, 'ca.pem'), certs.ca.certPem);
const noTickets = join(dir, 'openssl-no-tickets.cnf');
writeFileSync(noTickets, NO_TICKETS_OPENSSL_CONF);

// The server answers the client's first byte and closes. Not at once on 'secureConnection':
// Node reports the handshake inside OpenSSL's callback, before the TLS 1.3 tickets are
// written, so an immediate end() would go out before them and none would be sent. By the
// time the server reads application data its tickets are out, so when the client reads the
// answer it has seen every ticket.
const script = `
import * as tls from 'node:tls';
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
const file = (name) => readFileSync(process.env.TICKETS_DIR + '/' + name);
const server = tls.createServer({
  cert: file('server.pem'), key: file('server-key.pem'),
  minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3',
  secureOptions: constants.SSL_OP_NO_TICKET, // as tls-engine-shared.ts without resumption
}, (socket) => socket.once('data', () => socket.end('x')));
server.listen(0, '127.0.0.1', () => {
  let tickets = 0;
  const client = tls.connect({
    port: server.address().port, host: '127.0.0.1', ca: file('ca.pem'), servername: 'radius.netrx.test',
  });
  client.on('session', () => tickets++);
  client.once('secureConnect', () => client.write('?'));
  client.once('data', () => {
    process.stdout.write(String(tickets));
    client.destroy();
    server.close();
  });
});
`;

function ticketsSent(opensslConf: string | undefined): string {
  const env: NodeJS.ProcessEnv = { ...process.env, TICKETS_DIR: dir };
  delete env['OPENSSL_CONF'];
  if (opensslConf !== undefined) env['OPENSSL_CONF'] = opensslConf;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env,
    timeout: 20_000,
  });
  expect(run.stderr).toBe('');
  return run.stdout;
}

describe('TLS 1.3 tickets without resumption', () => {
  it("Node's server sends two stateful tickets despite SSL_OP_NO_TICKET", () => {
    expect(ticketsSent(undefined)).toBe('2');
  });

  it('OPENSSL_CONF with NumTickets = 0 sends none, as FreeRADIUS does', () => {
    expect(ticketsSent(noTickets)).toBe('0');
  });
});
