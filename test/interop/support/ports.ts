/**
 * A free TCP port on 127.0.0.1 for a peer the test (or a benchmark) starts
 * itself. The port is released before the peer binds it, so another
 * process could take it in between; on a test machine that race is rare
 * enough, and the peer's own bind error names the port if it happens.
 */
import { createServer, type AddressInfo } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
