/**
 * The netrx LREC RPC client, sans-I/O: it builds the PDUs of a bind and of
 * the three calls, and turns the server's bytes back into answers (a
 * reassembled response stub, a fault, a bind_ack or bind_nak). The Node
 * client (`netrx capture tail`) moves the bytes. Calls are serial, as on a
 * connection without CONC_MPX. Bounded like the server: fragments by the
 * framer, reassembled responses by `maxResponseBytes`.
 */
import {
  PduFramer,
  StubAssembler,
  encodeBind,
  encodeRequest,
  parsePdu,
  NDR20_SYNTAX,
  type DecodeFailure,
  type PresentationContext,
  type SyntaxId,
} from '../../wire/index.js';
import { LrecOpnum, encodeOpenRequest } from './ndr.js';
import { LREC_INTERFACE } from './server.js';

export type ClientAnswer =
  | {
      readonly kind: 'bind_ack' | 'alter_context_resp';
      readonly callId: number;
      readonly assocGroup: number;
      readonly maxXmitFrag: number;
      readonly results: readonly { readonly result: number; readonly reason: number }[];
    }
  | { readonly kind: 'bind_nak'; readonly callId: number; readonly reason: number }
  | { readonly kind: 'response'; readonly callId: number; readonly stub: Uint8Array }
  | {
      readonly kind: 'fault';
      readonly callId: number;
      readonly status: number;
      readonly flags: number;
    }
  | { readonly kind: 'broken'; readonly failure: DecodeFailure };

export interface LrecRpcClientOptions {
  /** Fragment size offered (max_xmit and max_recv). Default 5840. */
  readonly maxFragLength?: number;
  /** Largest reassembled response. Default 16 MiB. */
  readonly maxResponseBytes?: number;
}

const NDR20: SyntaxId = { uuid: NDR20_SYNTAX.uuid, major: NDR20_SYNTAX.version, minor: 0 };
const LREC: SyntaxId = LREC_INTERFACE;

export class LrecRpcClient {
  private readonly framer: PduFramer;
  private readonly assembler: StubAssembler;
  private readonly maxFragLength: number;
  private nextCallId = 1;
  private sendFrag: number;
  contextId = 0;

  constructor(options: LrecRpcClientOptions = {}) {
    this.maxFragLength = options.maxFragLength ?? 5840;
    this.sendFrag = this.maxFragLength;
    this.framer = new PduFramer(0xffff);
    this.assembler = new StubAssembler(options.maxResponseBytes ?? 16 << 20);
  }

  /** A bind for the LREC interface over NDR20 (context 0), or the contexts given. */
  bind(contexts?: readonly PresentationContext[], assocGroup = 0): Uint8Array {
    return encodeBind({
      kind: 'bind',
      callId: this.nextCallId++,
      maxXmitFrag: this.maxFragLength,
      maxRecvFrag: this.maxFragLength,
      assocGroup,
      contexts: contexts ?? [{ id: 0, abstractSyntax: LREC, transferSyntaxes: [NDR20] }],
    });
  }

  /** A request for `opnum` with `stub`; returns its call_id and bytes. */
  call(opnum: number, stub: Uint8Array): { readonly callId: number; readonly bytes: Uint8Array } {
    const callId = this.nextCallId++;
    const bytes = encodeRequest({ callId, contextId: this.contextId, opnum, stub }, this.sendFrag);
    return { callId, bytes };
  }

  open(name: string) {
    return this.call(LrecOpnum.open, encodeOpenRequest(name));
  }

  receive(handle: Uint8Array) {
    return this.call(LrecOpnum.receive, handle);
  }

  close(handle: Uint8Array) {
    return this.call(LrecOpnum.close, handle);
  }

  /** Bytes from the server; complete answers in order. */
  push(chunk: Uint8Array): ClientAnswer[] {
    const out: ClientAnswer[] = [];
    const framed = this.framer.push(chunk);
    if (!framed.ok) return [{ kind: 'broken', failure: framed.failure }];
    for (const bytes of framed.pdus) {
      const parsed = parsePdu(bytes);
      if (!parsed.ok) return [...out, { kind: 'broken', failure: parsed.failure }];
      const pdu = parsed.value;
      switch (pdu.kind) {
        case 'bind_ack':
        case 'alter_context_resp':
          this.sendFrag = Math.min(this.maxFragLength, pdu.maxRecvFrag);
          out.push({
            kind: pdu.kind,
            callId: pdu.header.callId,
            assocGroup: pdu.assocGroup,
            maxXmitFrag: pdu.maxXmitFrag,
            results: pdu.results,
          });
          break;
        case 'bind_nak':
          out.push({ kind: 'bind_nak', callId: pdu.header.callId, reason: pdu.reason });
          break;
        case 'fault':
          out.push({
            kind: 'fault',
            callId: pdu.header.callId,
            status: pdu.status,
            flags: pdu.header.flags,
          });
          break;
        case 'response': {
          const step = this.assembler.add(pdu.header.callId, pdu.header.flags, pdu.stub);
          if (step.status === 'failed') return [...out, { kind: 'broken', failure: step.failure }];
          // A single-fragment stub is a view into `chunk`: copy it, the caller may keep it.
          if (step.status === 'complete') {
            out.push({ kind: 'response', callId: pdu.header.callId, stub: step.stub.slice() });
          }
          break;
        }
        default:
          return [
            ...out,
            {
              kind: 'broken',
              failure: {
                code: 'unexpected-pdu',
                message: `A server sent PDU type ${pdu.header.type}`,
              },
            },
          ];
      }
    }
    return out;
  }
}
