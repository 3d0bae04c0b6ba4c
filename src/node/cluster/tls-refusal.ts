/**
 * Telling a server that refuses our TLS (a client certificate it requires
 * and did not get, or one it does not trust) from a server that is away
 * (audit16 A3). The NATS client cannot tell: under TLS 1.3 the client's
 * side of the handshake is finished before the server has checked the
 * client's certificate, so `connect` resolves, the server's alert arrives
 * afterwards and closes the socket, and @nats-io/transport-node 3.4.0 keeps
 * that error as the transport's `closeError` while the first connect waits
 * for its PONG until the connect timeout: the caller sees a bare
 * `TimeoutError` with no cause, as from a server that never answers
 * (nats-core `protocol.js` `dial`; `node_transport.js` `_closed`). Under
 * TLS 1.2 the alert comes inside the handshake and the client reports it
 * (`ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE`).
 *
 * So after such a timeout on a TLS connection, `probeTlsRefusal` asks each
 * server itself: TCP connect, read the NATS `INFO` line, start TLS with the
 * client's own settings, and wait a moment after the handshake. A TLS alert
 * or a reset after the TCP connect is a refusal; a refused or timed-out TCP
 * connect, a handshake that stays quiet, or something that is not NATS is
 * not (the server is away, or refused for another reason the client
 * reports itself). Nothing is sent after the handshake: no CONNECT, so no
 * credentials leave and the server logs no failed authorization.
 */
import { isIP, createConnection, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

/** How long a probe waits after its handshake for the server's alert, at most. */
export const TLS_REFUSAL_GRACE_MS = 1000;

/**
 * The reason, when `error` (or a cause of it) is a TLS alert the server
 * sent or a reset during the TLS handshake: a refusal that waiting does
 * not mend. Undefined otherwise.
 */
export function tlsRefusalOf(error: unknown, handshakeStarted: boolean): string | undefined {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string') {
      if (/^ERR_SSL_.*ALERT/.test(code)) return `TLS alert from the server (${code})`;
      if (handshakeStarted && code === 'ECONNRESET') {
        return 'the server reset the connection during TLS (ECONNRESET)';
      }
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Host and port of a NATS server URL (`tls://h:p`, `nats://h:p`, `h:p`; default port 4222). */
export function natsHostPort(url: string): { host: string; port: number } {
  const parsed = new URL(/^[a-z]+:\/\//i.test(url) ? url : `nats://${url}`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port === '' ? 4222 : Number(parsed.port) };
}

/**
 * Whether the NATS server at `url` refuses a TLS session made with `tls`
 * (the client's options: ca, cert, key, servername): the reason, or
 * undefined when it does not (or cannot be reached, or is not NATS).
 */
export function probeTlsRefusal(
  url: string,
  tls: ConnectionOptions,
  timeoutMs: number,
): Promise<string | undefined> {
  const { host, port } = natsHostPort(url);
  return new Promise((resolve) => {
    let settled = false;
    let secure: Socket | undefined;
    let grace: NodeJS.Timeout | undefined;
    const socket = createConnection({ host, port });
    const finish = (reason: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(grace);
      secure?.destroy();
      socket.destroy();
      resolve(reason);
    };
    const deadline = setTimeout(() => finish(undefined), timeoutMs);
    socket.once('error', () => finish(undefined)); // refused, unreachable: away
    socket.once('close', () => finish(undefined));
    let head = '';
    const onInfo = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n');
      if (end < 0) {
        if (head.length > 64 * 1024) finish(undefined);
        return;
      }
      socket.off('data', onInfo);
      if (!/^INFO\s/i.test(head)) return finish(undefined);
      startTls();
    };
    socket.on('data', onInfo);
    const startTls = () => {
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      const named = tls.servername ?? (isIP(host) === 0 ? host : undefined);
      const upgraded = tlsConnect({
        ...tls,
        socket,
        ...(named === undefined ? {} : { servername: named }),
      });
      secure = upgraded;
      upgraded.on('error', (error) => finish(tlsRefusalOf(error, true)));
      upgraded.on('close', () => finish(undefined));
      upgraded.on('data', () => undefined); // keep reading: the alert arrives as data
      upgraded.once('secureConnect', () => {
        // The server checks our certificate now; its alert, if any, follows at once.
        grace = setTimeout(() => finish(undefined), Math.min(TLS_REFUSAL_GRACE_MS, timeoutMs));
      });
    };
  });
}
