/**
 * Before a reload stops anything, every socket the new configuration
 * listens on that the running one does not is tried: a UDP bind or a TCP
 * listen on the new address and port, released at once (review H2). A port
 * another process holds then refuses the reload with every service, its
 * connections and conversations untouched, instead of failing half-way
 * through after the old instances were stopped. A binding the running
 * configuration already holds (same protocol and port, an address it
 * covers) is skipped: the host's own socket would answer "in use", and the
 * service (or the one moving off it) releases it before the new one binds. So is a
 * port 0 (any free port): it cannot clash.
 *
 * The try is a snapshot: another process can still take the port between
 * the try and the service's own bind; the reload then rolls back as before.
 */
import { createSocket } from 'node:dgram';
import { createServer, isIP } from 'node:net';
import type { HostConfig } from './config.js';
import { addressesOverlap, listenBindings, type Binding } from './config-checks.js';
import { HostListenError, listenReason } from './start-errors.js';

/** Whether `held` (a running socket of this host) would take the port `wanted` asks for. */
const heldAlready = (held: Binding, wanted: Binding) =>
  held.protocol === wanted.protocol &&
  held.port === wanted.port &&
  addressesOverlap(held.address, wanted.address);

/** The bindings of `next` to try: new ones, with a fixed port. */
export function bindingsToTry(running: HostConfig, next: HostConfig): Binding[] {
  const held = listenBindings(running);
  return listenBindings(next).filter(
    (binding) => binding.port !== 0 && !held.some((h) => heldAlready(h, binding)),
  );
}

/** Binds and releases `binding`; rejects with the error the service itself would give. */
export function tryBinding(binding: Binding): Promise<void> {
  const address = binding.address === 'localhost' ? '127.0.0.1' : binding.address;
  const fail = (error: unknown) =>
    new HostListenError(
      binding.key,
      { protocol: binding.protocol, address: binding.address, port: binding.port },
      listenReason(error),
      error,
    );
  return new Promise<void>((resolve, reject) => {
    if (binding.protocol === 'udp') {
      const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
      socket.once('error', (error) => {
        socket.close();
        reject(fail(error));
      });
      socket.bind({ port: binding.port, address, exclusive: true }, () =>
        socket.close(() => resolve()),
      );
      return;
    }
    const server = createServer();
    server.once('error', (error) => reject(fail(error)));
    server.listen({ port: binding.port, host: address, exclusive: true }, () =>
      server.close(() => resolve()),
    );
  });
}

/**
 * Tries every new binding of `next`; resolves with the first refusal
 * (`radius.port: cannot listen on udp 127.0.0.1:1812: address already in
 * use`), or undefined when each one could bind.
 */
export async function preflightListen(
  running: HostConfig,
  next: HostConfig,
): Promise<HostListenError | undefined> {
  for (const binding of bindingsToTry(running, next)) {
    try {
      await tryBinding(binding);
    } catch (error) {
      return error as HostListenError;
    }
  }
  return undefined;
}
