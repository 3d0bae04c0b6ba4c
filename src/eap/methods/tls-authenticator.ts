/**
 * EAP-TLS, authenticator side (RFC 5216 §2.1, RFC 9190 §2.1). Sends the
 * Start, reassembles the peer's fragments (acknowledging each), feeds whole
 * TLS messages to the engine, fragments the engine's answer to the send
 * capacity (one fragment per Request, the peer ACKing each), and once the
 * handshake is done and its last flight acknowledged, sends Success with the
 * MPPE keys. Under TLS 1.3 the last flight carries the commitment message
 * (one byte 0x00 of application data). A TLS failure (a client certificate
 * the CA did not sign, an alert from the peer) sends the engine's alert, if
 * any, and then Failure, with the reason in the result.
 *
 * A tunnel (PEAP, TTLS: `profile.tunnel`) runs its phase 2 where EAP-TLS
 * would send Success: the peer's ACK of the last handshake flight starts it;
 * what the tunnel writes is encrypted by the engine and sent in fragments
 * like any TLS message, what the peer sends is decrypted and handed to it;
 * the tunnel ends the method with success (Success and the keys) or failure.
 */
import { EapCode, EapType, isEapMessage, type EapPacket } from '../../wire/eap.js';
import { EapAction, invalidPacket, type EapInput, type EapMakeMessageResult } from '../contract.js';
import { EapResultCode } from '../result-codes.js';
import { userNameAttribute } from '../attributes.js';
import { isTlsAck, parseTlsTypeData, TlsFlag } from '../tls/framing.js';
import { CLIENT_HELLO, helloRandom, SERVER_HELLO } from '../tls/keys.js';
import { TlsFragmenter } from '../tls/reassembly.js';
import {
  authenticatorKeyAttributes,
  deriveKeys,
  engineFailure,
  fatalAlertRecord,
  flagsOnly,
  joinOutput,
  newChannel,
  tlsMessage,
  typeDataCapacity,
  type TlsChannel,
  type TlsMethodOptions,
  type TlsMethodProfile,
  type TunnelAuthenticator,
  type TunnelStep,
} from './tls-common.js';

export interface TlsAuthenticatorState {
  readonly side: 'authenticator';
  /**
   * start: nothing sent; handshake: TLS in progress; final: the last flight
   * went out, the peer's ACK ends it with Success; failing: an alert went
   * out, the peer's answer ends it with Failure; tunnel: phase 2 of PEAP/TTLS; done.
   */
  phase: 'start' | 'handshake' | 'final' | 'failing' | 'tunnel' | 'done';
  readonly channel: TlsChannel;
  identifier: number;
  lastRequest: EapPacket | undefined;
  commitmentSent: boolean;
  /** Set while the engine works; the Response being answered. */
  working: boolean;
  /** Phase 2 of a tunnel, once started. */
  tunnel: TunnelAuthenticator | undefined;
  /** What the engine works on in phase 2: a received message (feed) or the tunnel's answer (write). */
  tunnelWork: 'feed' | 'write' | undefined;
  /** A tunnel's provider call is outstanding. */
  authenticating: boolean;
  /** Phase 2 succeeded; the engine's last records (TLS 1.3 tickets) went out, the peer's ACK ends it. */
  successAfterFlush: { readonly reason: string; readonly identity?: string } | undefined;
  /** `begin`'s input, for the tunnel's phase 2. */
  readonly input: EapInput;
}

export function beginTlsAuthenticator(
  options: TlsMethodOptions,
  input: EapInput,
): TlsAuthenticatorState {
  return {
    side: 'authenticator',
    phase: 'start',
    channel: newChannel(options),
    identifier: ((input.initialId ?? 0) - 1) & 0xff,
    lastRequest: undefined,
    commitmentSent: false,
    working: false,
    tunnel: undefined,
    tunnelWork: undefined,
    authenticating: false,
    successAfterFlush: undefined,
    input,
  };
}

