/**
 * EAP-TLS, peer side (RFC 5216 §2.1, RFC 9190 §2.1). A Start Request starts
 * the engine (its ClientHello is the first Response); fragments are
 * reassembled and acknowledged; whole TLS messages go to the engine, its
 * answer goes back in fragments (each acknowledged by the authenticator);
 * with nothing to say the peer ACKs. Success is accepted only once the
 * handshake finished — under TLS 1.3, only after the commitment message —
 * so a server that skips the handshake cannot fake the outcome. When the
 * engine rejects the server (CA, expiry, name, EKU), the peer answers with a
 * fatal alert and ends in failure with the engine's reason.
 *
 * A tunnel (PEAP, TTLS: `profile.tunnel`) goes on after the handshake: the
 * application data the authenticator sends is handed to the tunnel's phase
 * 2, its answer is encrypted and sent back in fragments; Success is accepted
 * only once phase 2 succeeded. The version bits of the Start are answered
 * with the profile's version (PEAPv0: 0), the highest this side speaks.
 */
import { EapCode, EapType, isEapMessage, type EapPacket } from '../../wire/eap.js';
import { EapAction, invalidPacket, type EapInput, type EapMakeMessageResult } from '../contract.js';
import { EapResultCode } from '../result-codes.js';
import { encodeTlsTypeData, isTlsAck, parseTlsTypeData } from '../tls/framing.js';
import { CLIENT_HELLO, helloRandom, SERVER_HELLO } from '../tls/keys.js';
import { TlsFragmenter } from '../tls/reassembly.js';
import {
  deriveKeys,
  engineFailure,
  fatalAlertRecord,
  flagsOnly,
  joinOutput,
  newChannel,
  peerKeyAttributes,
  tlsMessage,
  typeDataCapacity,
  type TlsChannel,
  type TlsMethodOptions,
  type TlsMethodProfile,
  type TunnelPeer,
  type TunnelSession,
  type TunnelStep,
} from './tls-common.js';
import type { TlsEngine } from '../tls/engine.js';

/** TLS handshake_failure (RFC 8446 §6.2). */
const HANDSHAKE_FAILURE_ALERT = 40;

export interface TlsPeerState {
  readonly side: 'peer';
  readonly channel: TlsChannel;
  /** The Identifier of the Request being answered. */
  answering: number;
  working: boolean;
  /** TLS 1.3: the server's commitment message (0x00) arrived. */
  committed: boolean;
  done: boolean;
  /** Phase 2 of a tunnel, once the first tunnel data arrived. */
  tunnel: TunnelPeer | undefined;
  /** `begin`'s input, for the tunnel's phase 2. */
  readonly input: EapInput;
}

export function beginTlsPeer(options: TlsMethodOptions, input: EapInput): TlsPeerState {
  return {
    side: 'peer',
    channel: newChannel(options),
    answering: 0,
    working: false,
    committed: false,
    done: false,
    tunnel: undefined,
    input,
  };
}

