/**
 * An HTTP upgrade (a WebSocket) reaching the host's endpoint, in the order
 * the checks cost: the Host header (DNS rebinding), who is asking (token,
 * subprotocol or login cookie), the route, the Origin of a same-origin
 * path (cross-site WebSocket hijacking), then a WebSocket slot. Each
 * refusal is counted where /health and /metrics read it. Once authorized
 * the socket leaves the pre-auth deadline, so later refusals destroy it
 * (refuseUpgrade) rather than trusting the peer to close.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionAdmission } from '../capture/ws-admission.js';
import { hostHeaderAllowed } from './host-check.js';
import { refuseUpgrade, type ConnectionGuard } from './http-security.js';
import { pathOf, type RouteTable } from './http-routes.js';
import { sameOrigin, type SessionAuth } from './session-auth.js';

export interface UpgradeHost {
  /** The configured `http.host` (what the Host header must name). */
  readonly host: string;
  readonly tls: boolean;
  readonly auth: SessionAuth;
  readonly admission: ConnectionAdmission;
  readonly routes: RouteTable;
  readonly connections: ConnectionGuard;
  readonly count: (refusal: 'misdirected' | 'unauthorized' | 'foreignOrigins') => void;
}

const CLOSE = 'Connection: close\r\nContent-Length: 0\r\n\r\n';

export function handleUpgrade(
  host: UpgradeHost,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  if (!hostHeaderAllowed(request.headers.host, host.host)) {
    host.count('misdirected');
    socket.end(`HTTP/1.1 421 Misdirected Request\r\n${CLOSE}`);
    return;
  }
  const path = pathOf(request);
  const decision = host.auth.authorize({
    authorization: request.headers.authorization,
    cookie: request.headers.cookie,
    protocols: request.headers['sec-websocket-protocol'],
    origin: request.headers.origin,
    host: request.headers.host,
    upgrade: true,
    remote: request.socket.remoteAddress,
  });
  if (!decision.ok) {
    host.count('unauthorized');
    socket.end(
      decision.status === 401
        ? `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n${CLOSE}`
        : decision.status === 429
          ? `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${decision.retryAfterSeconds}\r\n${CLOSE}`
          : `HTTP/1.1 403 Forbidden\r\n${CLOSE}`,
    );
    return;
  }
  host.admission.passed(socket);
  host.connections.passed(socket);
  const route = host.routes.upgrades.get(path);
  if (route === undefined) {
    refuseUpgrade(socket, `HTTP/1.1 404 Not Found\r\n${CLOSE}`);
    return;
  }
  // A page of another site may not read these (cross-site WebSocket hijacking).
  if (
    host.routes.sameOriginUpgrades.has(path) &&
    request.headers.origin !== undefined &&
    !sameOrigin(request.headers.origin, request.headers.host, host.tls)
  ) {
    host.count('foreignOrigins');
    refuseUpgrade(socket, `HTTP/1.1 403 Forbidden\r\n${CLOSE}`);
    return;
  }
  if (!host.connections.admitWebSocket(socket)) {
    refuseUpgrade(socket, `HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n${CLOSE}`);
    return;
  }
  route(request, socket, head);
}
