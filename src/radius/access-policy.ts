/**
 * The per-client Message-Authenticator and Proxy-State rules for
 * Access-Request and Status-Server: required always for EAP (RFC 3579 §3.2)
 * and Status-Server (RFC 5997), per client otherwise (`true`, `false`, or
 * `'auto'`: the client's first accepted request decides, as FreeRADIUS 3.2.5
 * `require_message_authenticator = auto`), and `limitProxyState`
 * (FreeRADIUS `limit_proxy_state`). What `'auto'` learned is kept per client
 * entry (bounded by the client table).
 */
import type { Crypto } from '../runtime/index.js';
import type { RadiusClientEntry } from './clients.js';
import { RadiusAttributeType } from './dictionary.js';
import { RadiusCode, type RadiusPacket } from './packet.js';
import { checkRequestMessageAuthenticator } from './signing.js';

export class AccessPolicy {
  private readonly learned = new Map<
    RadiusClientEntry,
    { requireMessageAuthenticator: boolean; limitProxyState: boolean }
  >();

  constructor(private readonly crypto: Crypto) {}

  /** The drop reason, or undefined when the request may go on. */
  check(packet: RadiusPacket, client: RadiusClientEntry): string | undefined {
    const hasEap = packet.attributes.some((a) => a.type === RadiusAttributeType.EapMessage);
    const check = checkRequestMessageAuthenticator(
      this.crypto,
      packet,
      client.secret,
      client.requireMessageAuthenticatorFirst,
    );
    const hasProxyState = packet.attributes.some((a) => a.type === RadiusAttributeType.ProxyState);
    let learned = this.learned.get(client);
    // The first request the server would take decides the 'auto' policies (a
    // dropped one teaches nothing).
    const acceptableWithout = !hasEap && packet.code === RadiusCode.AccessRequest;
    if (
      learned === undefined &&
      (check === undefined || (check === 'missing' && acceptableWithout))
    ) {
      learned = {
        requireMessageAuthenticator:
          client.requireMessageAuthenticator === 'auto'
            ? check === undefined
            : client.requireMessageAuthenticator,
        limitProxyState:
          client.limitProxyState === 'auto' ? !hasProxyState : client.limitProxyState,
      };
      this.learned.set(client, learned);
    }
    const required =
      hasEap ||
      packet.code === RadiusCode.StatusServer ||
      client.requireMessageAuthenticator === true ||
      learned?.requireMessageAuthenticator === true;
    if (check === undefined) return undefined;
    if (check === 'missing' && !required) {
      if (!hasProxyState || learned?.limitProxyState !== true) return undefined;
      return 'proxy-state-without-message-authenticator';
    }
    return `message-authenticator-${check}`;
  }
}