export function tlsPeerMessage(
  options: TlsMethodOptions,
  profile: TlsMethodProfile,
  state: TlsPeerState,
  received: EapPacket | null,
  sendCapacity: number,
  input: EapInput | undefined,
): EapMakeMessageResult {
  const channel = state.channel;
  const capacity = typeDataCapacity(sendCapacity);

  const respond = (typeData: Uint8Array): EapMakeMessageResult => ({
    action: EapAction.Send,
    packet: tlsMessage(EapCode.Response, state.answering, typeData, profile.type),
  });
  const fail = (reason: string, typeData?: Uint8Array): EapMakeMessageResult => {
    state.done = true;
    channel.failure ??= reason;
    const result = {
      authResultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE,
      reason: channel.failure,
    };
    return typeData === undefined
      ? { action: EapAction.Done, ...result }
      : {
          action: EapAction.SendAndDone,
          packet: tlsMessage(EapCode.Response, state.answering, typeData, profile.type),
          ...result,
        };
  };
  /** A fatal alert if it fits one packet of the send capacity, else an ACK (Flags alone). */
  const alertOrAck = (alert: number): Uint8Array => {
    const record = fatalAlertRecord(alert);
    return record.length + 1 <= capacity
      ? tlsTypeData(record, profile.version)
      : flagsOnly(profile.version);
  };
  const nextFragment = (): EapMakeMessageResult => {
    const sending = channel.sending as TlsFragmenter;
    const { typeData } = sending.next(capacity);
    if (sending.done) channel.sending = undefined;
    return respond(typeData);
  };
  const work = (): EapMakeMessageResult => {
    const engine = channel.engine;
    if (engine === undefined) return fail('no TLS engine');
    state.working = true;
    return {
      action: EapAction.NoAction,
      pendingWork: { whenDone: (done) => engine.whenSettled(done) },
    };
  };
  const succeed = (): EapMakeMessageResult => {
    if (state.working || channel.sending !== undefined) {
      return fail('Success arrived before the TLS exchange finished');
    }
    const engine = channel.engine;
    if (engine === undefined || engine.state !== 'established') {
      return fail('Success arrived before the TLS handshake finished');
    }
    // A resumed TLS 1.3 session is exempt: hostapd 2.10 sends Success right after the peer's
    // Finished there, without the commitment (wpa_supplicant accepts it). The server proved the
    // resumption secret with its Finished; the MSK comes from this handshake's exporter.
    if (
      engine.protocol === 'TLSv1.3' &&
      !state.committed &&
      profile.type === EapType.Tls &&
      engine.resumed !== true
    ) {
      return fail('Success arrived before the TLS 1.3 commitment message (RFC 9190 §2.5)');
    }
    if (profile.tunnel !== undefined && state.tunnel?.succeeded !== true) {
      return fail(`Success arrived before ${profile.name} phase 2 succeeded`);
    }
    const keys = deriveKeys(channel, profile.type, profile.keyLabel);
    if (typeof keys === 'string') return fail(keys);
    state.done = true;
    // A later resumption of this session may skip phase 2 (PEAP: what hostapd does).
    if (profile.tunnel !== undefined) engine.markPhase2Succeeded?.();
    return {
      action: EapAction.Done,
      authResultCode: 0,
      userAttributes: peerKeyAttributes(keys),
      reason:
        profile.tunnel === undefined
          ? `TLS handshake complete (${engine.protocol ?? 'TLS'}${engine.resumed === true ? ', resumed' : ''})`
          : `${profile.name} phase 2 ${state.tunnel?.phase2Skipped === true ? 'skipped' : 'succeeded'} (${engine.protocol ?? 'TLS'}${engine.resumed === true ? ', resumed' : ''})`,
    };
  };

  if (state.done) return invalidPacket('EAP-TLS already finished');

  if (input?.workComplete === true) {
    const engine = channel.engine;
    if (!state.working || engine === undefined) return invalidPacket('no TLS work pending');
    state.working = false;
    if (engine.state === 'failed' || engine.state === 'closed') {
      const output = engine.takeOutput();
      const alert = engine.error === undefined ? HANDSHAKE_FAILURE_ALERT : engine.error.alert;
      // Node's checks run after the handshake and send no alert: send ours, never the flight.
      // Otherwise OpenSSL's own alert goes out if it fits one packet, else an ACK.
      if (alert !== undefined) return fail(engineFailure(engine), alertOrAck(alert));
      const inOne = output.length > 0 && output.length + 1 <= capacity;
      return fail(
        engineFailure(engine),
        inOne ? tlsTypeData(output, profile.version) : flagsOnly(profile.version),
      );
    }
    const data = engine.takeApplicationData();
    channel.pendingOutput.push(engine.takeOutput());
    let opening: TunnelStep | undefined;
    if (
      profile.tunnel !== undefined &&
      state.tunnel === undefined &&
      data.length === 0 &&
      engine.state === 'established'
    ) {
      // The handshake just finished: a tunnel whose peer speaks first (TTLS) does so now.
      state.tunnel = profile.tunnel.peer(state.input, tunnelSession(engine));
      opening = state.tunnel.start?.();
    }
    if (profile.tunnel !== undefined && (data.length > 0 || opening !== undefined)) {
      if (engine.state !== 'established')
        return fail('tunnel data before the TLS handshake finished');
      state.tunnel ??= profile.tunnel.peer(state.input, tunnelSession(engine));
      const step = opening ?? state.tunnel.receive(data, state.answering);
      if (step.kind !== 'write') {
        return fail(
          step.kind === 'failure'
            ? step.reason
            : `unexpected ${step.kind} in ${profile.name} phase 2`,
        );
      }
      try {
        engine.writeApplicationData(step.data);
      } catch (error) {
        return fail(`TLS tunnel: ${error instanceof Error ? error.message : String(error)}`);
      }
      return work();
    }
    if (data.length > 0 && data[0] === 0) state.committed = true;
    const output = joinOutput(channel.pendingOutput);
    channel.pendingOutput = [];
    channel.clientRandom ??= helloRandom(output, CLIENT_HELLO);
    if (output.length === 0) return respond(flagsOnly(profile.version));
    channel.sending = new TlsFragmenter(output, {
      versionBits: profile.version,
      ...(options.lengthOnUnfragmented === undefined
        ? {}
        : { lengthOnUnfragmented: options.lengthOnUnfragmented }),
    });
    return nextFragment();
  }

  if (received === null) {
    if (input?.successPacketReceived === true) return succeed();
    // The peer never retransmits: the framework answers duplicates from its cache.
    return { action: EapAction.NoAction };
  }
  if (received.code === EapCode.Success) return succeed();
  if (received.code === EapCode.Failure) {
    return fail(
      channel.engine?.state === 'failed' ? engineFailure(channel.engine) : 'EAP-Failure received',
    );
  }
  if (!isEapMessage(received) || received.code !== EapCode.Request) {
    return invalidPacket('not an EAP-TLS Request');
  }
  if (state.working) return invalidPacket('TLS engine busy');
  const parsed = parseTlsTypeData(received.typeData);
  if (!parsed.ok) return invalidPacket(`malformed EAP-TLS Request: ${parsed.reason}`);
  const value = parsed.value;
  state.answering = received.identifier;

  if (value.start) {
    if (channel.engine !== undefined) return invalidPacket('a second EAP-TLS Start');
    try {
      channel.engine = options.engines.create('client');
    } catch (error) {
      return fail(`TLS engine: ${error instanceof Error ? error.message : String(error)}`);
    }
    return work();
  }
  if (channel.engine === undefined) return invalidPacket('EAP-TLS data before Start');
  if (channel.sending !== undefined) {
    if (!isTlsAck(value)) {
      return fail(
        'server sent data while the peer was sending fragments (ACK expected)',
        flagsOnly(profile.version),
      );
    }
    return nextFragment();
  }
  if (isTlsAck(value)) {
    const engine = channel.engine;
    if (profile.tunnel === undefined || engine.state !== 'established') {
      return invalidPacket('an ACK with no fragment outstanding');
    }
    // An empty Request after the handshake gives the peer the turn for phase 2: the server
    // of a resumed TLS 1.2 session has nothing left to send after the peer's Finished.
    // TTLS speaks first (its AVPs, if not sent yet); PEAP acknowledges and waits.
    if (state.tunnel === undefined) {
      state.tunnel = profile.tunnel.peer(state.input, tunnelSession(engine));
      const opening = state.tunnel.start?.();
      if (opening !== undefined) {
        if (opening.kind !== 'write') {
          return fail(opening.kind === 'failure' ? opening.reason : `unexpected ${opening.kind}`);
        }
        try {
          engine.writeApplicationData(opening.data);
        } catch (error) {
          return fail(`TLS tunnel: ${error instanceof Error ? error.message : String(error)}`);
        }
        return work();
      }
    }
    return respond(flagsOnly(profile.version));
  }
  const result = channel.reassembler.push(value);
  if (result.kind === 'error') {
    return fail(`TLS fragment reassembly: ${result.reason}`, alertOrAck(HANDSHAKE_FAILURE_ALERT));
  }
  if (result.kind === 'fragment') return respond(flagsOnly(profile.version));
  channel.serverRandom ??= helloRandom(result.data, SERVER_HELLO);
  channel.engine.feed(result.data);
  return work();
}

/** What the tunnel's phase 2 may know of the session under it. */
function tunnelSession(engine: TlsEngine): TunnelSession {
  return { resumedAfterPhase2: engine.resumed === true && engine.resumedAfterPhase2 === true };
}

/** One unfragmented TLS message as Type-Data (Flags: the version bits only, no length). */
function tlsTypeData(records: Uint8Array, version: number): Uint8Array {
  return encodeTlsTypeData(version, undefined, records);
}
