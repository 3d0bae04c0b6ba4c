/**
 * The RADIUS server's answers and its drop accounting: every response is
 * signed (Message-Authenticator first, the request's Proxy-States in order,
 * the Response Authenticator last), recorded in the duplicate cache and
 * sent; every refused datagram is counted by reason and traced. The server's
 * counters live here because every other part of the server bumps them.
 */
import type { AuthAttribute, EapSessionResult } from '../eap/index.js';
import type { Crypto } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import { createSlabAllocator } from '../bytes/index.js';
import { acceptAttributes } from './accept-attributes.js';
import { RadiusAttributeType } from './dictionary.js';
import type { DuplicateCache } from './duplicate-cache.js';
import { eapMessageAttributes } from './eap-message.js';
import { RadiusEventDescriptor } from './events.js';
import { RadiusCode, type RadiusAttribute } from './packet.js';
import type { RequestContext } from './server-context.js';
import { RADIUS_SERVER_DEFAULTS, type RadiusEndpoint } from './server-options.js';
import { signResponse } from './signing.js';
import { utf8Bytes } from '../bytes/index.js';

const MAX_DROP_REASONS = 48;
/** The server's counters (see RadiusServerStats for their meaning). */
export interface ServerCounters {
  received: number;
  sent: number;
  duplicatesAnswered: number;
  sessionsStarted: number;
  accepted: number;
  rejected: number;
  challenged: number;
  expired: number;
  identityMismatches: number;
  accountingRecords: number;
  droppedTotal: number;
}

export function newCounters(): ServerCounters {
  return {
    received: 0,
    sent: 0,
    duplicatesAnswered: 0,
    sessionsStarted: 0,
    accepted: 0,
    rejected: 0,
    challenged: 0,
    expired: 0,
    identityMismatches: 0,
    accountingRecords: 0,
    droppedTotal: 0,
  };
}

export interface ReplierOptions {
  readonly crypto: Crypto;
  readonly send: (datagram: Uint8Array, to: RadiusEndpoint) => void;
  readonly cache: DuplicateCache;
  readonly trace: TraceProvider | undefined;
  readonly mppeEncryption: { readonly policy: number; readonly types: number } | false | undefined;
}

export class RadiusReplier {
  readonly counters = newCounters();
  /** Drops by reason (at most MAX_DROP_REASONS reasons, then `other`). */
  readonly drops = new Map<string, number>();
  private readonly options: ReplierOptions;
  /**
   * Responses live in the duplicate cache for seconds: carved from slabs of
   * their own instead of one ArrayBuffer each (garbage collection was a
   * quarter of the server's CPU in the bench/eap profile).
   */
  private readonly allocResponse = createSlabAllocator(16 * 1024, 1024);

  constructor(options: ReplierOptions) {
    this.options = options;
  }

  /** Access-Accept: EAP-Success (if any), the authenticated User-Name, the method's attributes. */
  accept(
    context: RequestContext,
    eap: Uint8Array | undefined,
    result: EapSessionResult | undefined,
    papAttributes: readonly AuthAttribute[] = [],
  ): void {
    this.counters.accepted++;
    const attributes: RadiusAttribute[] = eap === undefined ? [] : eapMessageAttributes(eap);
    // The authenticated identity (the EAP identity the method checked), not
    // whatever the NAS wrote; PAP's is the User-Name the password was checked for.
    const name =
      result === undefined
        ? context.userName
        : result.identity === undefined || result.identity === ''
          ? undefined
          : utf8Bytes(result.identity);
    if (name !== undefined && name.length > 0 && name.length <= 253) {
      attributes.push({ type: RadiusAttributeType.UserName, value: name });
    }
    attributes.push(
      ...acceptAttributes(
        this.options.crypto,
        result?.attributes ?? papAttributes,
        context.client.secret,
        context.authenticator,
        this.options.mppeEncryption ?? RADIUS_SERVER_DEFAULTS.mppeEncryption,
      ),
    );
    this.respond(context, RadiusCode.AccessAccept, attributes);
  }

  reject(context: RequestContext, eap: Uint8Array | undefined): void {
    this.counters.rejected++;
    this.respond(
      context,
      RadiusCode.AccessReject,
      eap === undefined ? [] : eapMessageAttributes(eap),
    );
  }

  respond(
    context: RequestContext,
    code: number,
    attributes: readonly RadiusAttribute[],
    withMessageAuthenticator = true,
  ): void {
    const datagram = signResponse(
      this.options.crypto,
      code,
      context.identifier,
      context.authenticator,
      context.proxyStates.length === 0 ? attributes : [...attributes, ...context.proxyStates],
      context.client.secret,
      withMessageAuthenticator,
      this.allocResponse,
    );
    this.options.cache.complete(context.cacheKey, datagram);
    this.transmit(datagram, context.from, context.identifier, false);
  }

  transmit(datagram: Uint8Array, to: RadiusEndpoint, identifier: number, duplicate: boolean): void {
    this.counters.sent++;
    this.options.trace?.emit(RadiusEventDescriptor.responseSent, {
      address: to.address,
      port: to.port,
      code: datagram[0] as number,
      identifier,
      duplicate,
    });
    this.options.send(datagram, to);
  }

  /**
   * Forgets the request in hand in the duplicate cache: it was dropped for
   * a reason that may be gone by its retransmit (the bucket did not answer).
   */
  abandon(context: RequestContext): void {
    this.options.cache.abandon(context.cacheKey);
  }

  drop(
    reason: string,
    from: RadiusEndpoint,
    code: number | undefined,
    identifier: number | undefined,
  ): void {
    this.counters.droppedTotal++;
    const key = this.drops.has(reason) || this.drops.size < MAX_DROP_REASONS ? reason : 'other';
    this.drops.set(key, (this.drops.get(key) ?? 0) + 1);
    this.options.trace?.emit(RadiusEventDescriptor.packetDropped, {
      reason,
      address: from.address,
      port: from.port,
      code: code ?? 0,
      identifier: identifier ?? 0,
    });
  }
}
