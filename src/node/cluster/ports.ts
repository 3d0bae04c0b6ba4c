/**
 * The two narrow faces of NATS JetStream that capture fan-in uses, so the
 * publisher and the reader are tested against a fake (`fake-jetstream.ts`)
 * and run against `@nats-io/jetstream` (`nats.ts`) unchanged.
 */

import type { AdoptedFloors } from './loss-upgrade.js';
import type { PullGate } from './pull-window.js';

/** What became of one publish. */
export type PublishOutcome =
  /** The stream stored it (or had already: a duplicate of a retried message ID). */
  | { readonly kind: 'stored'; readonly duplicate: boolean }
  /** The stream refused it (full with `discard: new`, or a store limit): it is lost. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** It may not have reached the server (disconnected, timeout): retry with the same ID. */
  | { readonly kind: 'unsent'; readonly reason: string };

export interface PublishPort {
  /** Publishes with `Nats-Msg-Id: msgId` (the stream's duplicate window makes a retry safe). Never rejects. */
  publish(subject: string, data: Uint8Array, msgId: string): Promise<PublishOutcome>;
}

/** One message read from a stream by a consumer. */
export interface StreamMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** The stream sequence. */
  readonly seq: number;
  /**
   * Its `Nats-Msg-Id` header (a publisher's `<host>.<instance>.<batch>.t<first send, ms>`,
   * `batch-id.ts`), if it had one.
   */
  readonly msgId?: string;
  /** When the server stored it (its clock, ms since the epoch), if the port tells. */
  readonly storedAtMs?: number;
  ack(): void;
  /** Gives it back unhandled: the server delivers it again (to the next reader) without waiting for `ack_wait`. */
  nak(): void;
}

/**
 * What a consumer reads: a stream, through a durable consumer, with a filter subject.
 * On the work-queue event stream a durable's filter is a claim: the server
 * refuses (10100) a second durable whose filter overlaps it, until the
 * first is deleted or expires (`claimExpiresMs` idle).
 */
export interface ConsumeSpec {
  readonly stream: string;
  readonly filter: string;
  readonly durable: string;
  /**
   * The consumer is bound: on the work-queue stream its filter's claim is
   * this reader's (called again after each rebind). A refused claim (10100)
   * never calls it.
   */
  readonly onBound?: () => void;
  /**
   * The durable existed with another config (`changed`: the fields that
   * differed, e.g. `filter_subject`) and was deleted and made again
   * (consumer-config.ts, review16c N4).
   */
  readonly onReplaced?: (changed: readonly string[]) => void;
  /**
   * The durable was gone when this consume bound it again (the server
   * deleted it, idle past `inactive_threshold`, or someone did) and was
   * made again: its claim may have been another reader's meanwhile (issue 16).
   */
  readonly onRecreated?: () => void;
  /**
   * Loss durables only: earlier names of this reader's loss durable (an
   * old default reader id's) adopted if they are legacy, as the durable
   * itself is (loss-upgrade.ts, verify16c V1 V2).
   */
  readonly adopt?: readonly string[];
  /** Loss durables only: per host, the floors adopted, told before the durable delivers anything. */
  readonly onAdopted?: (floors: AdoptedFloors) => void;
}

/** A durable made again because its config was not the wanted one. */
export interface ConsumerReplaced {
  readonly stream: string;
  readonly durable: string;
  readonly changed: readonly string[];
}

/** Why a consume loop failed (it tries again): the JetStream API error code when there is one. */
export interface ConsumerError {
  readonly stream: string;
  readonly durable: string;
  /** A JetStream API error code (10100: another consumer's filter claims these subjects). */
  readonly code: number | undefined;
  readonly message: string;
}

export interface ConsumePort {
  /**
   * Reads `spec.stream` through the consumer named `spec.durable` with its
   * filter subject, handing each message to `onMessage` in stream order,
   * until the returned `stop`. Each failure of the loop (it tries again)
   * goes to `onError`. With a `gate`, the next message is pulled and handed
   * over only once `gate.ready()` (the reader's session has room), so unread
   * messages stay in the stream.
   */
  consume(
    spec: ConsumeSpec,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: ConsumerError) => void,
    gate?: PullGate,
  ): { stop(): void };
  /** The hosts that have events stored in `stream` now (from its subjects `netrx.<session>.<host>.…`). */
  streamHosts(stream: string, session: string): Promise<readonly string[]>;
  /** The consumer's lag (one consumer info request); a port without it has no lag to show. */
  consumerLag?(stream: string, durable: string): Promise<ConsumerLag>;
  /**
   * The newest message stored on `subject` in `stream` (undefined: none);
   * rejects when the server cannot tell. With it and `PublishPort.publish`
   * the reader keeps loss floors (loss-floors.ts); a port without them has
   * none, and a host taken over counts all its kept loss (at least once).
   */
  lastMessage?(stream: string, subject: string): Promise<Uint8Array | undefined>;
}

/** What a consumer's info says of its lag (lag-sampler.ts). */
export interface ConsumerLag {
  /** Messages in the stream the consumer has not delivered yet (`num_pending`). */
  readonly pending: number;
  /** Messages delivered and not acked (`num_ack_pending`). */
  readonly ackPending: number;
  /** Of those, messages delivered more than once (`num_redelivered`). */
  readonly redelivered: number;
}

export interface ConsumerLagPort {
  /** One consumer info request. Rejects when the consumer is not there (or NATS is away). */
  consumerLag(stream: string, durable: string): Promise<ConsumerLag>;
}

/** Connection state changes the publisher acts on. */
export type LinkStatus = 'connected' | 'disconnected';
