/**
 * The bind phase's decisions, without state: whether a bind is refused with
 * a bind_nak before the server is asked for a group (a second bind or no
 * presentation context: `reason_not_specified`; fragments under 1432:
 * `local_limit_exceeded`), and the result for each presentation context
 * (NDR20 for the LREC interface accepted, NDR64 or anything else alone
 * refused with a provider rejection, bind-time feature negotiation answered
 * with the features netrx supports: none). The connection (connection.ts)
 * sends the answers and keeps the accepted context ids.
 */
import {
  BindNakReason,
  ContextResult,
  MIN_FRAGMENT_LENGTH,
  NDR20_SYNTAX,
  ProviderReason,
  btfnFeatures,
  isNdr20,
  type Pdu,
  type PresentationContext,
  type SyntaxId,
} from '../../wire/index.js';
import { LREC_INTERFACE } from './server.js';

/** Bind-time features netrx supports: none (no security contexts to multiplex, orphans not kept). */
const SUPPORTED_FEATURES = 0;
const NDR20: SyntaxId = { uuid: NDR20_SYNTAX.uuid, major: NDR20_SYNTAX.version, minor: 0 };

export type BindPdu = Extract<Pdu, { kind: 'bind' | 'alter_context' }>;

/** One presentation context's line of the bind_ack. */
export interface ContextNegotiation {
  readonly result: number;
  readonly reason: number;
  readonly transferSyntax?: SyntaxId;
}

/**
 * The bind_nak reason for a bind refused on its own merits (the auth trailer
 * and the group slot are decided after this), or undefined to go on.
 */
export function bindRefusal(pdu: BindPdu, alreadyBound: boolean): number | undefined {
  if (alreadyBound) return BindNakReason.reason_not_specified;
  if (pdu.contexts.length === 0) return BindNakReason.reason_not_specified;
  if (pdu.maxRecvFrag < MIN_FRAGMENT_LENGTH || pdu.maxXmitFrag < MIN_FRAGMENT_LENGTH) {
    return BindNakReason.local_limit_exceeded;
  }
  return undefined;
}

/** The answer to one presentation context; `ContextResult.acceptance` means calls may use its id. */
export function negotiateContext(context: PresentationContext): ContextNegotiation {
  const features = context.transferSyntaxes.map(btfnFeatures).find((value) => value !== undefined);
  if (features !== undefined) {
    return { result: ContextResult.negotiate_ack, reason: features & SUPPORTED_FEATURES };
  }
  const wanted = context.abstractSyntax;
  if (wanted.uuid !== LREC_INTERFACE.uuid || wanted.major !== LREC_INTERFACE.major) {
    return {
      result: ContextResult.provider_rejection,
      reason: ProviderReason.abstract_syntax_not_supported,
    };
  }
  if (!context.transferSyntaxes.some(isNdr20)) {
    // NDR64 (or anything else) alone: refused, the client falls back to NDR20.
    return {
      result: ContextResult.provider_rejection,
      reason: ProviderReason.proposed_transfer_syntaxes_not_supported,
    };
  }
  return { result: ContextResult.acceptance, reason: 0, transferSyntax: NDR20 };
}