export function tlsAuthenticatorMessage(
  options: TlsMethodOptions,
  profile: TlsMethodProfile,
  state: TlsAuthenticatorState,
  received: EapPacket | null,
  sendCapacity: number,
  input: EapInput | undefined,
): EapMakeMessageResult {
  const channel = state.channel;
  const capacity = typeDataCapacity(sendCapacity);

  const request = (typeData: Uint8Array): EapMakeMessageResult => {
    state.identifier = (state.identifier + 1) & 0xff;
    state.lastRequest = tlsMessage(EapCode.Request, state.identifier, typeData, profile.type);
    return { action: EapAction.SendWithTimeout, packet: state.lastRequest };
  };
  const finish = (success: boolean, reason: string, identity?: string): EapMakeMessageResult => {
    state.phase = 'done';
    if (success) {
      const keys = deriveKeys(channel, profile.type, profile.keyLabel);
      if (typeof keys === 'string') return finish(false, keys);
      const attributes = authenticatorKeyAttributes(keys);
      return {
        action: EapAction.SendAndDone,
        packet: { code: EapCode.Success, identifier: state.identifier },
        authResultCode: 0,
        // The tunnel's inner identity as User-Name (RAS's raatUserName in pUserAttributes):
        // the authenticated user, where the outer identity may be anonymous.
        userAttributes:
          identity === undefined || identity === ''
            ? attributes
            : [...attributes, userNameAttribute(identity)],
        reason,
      };
    }
    channel.failure ??= reason;
    return {
      action: EapAction.SendAndDone,
      packet: { code: EapCode.Failure, identifier: state.identifier },
      authResultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE,
      reason: channel.failure,
    };
  };
  const nextFragment = (): EapMakeMessageResult => {
    const sending = channel.sending as TlsFragmenter;
    const { typeData } = sending.next(capacity);
    if (sending.done) channel.sending = undefined;
    return request(typeData);
  };
  const startSending = (message: Uint8Array): EapMakeMessageResult => {
    channel.sending = new TlsFragmenter(message, {
      versionBits: profile.version,
      ...(options.lengthOnUnfragmented === undefined
        ? {}
        : { lengthOnUnfragmented: options.lengthOnUnfragmented }),
    });
    return nextFragment();
  };

  const pending = (engine: NonNullable<TlsChannel['engine']>): EapMakeMessageResult => {
    state.working = true;
    return {
      action: EapAction.NoAction,
      pendingWork: { whenDone: (done) => engine.whenSettled(done) },
    };
  };
  /** Carries out one phase-2 step of the tunnel. */
  const tunnelStep = (step: TunnelStep): EapMakeMessageResult => {
    const engine = channel.engine;
    if (engine === undefined || engine.state !== 'established') {
      return finish(false, channel.failure ?? 'TLS tunnel not established');
    }
    switch (step.kind) {
      case 'write':
        try {
          engine.writeApplicationData(step.data);
        } catch (error) {
          return finish(
            false,
            `TLS tunnel: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        state.tunnelWork = 'write';
        return pending(engine);
      case 'authenticate':
        state.authenticating = true;
        return { action: EapAction.Authenticate, userAttributes: step.attributes };
      case 'success': {
        // TLS 1.3 NewSessionTickets the engine wrote after the handshake that no tunnel
        // answer carried yet (TTLS/PAP answers nothing in the tunnel): deliver them before
        // Success when they can be used, so the next authentication can resume.
        const pending = joinOutput(channel.pendingOutput);
        channel.pendingOutput = [];
        if (pending.length > 0 && engine.resumable === true) {
          state.successAfterFlush =
            step.identity === undefined
              ? { reason: step.reason }
              : { reason: step.reason, identity: step.identity };
          return startSending(pending);
        }
        return finish(true, step.reason, step.identity);
      }
      case 'failure':
        return finish(false, step.reason);
    }
  };

  if (input?.authenticationComplete === true) {
    if (!state.authenticating || state.tunnel === undefined) {
      return invalidPacket('no authentication pending');
    }
    state.authenticating = false;
    return tunnelStep(state.tunnel.completed(input));
  }

  if (input?.workComplete === true && state.phase === 'tunnel') {
    if (!state.working || channel.engine === undefined) return invalidPacket('no TLS work pending');
    state.working = false;
    const engine = channel.engine;
    channel.pendingOutput.push(engine.takeOutput());
    if (engine.state !== 'established') return finish(false, engineFailure(engine));
    const work = state.tunnelWork;
    state.tunnelWork = undefined;
    if (work === 'feed') {
      const data = engine.takeApplicationData();
      if (data.length === 0) return finish(false, 'the peer sent TLS records with no tunnel data');
      return tunnelStep((state.tunnel as TunnelAuthenticator).receive(data));
    }
    const output = joinOutput(channel.pendingOutput);
    channel.pendingOutput = [];
    if (output.length === 0)
      return finish(false, 'the TLS engine had nothing to send for the tunnel');
    return startSending(output);
  }

  if (input?.workComplete === true) {
    if (!state.working || channel.engine === undefined) return invalidPacket('no TLS work pending');
    state.working = false;
    const engine = channel.engine;
    channel.pendingOutput.push(engine.takeOutput());
    if (
      engine.state === 'established' &&
      engine.protocol === 'TLSv1.3' &&
      !state.commitmentSent &&
      profile.type === EapType.Tls
    ) {
      // RFC 9190 §2.5: no more handshake messages follow; say so with one byte 0x00.
      state.commitmentSent = true;
      engine.writeApplicationData(Uint8Array.of(0));
      state.working = true;
      return {
        action: EapAction.NoAction,
        pendingWork: { whenDone: (done) => engine.whenSettled(done) },
      };
    }
    const output = joinOutput(channel.pendingOutput);
    channel.pendingOutput = [];
    if (engine.state === 'failed' || engine.state === 'closed') {
      channel.failure = engineFailure(engine);
      const alert = engine.error?.alert;
      // A check made after the handshake (Node's): the output is a finished-looking flight, not
      // an alert; send a fatal alert of our own instead so the peer's TLS fails too.
      const answer = alert !== undefined ? fatalAlertRecord(alert) : output;
      if (answer.length === 0) return finish(false, channel.failure);
      state.phase = 'failing';
      return startSending(answer);
    }
    channel.serverRandom ??= helloRandom(output, SERVER_HELLO);
    if (engine.state === 'established' && profile.tunnel !== undefined) {
      // RFC 9427 §3: under TLS 1.3 the peer's Finished may come with its first tunnel data
      // (the netrx TTLS peer sends its AVPs with it), so look for application data before
      // another round trip. The records the engine wrote meanwhile (its NewSessionTickets)
      // go out ahead of the tunnel's first answer.
      const data = engine.takeApplicationData();
      if (data.length > 0) {
        channel.pendingOutput = output.length === 0 ? [] : [output];
        state.phase = 'tunnel';
        state.tunnel = profile.tunnel.authenticator(state.input);
        return tunnelStep(state.tunnel.receive(data));
      }
    }
    if (output.length === 0 && engine.state === 'established' && profile.tunnel !== undefined) {
      // A resumed TLS 1.2 handshake ends with the peer's Finished: the server has nothing
      // left to send but phase 2 is still to run. An empty Request gives the peer the turn
      // (TTLS sends its AVPs, PEAP ACKs), as the last flight of a full handshake does.
      state.phase = 'final';
      return request(flagsOnly(profile.version));
    }
    if (output.length === 0) {
      return engine.state === 'established'
        ? finish(true, 'TLS handshake complete')
        : finish(false, 'the TLS engine had nothing to send to an incomplete handshake');
    }
    state.phase = engine.state === 'established' ? 'final' : 'handshake';
    return startSending(output);
  }

  if (received === null) {
    if (state.phase === 'start') {
      state.phase = 'handshake';
      return request(flagsOnly(TlsFlag.Start | profile.version));
    }
    // A timeout: the same Request again, same Identifier.
    if (
      state.lastRequest !== undefined &&
      state.phase !== 'done' &&
      !state.working &&
      !state.authenticating
    ) {
      return { action: EapAction.SendWithTimeout, packet: state.lastRequest };
    }
    return { action: EapAction.NoAction };
  }

  if (!isEapMessage(received) || received.code !== EapCode.Response) {
    return invalidPacket('not an EAP-TLS Response');
  }
  if (state.working) return invalidPacket('TLS engine busy');
  if (state.authenticating) return invalidPacket('authentication in progress');
  if (received.identifier !== state.identifier) return invalidPacket('wrong Identifier');
  const parsed = parseTlsTypeData(received.typeData);
  if (!parsed.ok) return invalidPacket(`malformed EAP-TLS Response: ${parsed.reason}`);
  const value = parsed.value;
  if (profile.type !== EapType.Tls && value.version !== profile.version) {
    return finish(
      false,
      `peer answered ${profile.name} version ${value.version}, not ${profile.version}`,
    );
  }

  if (channel.sending !== undefined) {
    if (!isTlsAck(value)) {
      return finish(false, 'peer sent data while the server was sending fragments (ACK expected)');
    }
    return nextFragment();
  }
  if (state.phase === 'failing') return finish(false, channel.failure ?? 'TLS failed');
  if (state.successAfterFlush !== undefined) {
    const { reason, identity } = state.successAfterFlush;
    if (!isTlsAck(value)) return finish(false, 'peer sent data after phase 2 succeeded');
    return finish(true, reason, identity);
  }
  if (isTlsAck(value)) {
    if (state.phase === 'final' && profile.tunnel !== undefined) {
      state.phase = 'tunnel';
      state.tunnel = profile.tunnel.authenticator(state.input);
      return tunnelStep(state.tunnel.start());
    }
    if (state.phase === 'final') return finish(true, 'TLS handshake complete');
    return finish(false, 'peer sent an empty Response where TLS data was expected');
  }
  if (value.start) return finish(false, 'peer set the Start flag');
  const result = channel.reassembler.push(value);
  if (result.kind === 'error') return finish(false, `TLS fragment reassembly: ${result.reason}`);
  if (result.kind === 'fragment') return request(flagsOnly(profile.version));
  if (state.phase === 'final' && profile.tunnel !== undefined) {
    // The peer speaks first in the tunnel (TTLS: its AVPs answer the server's Finished).
    state.phase = 'tunnel';
    state.tunnel = profile.tunnel.authenticator(state.input);
  }
  if (state.phase === 'tunnel') {
    const engine = channel.engine as NonNullable<TlsChannel['engine']>;
    engine.feed(result.data);
    state.tunnelWork = 'feed';
    return pending(engine);
  }
  if (channel.engine === undefined) {
    try {
      channel.engine = options.engines.create('server');
    } catch (error) {
      return finish(false, `TLS engine: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  channel.clientRandom ??= helloRandom(result.data, CLIENT_HELLO);
  const engine = channel.engine;
  engine.feed(result.data);
  state.working = true;
  return {
    action: EapAction.NoAction,
    pendingWork: { whenDone: (done) => engine.whenSettled(done) },
  };
}
