/**
 * Start-up failures of `netrx up` that the configuration check cannot see
 * in advance (a port another process holds, a file that changed since the
 * check), each naming the configuration key to change and the port or file
 * it is about (review D5: "one clear error naming the key"), with a code to
 * match on. PEM files and script files are checked with the configuration
 * (config-checks.ts, `ERR_CONFIG_INVALID`); this is what is left for the
 * moment a listener binds.
 */
import { NetrxError } from '../../runtime/index.js';

/** A listener of the host could not bind: `path` is the key (`capture.rpc.port`). */
export class HostListenError extends NetrxError {
  readonly path: string;
  readonly address: string;
  readonly port: number;
  readonly reason: string;

  constructor(
    path: string,
    where: { readonly protocol: 'tcp' | 'udp'; readonly address: string; readonly port: number },
    reason: string,
    cause?: unknown,
  ) {
    const host = where.address.includes(':') ? `[${where.address}]` : where.address;
    super(
      'ERR_HOST_LISTEN',
      `${path}: cannot listen on ${where.protocol} ${host}:${where.port}: ${reason}`,
      cause === undefined ? {} : { cause },
    );
    this.name = 'HostListenError';
    this.path = path;
    this.address = where.address;
    this.port = where.port;
    this.reason = reason;
  }
}

/** Why a bind failed, in words (Node's errno codes for the usual three). */
export function listenReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'address already in use';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EADDRNOTAVAIL') return 'address not available on this machine';
  return error instanceof Error ? error.message : String(error);
}
