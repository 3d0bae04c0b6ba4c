/**
 * Test kit for the RPC server core: a session table on a virtual clock with
 * the synthetic provider, a server, and in-memory connections driven by the
 * netrx client core. Only tests import it.
 */
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';
import type { SessionLimits } from '../../src/capture/limits.js';
import { SessionTable } from '../../src/capture/session-table.js';
import { startSyntheticProvider } from '../../src/capture/synthetic-provider.js';
import { LrecRpcClient, type ClientAnswer } from '../../src/capture/rpc/client.js';
import type { RpcConnection } from '../../src/capture/rpc/connection.js';
import { parseOpenResponse, parseReceiveResponse } from '../../src/capture/rpc/ndr.js';
import { LrecRpcServer, type LrecRpcServerOptions } from '../../src/capture/rpc/server.js';

/** Deterministic "random" bytes: a counter (tests only). */
export function counterCrypto() {
  let n = 0;
  return {
    randomBytes(length: number): Uint8Array<ArrayBuffer> {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = (n + i * 7) & 0xff;
      n++;
      return out;
    },
  };
}

export function rpcSetup(
  options: {
    limits?: Partial<SessionLimits>;
    server?: Partial<Omit<LrecRpcServerOptions, 'table' | 'crypto'>>;
  } = {},
) {
  const clock = new VirtualClock(1_700_000_000_000);
  const registry = new TraceRegistry({ clock });
  const table = new SessionTable({ registry, clock });
  const session = table.createSession({
    name: 'Example Session',
    providers: [{ provider: 'netrx-synthetic' }],
    limits: { timerMs: 500, ...options.limits },
  });
  session.start();
  const synthetic = startSyntheticProvider({
    registry,
    clock,
    eventsPerSecond: 0,
    payloadBytes: 16,
  });
  const server = new LrecRpcServer({
    table,
    trace: registry,
    crypto: counterCrypto(),
    allowUnauthenticated: true,
    secondaryAddress: '49152',
    ...options.server,
  });
  return { clock, registry, table, session, synthetic, server };
}

/** One in-memory connection: what the server sent, parsed by a client core. */
export class TestPeer {
  readonly client: LrecRpcClient;
  readonly connection: RpcConnection;
  readonly answers: ClientAnswer[] = [];
  closedByServer = false;
  sentBytes = 0;
  /** Every chunk the server sent, in order (copies): the bytes on the wire. */
  readonly wire: Uint8Array[] = [];

  constructor(server: LrecRpcServer, client = new LrecRpcClient(), address?: string) {
    this.client = client;
    const holder: { connection?: RpcConnection } = {};
    const connection = server.connect(
      {
        send: (bytes) => {
          this.sentBytes += bytes.length;
          this.wire.push(bytes.slice());
          this.answers.push(...this.client.push(bytes));
        },
        close: () => {
          // A refused connection is closed inside connect, before it is returned.
          this.closedByServer = true;
          holder.connection?.closed();
        },
      },
      address === undefined ? {} : { address },
    );
    holder.connection = connection;
    this.connection = connection;
  }

  write(bytes: Uint8Array): void {
    this.connection.receive(bytes);
  }

  take(): ClientAnswer | undefined {
    return this.answers.shift();
  }

  bind(): ClientAnswer | undefined {
    this.write(this.client.bind());
    return this.take();
  }

  /** Opens `name`; returns the handle and status. */
  open(name = 'Example Session'): { handle: Uint8Array; status: number } {
    this.write(this.client.open(name).bytes);
    const answer = this.take();
    if (answer?.kind !== 'response') throw new Error(`open: ${JSON.stringify(answer)}`);
    const parsed = parseOpenResponse(answer.stub);
    if (!parsed.ok) throw new Error(parsed.failure.message);
    return parsed.value;
  }
}

/** A Receive answer's EVENT_BUFFER as sequence numbers and lost count. */
export function receiveContents(answer: ClientAnswer | undefined): {
  status: number;
  seqs: number[];
  lost: number;
} {
  if (answer?.kind !== 'response') throw new Error(`receive: ${JSON.stringify(answer)}`);
  const parsed = parseReceiveResponse(answer.stub);
  if (!parsed.ok) throw new Error(parsed.failure.message);
  const items = parseEventBuffer(parsed.value.buffer);
  if (!items.ok) throw new Error(items.failure.message);
  const seqs: number[] = [];
  let lost = 0;
  for (const item of items.value) {
    if (item.kind === 'event') {
      const data = item.record.userData;
      seqs.push(new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true));
    } else if (item.kind === 'lost') lost = item.lostEventCount;
  }
  return { status: parsed.value.status, seqs, lost };
}

/** Lets promise continuations (a parked receive completing) run: a few microtask turns. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
