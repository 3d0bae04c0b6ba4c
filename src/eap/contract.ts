/**
 * The RAS EAP method contract (raseapif.h) as TypeScript: `PPP_EAP_INFO`,
 * `RasEapBegin`/`RasEapEnd`/`RasEapMakeMessage`, `PPP_EAP_INPUT`,
 * `PPP_EAP_OUTPUT` and `PPP_EAP_ACTION`. A method is a state machine the
 * framework calls for every received packet, every timeout and every
 * completion (authentication provider, interactive UI); it answers with an
 * action and, for the send actions, a packet. The method owns identifiers;
 * the framework owns buffers, timers, retry counts, the provider call behind
 * `authenticate` and the UI round-trip.
 */
import type { EapPacket, ExpandedType } from '../wire/eap.js';
import type { AuthAttribute } from './attributes.js';

/** `PPP_EAP_ACTION`, values 0–8, as strings; `EapActionNumber` keeps the numbers. */
export const EapAction = {
  NoAction: 'none',
  Authenticate: 'authenticate',
  Done: 'done',
  SendAndDone: 'send-and-done',
  Send: 'send',
  SendWithTimeout: 'send-with-timeout',
  SendWithTimeoutInteractive: 'send-with-timeout-interactive',
  IndicateTlv: 'indicate-tlv',
  IndicateIdentity: 'indicate-identity',
} as const;
export type EapAction = (typeof EapAction)[keyof typeof EapAction];

/** raseapif.h's numbering of the actions (EAPACTION_NoAction = 0 … EAPACTION_IndicateIdentity = 8). */
export const EapActionNumber: Readonly<Record<EapAction, number>> = {
  none: 0,
  authenticate: 1,
  done: 2,
  'send-and-done': 3,
  send: 4,
  'send-with-timeout': 5,
  'send-with-timeout-interactive': 6,
  'indicate-tlv': 7,
  'indicate-identity': 8,
};

/** The actions that need `packet` in the output. */
export const SENDING_ACTIONS: ReadonlySet<EapAction> = new Set<EapAction>([
  EapAction.SendAndDone,
  EapAction.Send,
  EapAction.SendWithTimeout,
  EapAction.SendWithTimeoutInteractive,
]);

/** `RAS_EAP_FLAG_*` of `PPP_EAP_INPUT.fFlags` (raseapif.h values). */
export const RasEapFlag = {
  Router: 0x00000001,
  NonInteractive: 0x00000002,
  Logon: 0x00000004,
  Preview: 0x00000008,
  FirstLink: 0x00000010,
  MachineAuth: 0x00000020,
  GuestAccess: 0x00000040,
  Auth8021x: 0x00000080,
  HostedInPeap: 0x00000100,
  ResumeFromHibernate: 0x00000200,
  PeapUpfront: 0x00000400,
  AlternativeUserDb: 0x00000800,
  PeapForceFullAuth: 0x00001000,
  PreLogon: 0x00020000,
} as const;

/** What a method declares about itself (netrx's flags; `PPP_EAP_INFO` has the type and entry points). */
export const EapMethodFlag = {
  /** Can run on the peer (client) side. */
  Peer: 0x1,
  /** Can run on the authenticator (server) side. */
  Authenticator: 0x2,
  /** Derives an MSK and returns MS-MPPE keys on success. */
  KeyDerivation: 0x4,
  /** Authenticates the server to the peer as well. */
  MutualAuthentication: 0x8,
  /** Needs a password in `EapInput.password` (peer side). */
  NeedsPassword: 0x10,
  /** May ask for the interactive UI. */
  Interactive: 0x20,
} as const;

/** `PPP_EAP_INFO` minus the entry points (those are the methods of `EapMethod`). */
export interface EapMethodInfo {
  /** IANA EAP type (1–253), or 254 with `expanded`. */
  readonly type: number;
  readonly expanded?: ExpandedType;
  readonly name: string;
  /** OR of `EapMethodFlag`. */
  readonly flags: number;
}

/** `PPP_EAP_INPUT`. Fields the framework does not know are left out, never invented. */
export interface EapInput {
  /** OR of `RasEapFlag`. */
  readonly flags?: number;
  /** `fAuthenticator`: true on the server side. */
  readonly authenticator: boolean;
  /** `pwszIdentity`: the identity the peer gave (server) or will give (client). */
  readonly identity?: string;
  /** `pwszPassword`: client only, may be absent. */
  readonly password?: string;
  /** `bInitialId`: the Identifier for the method's first Request (server side). */
  readonly initialId?: number;
  /** During `begin` (server): the user's attributes; after `authenticate`: the provider's result attributes. */
  readonly userAttributes?: readonly AuthAttribute[];
  /** `fAuthenticationComplete`: this call carries the provider's answer. */
  readonly authenticationComplete?: boolean;
  /** `dwAuthResultCode`: the provider's result, 0 for success. */
  readonly authResultCode?: number;
  /** `fSuccessPacketReceived`: the lower layer saw traffic that implies an EAP-Success (client). */
  readonly successPacketReceived?: boolean;
  /** `fDataReceivedFromInteractiveUI` + the data; a copy the method may keep. */
  readonly dataFromInteractiveUi?: Uint8Array;
  /** `pConnectionData` (Begin only). */
  readonly connectionData?: Uint8Array;
  /** `pUserData` (Begin only). */
  readonly userData?: Uint8Array;
  /** netrx: the `pendingWork` of the previous output has finished (see `PendingWork`). */
  readonly workComplete?: boolean;
}

