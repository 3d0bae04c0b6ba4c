/**
 * The opening handshake over a raw byte transport, server and client side,
 * with the core's helpers (`HttpHeadParser`, `validateUpgradeRequest`, the
 * handle's begin/end handshake), then the `HandlePump` for the frames. The
 * Deno and Bun adapters are these two functions plus their sockets.
 */
import {
  HttpHeadParser,
  buildRejection,
  createClientHandle,
  createServerHandle,
  validateUpgradeRequest,
  type CloseStatus,
} from '../../src/websocket/index.js';
import type { Crypto } from '../../src/runtime/index.js';
import type { DeflateCodec } from '../../src/websocket/index.js';
import { HandlePump, type ByteTransport, type PumpEvents } from './pump.js';

export interface ConnectionOptions {
  readonly crypto: Crypto;
  /** Given: permessage-deflate is offered (client) or accepted (server). */
  readonly deflateCodec?: DeflateCodec;
}

/** What an adapter feeds: bytes and end of stream, and `ready()` before its next read. */
export interface ByteSink {
  push(chunk: Uint8Array): void;
  end(): void;
  ready(): Promise<void>;
}

/** Serves one accepted connection: the 101 (or a 400), then `onOpen` with the pump. */
export function serveConnection(
  transport: ByteTransport,
  options: ConnectionOptions,
  events: PumpEvents,
  onOpen: (pump: HandlePump) => void = () => undefined,
): ByteSink {
  const parser = new HttpHeadParser('request');
  let pump: HandlePump | undefined;
  return {
    push(chunk) {
      if (pump !== undefined) return pump.push(chunk);
      const step = parser.push(chunk);
      if (step.state === 'incomplete') return;
      const request =
        step.state === 'complete'
          ? validateUpgradeRequest(step.head)
          : ({ ok: false, failure: step.failure } as const);
      if (!request.ok || step.state !== 'complete') {
        const failure = request.ok ? { status: 400 } : request.failure;
        transport.write(buildRejection(failure));
        transport.close();
        return;
      }
      const handle = createServerHandle({
        crypto: options.crypto,
        ...(options.deflateCodec === undefined ? {} : { deflateCodec: options.deflateCodec }),
      });
      const answer = handle.beginServerHandshake(request.value, {
        perMessageDeflate: options.deflateCodec !== undefined,
      });
      transport.write(answer.bytes);
      pump = new HandlePump(handle, transport, events);
      onOpen(pump);
      if (step.rest.length > 0) pump.push(step.rest);
    },
    end() {
      if (pump === undefined) transport.close();
      else pump.end();
    },
    ready() {
      return pump?.ready() ?? Promise.resolve();
    },
  };
}

/** Opens a client over a connected transport; `opened` settles with the pump or the failure. */
export function openClient(
  transport: ByteTransport,
  target: { readonly host: string; readonly path?: string },
  options: ConnectionOptions,
  events: PumpEvents,
): { sink: ByteSink; opened: Promise<HandlePump> } {
  const handle = createClientHandle({
    crypto: options.crypto,
    ...(options.deflateCodec === undefined ? {} : { deflateCodec: options.deflateCodec }),
  });
  const request = handle.beginClientHandshake({
    host: target.host,
    path: target.path ?? '/',
    perMessageDeflate: options.deflateCodec !== undefined,
  });
  const parser = new HttpHeadParser('response');
  let pump: HandlePump | undefined;
  let settle: { resolve: (p: HandlePump) => void; reject: (e: Error) => void } | undefined;
  const opened = new Promise<HandlePump>((resolve, reject) => (settle = { resolve, reject }));
  transport.write(request.bytes);
  const fail = (message: string): void => {
    transport.close();
    settle?.reject(new Error(message));
  };
  return {
    opened,
    sink: {
      push(chunk) {
        if (pump !== undefined) return pump.push(chunk);
        const step = parser.push(chunk);
        if (step.state === 'incomplete') return;
        if (step.state === 'failed') return fail(step.failure.message);
        const result = handle.endClientHandshake(step.head);
        if (!result.ok) return fail(result.failure.message);
        pump = new HandlePump(handle, transport, events);
        settle?.resolve(pump);
        if (step.rest.length > 0) pump.push(step.rest);
      },
      end() {
        if (pump === undefined) fail('the server closed before the handshake ended');
        else pump.end();
      },
      ready() {
        return pump?.ready() ?? Promise.resolve();
      },
    },
  };
}

export type { CloseStatus };
