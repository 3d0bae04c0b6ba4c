/**
 * An in-memory stand-in for NATS request/reply between the RADIUS servers
 * of a cluster, for tests: each server's link serves its id on one shared
 * bus; a request to an id nobody serves is `unavailable` (NATS "no
 * responders"). Deliveries are asynchronous (a microtask), as over a
 * network. Faults: `silent` ids never answer (the receiver's timer decides),
 * `disconnected` links fail every request, and `tamper` rewrites messages
 * on their way to the owner (forged forwards).
 */
import type {
  ClusterRequestOutcome,
  ForwardedRequestHandler,
  RadiusClusterLink,
} from '../../radius/index.js';

export class FakeRadiusClusterBus {
  private readonly handlers = new Map<string, ForwardedRequestHandler>();
  /** Server ids whose requests are delivered but never answered. */
  readonly silent = new Set<string>();
  /** Rewrites a message on its way to its owner (default: unchanged). */
  tamper: (message: Uint8Array) => Uint8Array = (message) => message;
  /** Requests asked over the bus, per owner id. */
  readonly requests = new Map<string, number>();

  link(): RadiusClusterLink & { disconnected: boolean } {
    const link = {
      disconnected: false,
      request: (owner: string, message: Uint8Array): Promise<ClusterRequestOutcome> => {
        this.requests.set(owner, (this.requests.get(owner) ?? 0) + 1);
        if (link.disconnected) return Promise.resolve({ kind: 'failed', reason: 'disconnected' });
        const handler = this.handlers.get(owner);
        if (handler === undefined) return Promise.resolve({ kind: 'unavailable' });
        return new Promise((resolve) => {
          queueMicrotask(() => {
            // Deliberate copy: a NATS message is the receiver's own bytes.
            handler(this.tamper(message.slice()), (answer) => {
              if (!this.silent.has(owner)) {
                queueMicrotask(() => resolve({ kind: 'answered', data: answer.slice() }));
              }
            });
          });
        });
      },
      serve: (serverId: string, handler: ForwardedRequestHandler) => {
        this.handlers.set(serverId, handler);
        return {
          stop: () => {
            if (this.handlers.get(serverId) === handler) this.handlers.delete(serverId);
          },
        };
      },
    };
    return link;
  }
}
