"""impacket as an MS-LREC client that streams what it receives, for readers that judge it elsewhere.

Usage: lrec_impacket_stream.py PORT SESSION TOTAL

Binds to the LREC interface (22e5386d-8b12-4bf0-b0ec-6a1ea419e366 v1.0) over
ncacn_ip_tcp, opens SESSION (opnum 0) and calls RpcNetEventReceiveData
(opnum 1) in a loop, printing each EVENT_BUFFER as one line "buffer HEX",
until the EventRecords plus the NET_EVENT_LOST counts received reach TOTAL
(a receive blocks while the session is empty, and impacket's calls cannot
overlap, so the client must know when to stop). Every response stub is
decoded by impacket's NDR classes (lrec_ndr.py). Then the session is closed
(opnum 2) and the last line is "closed RECEIVES". The caller walks the
buffers again in full (per host of
origin, per provider), which a fixed-layout check here could not do for a
fan-in session that mixes providers.
Run with Debian's /usr/bin/python3 (python3-impacket).
"""
import json
import struct
import sys

from impacket.dcerpc.v5 import transport
from impacket.uuid import uuidtup_to_bin

from lrec_ndr import (NdrMismatch, RpcNetEventCloseSession, RpcNetEventOpenSession,
                      RpcNetEventReceiveData, decode_stub)

LREC = ('22e5386d-8b12-4bf0-b0ec-6a1ea419e366', '1.0')


def fail(message):
    print(json.dumps({'ok': False, 'error': message}), flush=True)
    sys.exit(1)


def call(dce, opnum, stub):
    dce.call(opnum, stub)
    answer = dce.recv()
    try:
        return answer, decode_stub('response', opnum, answer)
    except NdrMismatch as error:
        fail(str(error))


def accounted(buffer):
    """EventRecords plus lost counts in one EVENT_BUFFER (items back to back, MS-LREC 2.2.2.1)."""
    at = 0
    count = 0
    while at < len(buffer):
        size, kind = struct.unpack_from('<IH', buffer, at)
        if size < 8 or at + size > len(buffer):
            fail('bad DataSize %d at %d' % (size, at))
        if kind == 1:
            count += 1
        elif kind == 2:
            count += struct.unpack_from('<I', buffer, at + 8)[0]
        at += size
    return count


def main():
    port, session, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rpc = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % port)
    dce = rpc.get_dce_rpc()
    dce.connect()
    dce.bind(uuidtup_to_bin(LREC))
    units = len(session) + 1
    open_stub = struct.pack('<III', units, 0, units) + (session + '\0').encode('utf-16-le')
    open_ndr = RpcNetEventOpenSession()
    open_ndr['LoggerName'] = session + '\0'
    if open_ndr.getData() != open_stub:
        fail('impacket marshals the open differently')
    stub, _ = call(dce, 0, open_stub)
    handle, status = stub[:20], struct.unpack_from('<I', stub, 20)[0]
    if status != 0:
        fail('open status %d' % status)
    receive_ndr = RpcNetEventReceiveData()
    receive_ndr['SessionHandle'] = handle
    if receive_ndr.getData() != handle:
        fail('impacket marshals the receive differently')
    receives = 0
    received = 0
    while received < total:
        stub, decoded = call(dce, 1, handle)
        receives += 1
        if decoded['status'] != 0:
            fail('receive status %d' % decoded['status'])
        received += accounted(decoded['buffer'])
        print('buffer ' + decoded['buffer'].hex(), flush=True)
    closed, _ = call(dce, 2, handle)
    if closed != b'\0' * 20:
        fail('close returned %s' % closed.hex())
    dce.disconnect()
    print('closed %d' % receives, flush=True)


if __name__ == '__main__':
    main()