/**
 * netrx's addition to `PPP_EAP_OUTPUT`: work the method started that finishes
 * after `makeMessage` returned. RAS methods compute synchronously (SChannel
 * does); a TLS engine on Node's `tls` produces its flight a few event-loop
 * turns after it is fed. The method answers `none` with `pendingWork`; the
 * framework waits (Requests and Responses arriving meanwhile are discarded
 * as busy, as during a provider call) and then calls `makeMessage(null,
 * { workComplete: true })`. `whenDone` must call `done` exactly once.
 */
export interface PendingWork {
  whenDone(done: () => void): void;
}

/** `fInvokeInteractiveUI` + `pUIContextData`. */
export interface InteractiveUiRequest {
  readonly contextData: Uint8Array;
}

/** `PPP_EAP_OUTPUT`. */
export interface EapOutput {
  readonly action: EapAction;
  /** `pSendPacket`: required for the four send actions, ignored otherwise. */
  readonly packet?: EapPacket;
  /** `dwAuthResultCode`, read on `done` and `send-and-done`: 0 means success. */
  readonly authResultCode?: number;
  /**
   * `pUserAttributes`: for `authenticate`, what the provider checks (User-Name,
   * CHAP-Challenge…); on `done`/`send-and-done` with result 0, attributes
   * returned to the framework (MS-MPPE keys), overriding the provider's of the
   * same type.
   */
  readonly userAttributes?: readonly AuthAttribute[];
  readonly invokeInteractiveUi?: InteractiveUiRequest;
  /** `fSaveConnectionData` + `pConnectionData`. */
  readonly saveConnectionData?: Uint8Array;
  /** `fSaveUserData` + `pUserData`. */
  readonly saveUserData?: Uint8Array;
  /** netrx: why, for traces and the session result (a rejected certificate's check). */
  readonly reason?: string;
  /** netrx: with `none`, work that re-enters the method when done (`PendingWork`). */
  readonly pendingWork?: PendingWork;
}

/**
 * A non-NO_ERROR return of `RasEapMakeMessage`. `ERROR_PPP_INVALID_PACKET`
 * (722) discards the received packet and the session goes on; any other
 * number ends the session with that number as its result.
 */
export interface EapMethodError {
  readonly error: number;
  /** For traces and people. */
  readonly reason?: string;
}

export type EapMakeMessageResult = EapOutput | EapMethodError;

export function isMethodError(result: EapMakeMessageResult): result is EapMethodError {
  return (result as Partial<EapMethodError>).error !== undefined;
}

/**
 * An EAP method: `RasEapGetInfo`'s info plus the three per-session entry
 * points. `W` is the method's work state (`pWorkBuf`), opaque to the framework.
 * `begin` may throw a coded error (`NetrxError` with a `number`) to refuse the
 * session; `end` is always called once after `begin` succeeded, whatever the
 * outcome, and no call follows it.
 */
export interface EapMethod<W = unknown> {
  readonly info: EapMethodInfo;
  /** `RasEapInitialize(TRUE/FALSE)`, optional. */
  initialize?(initialize: boolean): void;
  begin(input: EapInput): W;
  end(workState: W): void;
  /**
   * `received` null: the dialogue starts, a retransmission timer expired (send
   * the last packet again, same Identifier), or a completion arrived (see
   * `input`); the method tells them apart from its own state and `input`.
   * `sendCapacity` is the most bytes the framework can send (`cbSendPacket`).
   */
  makeMessage(
    workState: W,
    received: EapPacket | null,
    sendCapacity: number,
    input?: EapInput,
  ): EapMakeMessageResult;
  /**
   * netrx, authenticator side, optional: the work state as bytes while the
   * method awaits the peer's Response (the framework asks only then), so
   * another process can take the next round: the servers of a cluster seal
   * it into a shared bucket (radius/conversation-kv.ts). Undefined when it
   * cannot leave the process now; a method with a TLS engine has none. The
   * bytes may hold key material: the caller seals them before they leave.
   */
  saveState?(workState: W): Uint8Array | undefined;
  /**
   * The inverse of `saveState`, given the `begin` input the framework would
   * give; undefined for bytes it does not take. Never throws.
   */
  restoreState?(saved: Uint8Array, input: EapInput): W | undefined;
}

/** Shorthand for a method's "discard this packet" answer. */
export function invalidPacket(reason: string): EapMethodError {
  return { error: 722, reason };
}

/** Whether a method can run on the given side. */
export function methodSupports(info: EapMethodInfo, side: 'peer' | 'authenticator'): boolean {
  return (info.flags & (side === 'peer' ? EapMethodFlag.Peer : EapMethodFlag.Authenticator)) !== 0;
}

/** Whether a method's type is `type` (and, for 254, `expanded`). */
export function methodMatches(
  info: EapMethodInfo,
  type: number,
  expanded: ExpandedType | undefined,
): boolean {
  if (info.type !== type) return false;
  if (type !== 254) return true;
  return (
    info.expanded !== undefined &&
    expanded !== undefined &&
    info.expanded.vendorId === expanded.vendorId &&
    info.expanded.vendorType === expanded.vendorType
  );
}
