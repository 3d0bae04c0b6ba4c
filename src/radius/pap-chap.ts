/**
 * PAP and CHAP in an Access-Request without EAP (RFC 2865 §2.2, §5.2, §5.3):
 * what the authentication provider is asked. PAP reveals User-Password with
 * the client's secret; CHAP passes CHAP-Password with CHAP-Challenge, or the
 * Request Authenticator as the challenge. Values are copied: the datagram's
 * bytes are the transport's, and the provider may answer later.
 */
import type { Crypto } from '../runtime/index.js';
import { RadiusAttributeType } from './dictionary.js';
import type { RadiusPacket } from './packet.js';
import type { RequestContext } from './server-context.js';
import { revealUserPassword } from './signing.js';

export type PapChapRequest =
  | {
      readonly method: 'PAP' | 'CHAP';
      readonly userName: Uint8Array;
      readonly attributes: { type: number; value: Uint8Array }[];
    }
  /** Rejected before the provider: `no-user-name`, `no-password`, `malformed-user-password`. */
  | { readonly method: 'PAP' | 'CHAP'; readonly refused: string };

export function papChapRequest(
  crypto: Crypto,
  packet: RadiusPacket,
  context: RequestContext,
): PapChapRequest {
  const find = (type: number) => packet.attributes.find((a) => a.type === type)?.value;
  const chap = find(RadiusAttributeType.ChapPassword);
  const hidden = find(RadiusAttributeType.UserPassword);
  const userName = context.userName;
  if (userName === undefined) {
    return { method: chap === undefined ? 'PAP' : 'CHAP', refused: 'no-user-name' };
  }
  if (chap !== undefined) {
    const challenge = find(RadiusAttributeType.ChapChallenge) ?? context.authenticator;
    return {
      method: 'CHAP',
      userName,
      attributes: [
        { type: RadiusAttributeType.UserName, value: userName },
        { type: RadiusAttributeType.ChapPassword, value: chap.slice() },
        { type: RadiusAttributeType.ChapChallenge, value: challenge.slice() },
      ],
    };
  }
  const password =
    hidden === undefined
      ? undefined
      : revealUserPassword(crypto, hidden, context.client.secret, context.authenticator);
  if (password === undefined) {
    return {
      method: 'PAP',
      refused: hidden === undefined ? 'no-password' : 'malformed-user-password',
    };
  }
  return {
    method: 'PAP',
    userName,
    attributes: [
      { type: RadiusAttributeType.UserName, value: userName },
      { type: RadiusAttributeType.UserPassword, value: password },
    ],
  };
}
