/**
 * A gated consumer's pulls on the wire (pull-pipeline.ts decides them):
 * one subscription per consume loop, on `<inbox>.*`, and request `id` asks
 * for its replies on `<inbox>.<id>` (the statuses come on that subject; a
 * message comes with its stream subject). One subscription with a callback
 * keeps stream order across requests (several fetches, each its own
 * iterator, would interleave at the reader) and costs one SUB per consume
 * loop instead of a subscription, a heartbeat monitor and a status watcher
 * per fetch.
 */
import { randomUUID } from 'node:crypto';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../../runtime/index.js';
import { PullPipeline, type PullFailure, type PullPipelineStats } from './pull-pipeline.js';
import type { PullGate } from './pull-window.js';

/** The ack and nak payloads of the JetStream protocol. */
const ACK = new TextEncoder().encode('+ACK');
const NAK = new TextEncoder().encode('-NAK');

export interface GatedPullSpec {
  readonly nc: NatsConnection;
  readonly stream: string;
  readonly durable: string;
  readonly gate: PullGate;
  readonly clock: Clock;
  /** The consumer's `inactive_threshold` (pull-pipeline.ts renews it). */
  readonly claimMs: number;
  /** Each message, in stream order: its stream sequence and how to ack and nak it. */
  readonly hand: (message: Msg, seq: number, ack: () => void, nak: () => void) => void;
}

export interface GatedPull {
  /** Resolves once stopped; rejects when the server failed a request (the loop starts over). */
  readonly done: Promise<void>;
  stop(): void;
  /** The connection came back: the server forgot our requests, ask again. */
  reset(): void;
  stats(): PullPipelineStats;
}

/** A failed pull request, by the server's status code (409: e.g. the consumer was deleted). */
export class PullStatusError extends Error {
  readonly status: number;
  constructor(failure: PullFailure) {
    super(`pull request failed: ${failure.code} ${failure.description}`);
    this.name = 'PullStatusError';
    this.status = failure.code;
  }
}

export function startGatedPull(spec: GatedPullSpec): GatedPull {
  const inbox = `_INBOX.netrx.${randomUUID().replaceAll('-', '')}`;
  const nextSubject = `$JS.API.CONSUMER.MSG.NEXT.${spec.stream}.${spec.durable}`;
  let finish: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  let ended = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    pipeline.stop();
    subscription.unsubscribe();
    finish(error);
  };
  const pipeline = new PullPipeline({
    gate: spec.gate,
    clock: spec.clock,
    claimMs: spec.claimMs,
    send: (id, request) =>
      spec.nc.publish(
        nextSubject,
        JSON.stringify({
          batch: request.batch,
          max_bytes: request.maxBytes,
          expires: request.expiresMs * 1_000_000,
        }),
        { reply: `${inbox}.${id}` },
      ),
    onFailure: (failure) => end(new PullStatusError(failure)),
  });
  const subscription = spec.nc.subscribe(`${inbox}.*`, {
    callback: (error, msg) => {
      if (error !== null) {
        end(error);
        return;
      }
      const reply = msg.reply;
      if (reply === undefined || reply === '') {
        // A status: no reply subject, the code and description in the header line.
        const id = Number(msg.subject.slice(inbox.length + 1));
        const left = msg.headers?.get('Nats-Pending-Bytes') ?? '';
        const bytesLeft = left === '' ? undefined : Number(left);
        pipeline.status(
          id,
          msg.headers?.code ?? 0,
          msg.headers?.description ?? '',
          Number.isSafeInteger(bytesLeft) ? bytesLeft : undefined,
        );
        return;
      }
      const seq = streamSequenceOf(reply);
      if (seq === undefined) {
        end(new Error(`not a JetStream ack subject: ${reply}`));
        return;
      }
      spec.hand(
        msg,
        seq,
        () => msg.respond(ACK),
        () => msg.respond(NAK),
      );
      // After the reader took it: a message that closed the gate asks for nothing more.
      pipeline.message(serverSizeOf(msg, reply));
    },
  });
  pipeline.start();
  return {
    done,
    stop: () => end(),
    reset: () => pipeline.reset(),
    stats: () => pipeline.stats(),
  };
}

/**
 * A message's size as the server counts it against `max_bytes`: subject,
 * reply, headers and data (the client's `size()`; without it, headers are
 * not counted, and a request ends on the server's word instead).
 */
function serverSizeOf(msg: Msg, reply: string): number {
  const sized = msg as Msg & { size?: () => number };
  if (typeof sized.size === 'function') return sized.size();
  return msg.subject.length + reply.length + msg.data.length;
}

/**
 * The stream sequence in an ack subject: `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.…`
 * (9 tokens, nats-server 2.9) or with a domain and account hash after `ACK` (11 or 12 tokens).
 */
export function streamSequenceOf(reply: string): number | undefined {
  const tokens = reply.split('.');
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  const at = tokens.length === 9 ? 5 : tokens.length >= 11 ? 7 : -1;
  const seq = Number(tokens[at]);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}

/**
 * When the server stored the message, in ms since the epoch, from its ack
 * subject (`….<stream seq>.<consumer seq>.<nanoseconds>.<pending>`: two
 * tokens after the stream sequence), or undefined when it is not one.
 */
export function storedAtMsOf(reply: string): number | undefined {
  const tokens = reply.split('.');
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  const at = tokens.length === 9 ? 7 : tokens.length >= 11 ? 9 : -1;
  const nanos = tokens[at];
  if (nanos === undefined || !/^\d{1,20}$/.test(nanos)) return undefined;
  return Number(BigInt(nanos) / 1_000_000n);
}
