/**
 * The netrx LREC RPC client over TCP: node:net around the sans-I/O
 * `LrecRpcClient`. Calls are serial (one outstanding, as without CONC_MPX);
 * a fault rejects the call with `ERR_CAPTURE_RPC_FAULT` (`number` = the
 * status), a Win32 failure of Open or Receive rejects with that status as
 * `number` and code `ERR_CAPTURE_RPC_STATUS`. Messages name the status and
 * say what it means (`ERROR_BUSY (170): session is open by another client`;
 * a fault by its nca_s name): the wire carries only the number.
 */
import { connect, type Socket } from 'node:net';
import {
  LrecRpcClient,
  describeCaptureStatus,
  parseOpenResponse,
  parseReceiveResponse,
  type ClientAnswer,
} from '../../capture/index.js';
import { NetrxError } from '../../runtime/index.js';
import { FaultStatus } from '../../wire/index.js';

/** `nca_s_context_mismatch (0x1c00001a)`, or the bare hex for a status netrx does not send. */
function describeFault(status: number): string {
  const hex = `0x${status.toString(16).padStart(8, '0')}`;
  const name = Object.entries(FaultStatus).find(([, value]) => value === status)?.[0];
  return name === undefined ? hex : `${name} (${hex})`;
}

export interface LrecTcpClientOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFragLength?: number;
}

export interface LrecTcpClient {
  open(name: string): Promise<Uint8Array>;
  /** The EVENT_BUFFER bytes of one ReceiveData call. */
  receive(handle: Uint8Array): Promise<Uint8Array>;
  close(handle: Uint8Array): Promise<void>;
  /** Ends the connection (the server runs the handles down if any are open). */
  end(): void;
  /** Resolves when the connection is gone. */
  readonly closed: Promise<void>;
}

export async function connectLrecTcp(options: LrecTcpClientOptions): Promise<LrecTcpClient> {
  const core = new LrecRpcClient(
    options.maxFragLength === undefined ? {} : { maxFragLength: options.maxFragLength },
  );
  const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let waiting: { resolve: (a: ClientAnswer) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const fail = (error: Error) => {
    failure ??= error;
    waiting?.reject(failure);
    waiting = undefined;
    socket.destroy();
  };
  socket.on('error', (error) => fail(error));
  socket.on('close', () =>
    fail(new NetrxError('ERR_CAPTURE_RPC_CLOSED', 'The capture server closed the connection')),
  );
  socket.on('data', (chunk: Buffer) => {
    for (const answer of core.push(chunk)) {
      if (answer.kind === 'broken') {
        fail(new NetrxError('ERR_CAPTURE_RPC_PROTOCOL', answer.failure.message));
        return;
      }
      const w = waiting;
      waiting = undefined;
      w?.resolve(answer);
    }
  });
  const exchange = (bytes: Uint8Array): Promise<ClientAnswer> => {
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      waiting = { resolve, reject };
      socket.write(bytes);
    });
  };
  const expectResponse = (answer: ClientAnswer): Uint8Array => {
    if (answer.kind === 'response') return answer.stub;
    if (answer.kind === 'fault') {
      throw new NetrxError(
        'ERR_CAPTURE_RPC_FAULT',
        `The server faulted the call: ${describeFault(answer.status)}`,
        { number: answer.status },
      );
    }
    throw new NetrxError('ERR_CAPTURE_RPC_PROTOCOL', `Unexpected ${answer.kind}`);
  };

  const ack = await exchange(core.bind());
  if (ack.kind !== 'bind_ack' || ack.results[0]?.result !== 0) {
    socket.destroy();
    throw new NetrxError(
      'ERR_CAPTURE_RPC_BIND',
      ack.kind === 'bind_nak'
        ? `The server refused the bind (bind_nak reason ${ack.reason})`
        : 'The server did not accept the LREC interface over NDR20',
    );
  }
  return {
    async open(name) {
      const parsed = parseOpenResponse(expectResponse(await exchange(core.open(name).bytes)));
      if (!parsed.ok) throw new NetrxError('ERR_CAPTURE_RPC_PROTOCOL', parsed.failure.message);
      if (parsed.value.status !== 0) {
        throw new NetrxError(
          'ERR_CAPTURE_RPC_STATUS',
          `RpcNetEventOpenSession(${JSON.stringify(name)}) failed: ${describeCaptureStatus(parsed.value.status, name)}`,
          { number: parsed.value.status },
        );
      }
      return parsed.value.handle;
    },
    async receive(handle) {
      const parsed = parseReceiveResponse(
        expectResponse(await exchange(core.receive(handle).bytes)),
      );
      if (!parsed.ok) throw new NetrxError('ERR_CAPTURE_RPC_PROTOCOL', parsed.failure.message);
      if (parsed.value.status !== 0) {
        throw new NetrxError(
          'ERR_CAPTURE_RPC_STATUS',
          `RpcNetEventReceiveData failed: ${describeCaptureStatus(parsed.value.status)}`,
          { number: parsed.value.status },
        );
      }
      return parsed.value.buffer;
    },
    async close(handle) {
      expectResponse(await exchange(core.close(handle).bytes));
    },
    end() {
      socket.end();
    },
    closed,
  };
}
