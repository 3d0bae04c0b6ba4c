/**
 * Framing one queued send operation (send-operation.ts) into the buffers
 * of a `send-to-network` action: control frames whole, data as text,
 * binary or continuation frames split at `sendBufferSize`, a whole message
 * compressed when deflate is negotiated and its size asks for it, pieces
 * behind one header as they are, a prepared frame as it was built. The
 * send path (send-path.ts) keeps the state across operations (which
 * fragmented message is being framed, the close framed, the counters).
 */
import { MAX_CONTROL_PAYLOAD, Opcode, type KnownOpcode } from '../wire/websocket/index.js';
import { writeFrames, writePiecesFrame, type MaskKeySource } from './frame-writer.js';
import type { PerMessageDeflateSession } from './permessage-deflate.js';
import type { SendOperation } from './send-operation.js';

/** `Opcode` of a control operation (`ping-pong`, `unsolicited-pong`, `close`). */
function controlOpcode(bufferType: SendOperation['bufferType']): KnownOpcode {
  if (bufferType === 'close') return Opcode.Close;
  return bufferType === 'ping-pong' ? Opcode.Ping : Opcode.Pong;
}

/**
 * Appends `op`'s frames to `buffers` and returns their byte length.
 * `continuing`: a fragmented message of this kind is being framed, so a
 * data operation goes out as continuation frames (and never compressed).
 * `masks`: a client's mask keys (none for a server); `deflate`: the
 * negotiated compression, if any; `sendBufferSize`: the largest data frame.
 */
export function frameOperation(
  op: SendOperation,
  continuing: boolean,
  masks: MaskKeySource | undefined,
  deflate: PerMessageDeflateSession | undefined,
  sendBufferSize: number,
  buffers: Uint8Array[],
): number {
  switch (op.bufferType) {
    case 'ping-pong':
    case 'unsolicited-pong':
    case 'close':
      return writeFrames(
        { opcode: controlOpcode(op.bufferType), fin: true, rsv1: false, payload: op.data },
        MAX_CONTROL_PAYLOAD,
        masks,
        buffers,
      );
    default: {
      if (op.framed !== undefined) {
        // Only whole messages are prepared, never between fragments (queuePrepared).
        buffers.push(op.framed);
        return op.framed.length;
      }
      const fin = op.bufferType.endsWith('message');
      const opcode = continuing
        ? Opcode.Continuation
        : op.bufferType.startsWith('utf8')
          ? Opcode.Text
          : Opcode.Binary;
      // Compress whole messages only (a fragmented send is sent as given),
      // unless the caller asked for this one uncompressed: one frame, no RSV1.
      const compress =
        !continuing && fin && !op.uncompressed && deflate?.shouldCompress(op.data.length) === true;
      const payload = compress ? deflate.deflate(op.data) : op.data;
      if (op.pieces !== undefined) return writePiecesFrame(opcode, fin, op.pieces, buffers);
      return writeFrames({ opcode, fin, rsv1: compress, payload }, sendBufferSize, masks, buffers);
    }
  }
}
