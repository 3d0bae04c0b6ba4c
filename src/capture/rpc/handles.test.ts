// Context handles the RPC runtime refuses versus handles the method refuses
// (docs/seeds.md, 003 decision 13): an unknown or NULL handle is a fault
// before the method runs; a handle the association knows, whose session
// has since stopped, reaches the method and fails with its Win32 status.
import { describe, expect, it } from 'vitest';
import { TestPeer, receiveContents, rpcSetup } from '../../../test/support/capture-rpc-kit.js';

const NCA_S_CONTEXT_MISMATCH = 0x1c00001a;
const ERROR_INVALID_HANDLE = 6;

function faultStatus(peer: TestPeer): number {
  const answer = peer.take();
  if (answer?.kind !== 'fault') throw new Error(`expected a fault: ${JSON.stringify(answer)}`);
  return answer.status;
}

describe('LREC RPC server: context handles', () => {
  it('faults a NULL handle with nca_s_context_mismatch, on Receive and on Close', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    peer.write(peer.client.receive(new Uint8Array(20)).bytes);
    expect(faultStatus(peer)).toBe(NCA_S_CONTEXT_MISMATCH);
    peer.write(peer.client.close(new Uint8Array(20)).bytes);
    expect(faultStatus(peer)).toBe(NCA_S_CONTEXT_MISMATCH);
    expect(server.stats().faults).toEqual({ '0x1c00001a': 2 });
  });

  it('lets a known handle whose session stopped reach the method: ERROR_INVALID_HANDLE (6) from Receive and from Close', () => {
    const { server, session } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const { handle, status } = peer.open();
    expect(status).toBe(0);
    session.stop();
    peer.write(peer.client.receive(handle).bytes);
    expect(receiveContents(peer.take())).toEqual({
      status: ERROR_INVALID_HANDLE,
      seqs: [],
      lost: 0,
    });
    // Close is a void method: its status travels as a fault, but the method's, not the runtime's.
    peer.write(peer.client.close(handle).bytes);
    expect(faultStatus(peer)).toBe(ERROR_INVALID_HANDLE);
    expect(server.stats().faults).toEqual({ '0x00000006': 1 });
  });
});
