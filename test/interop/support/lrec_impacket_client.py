"""impacket as an MS-LREC client of a netrx capture server, with hand-marshalled NDR20.

Usage: lrec_impacket_client.py PORT SESSION GENERATED

Binds to 22e5386d-8b12-4bf0-b0ec-6a1ea419e366 v1.0 over ncacn_ip_tcp, calls
RpcNetEventOpenSession (opnum 0), RpcNetEventReceiveData (opnum 1) until the
events delivered plus the NET_EVENT_LOST counts reach GENERATED, and
RpcNetEventCloseSession (opnum 2). Checks every EVENT_BUFFER byte layout on
the way (MS-LREC 2.2.2.1, 2.3.2; research notes 1.4) and prints one JSON line.
Also provokes the faults impacket surfaces: opnum 7, an unknown handle and an
Open stub over the server's maxRequestBytes (fragmented, 20 KB).
Every request stub is also marshalled by impacket's NDR classes
(lrec_ndr.py) and must equal the hand-marshalled bytes, and every response
stub is decoded by them (decode + re-marshal must give the same bytes) and
must agree with the hand parser.

    lrec_impacket_client.py decode FILE

decodes, with the same classes, the stubs tshark extracted from the wire
(FILE: lines "pkt_type<TAB>opnum<TAB>hex") and walks the EVENT_BUFFERs: the
interop test compares its counts with what the client reported.
Run with Debian's /usr/bin/python3 (python3-impacket).
"""
import json
import struct
import sys
import uuid

from impacket.dcerpc.v5 import transport
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.uuid import uuidtup_to_bin

from lrec_ndr import (NdrMismatch, RpcNetEventCloseSession, RpcNetEventOpenSession,
                      RpcNetEventReceiveData, decode_stub, self_test)

LREC = ('22e5386d-8b12-4bf0-b0ec-6a1ea419e366', '1.0')
SYNTHETIC = uuid.UUID('6e657472-782d-7379-6e74-686574696300').bytes_le  # netrx-synthetic, Windows order
MAX_REQUEST_BYTES = 16384  # the server's default maxRequestBytes
NDR64 = ('71710533-beba-4937-8319-b5dbef9ccc36', '1.0')


def fail(message):
    print(json.dumps({'ok': False, 'error': message}))
    sys.exit(1)


def open_request(name):
    units = len(name) + 1
    return struct.pack('<III', units, 0, units) + (name + '\0').encode('utf-16-le')


def parse_receive(stub):
    length, referent = struct.unpack_from('<II', stub, 0)
    if referent == 0:
        (status,) = struct.unpack_from('<I', stub, 8)
        return b'', status
    (max_count,) = struct.unpack_from('<I', stub, 8)
    if max_count != length:
        fail('max_count %d != BufferLength %d' % (max_count, length))
    buffer = stub[12:12 + length]
    at = (12 + length + 3) & ~3
    (status,) = struct.unpack_from('<I', stub, at)
    if at + 4 != len(stub):
        fail('%d bytes after the status' % (len(stub) - at - 4))
    return buffer, status


def walk(buffer, seqs):
    """Items back to back; returns the lost count (a lost item must be last)."""
    at = 0
    lost = 0
    while at < len(buffer):
        size, kind, flags = struct.unpack_from('<IHH', buffer, at)
        if size < 8 or at + size > len(buffer):
            fail('bad DataSize %d at %d' % (size, at))
        payload = buffer[at + 8:at + size]
        last = at + size == len(buffer)
        if kind == 1:
            (rec_size,) = struct.unpack_from('<H', payload, 0)
            provider = payload[24:40]
            (event_id,) = struct.unpack_from('<H', payload, 40)
            reserved = payload[81]
            user_len, _ext_off, user_off = struct.unpack_from('<HHH', payload, 86)
            if provider != SYNTHETIC or event_id != 1:
                fail('unexpected provider %s id %d' % (provider.hex(), event_id))
            if user_off != 0x60 or reserved != 0x08 or payload[92:96] != b'\0\0\0\0':
                fail('EventRecord layout: offset %#x reserved %#x' % (user_off, reserved))
            if rec_size != 0x60 + user_len or len(payload) != 0x60 + user_len:
                fail('EventRecord size %d, user data %d, payload %d' % (rec_size, user_len, len(payload)))
            (seq,) = struct.unpack_from('<Q', payload, 0x60)
            seqs.append(seq)
        elif kind == 2:
            if not last or size != 12:
                fail('NET_EVENT_LOST not last or not 12 bytes')
            (count,) = struct.unpack_from('<I', payload, 0)
            lost += count
        else:
            fail('unknown DataType %d' % kind)
        if last and flags != 0x0100:
            fail('last item flags %#x' % flags)
        at += size
    return lost


def checked_call(dce, opnum, stub, ndr_request):
    """Sends the hand-marshalled stub after checking impacket marshals the same; decodes the answer both ways."""
    if ndr_request.getData() != stub:
        fail('opnum %d: impacket marshals %s, hand-marshalled %s' % (opnum, ndr_request.getData().hex(), stub.hex()))
    dce.call(opnum, stub)
    answer = dce.recv()
    try:
        return answer, decode_stub('response', opnum, answer)
    except NdrMismatch as error:
        fail(str(error))


def decode_wire(path):
    """The stubs tshark saw, decoded by impacket's NDR classes; EVENT_BUFFERs walked."""
    counts = {}
    seqs = []
    lost = 0
    statuses = {}
    for line in open(path):
        parts = line.rstrip('\n').split('\t')
        if len(parts) != 3 or parts[2] == '':
            continue
        kind = {'0': 'request', '2': 'response'}[parts[0]]
        opnum = int(parts[1])
        stub = bytes.fromhex(parts[2].replace(':', ''))
        if kind == 'request' and len(stub) > MAX_REQUEST_BYTES:
            # The oversize Open the client sends on purpose: faulted, never an LREC stub.
            key = 'oversize_request%d' % opnum
            counts[key] = counts.get(key, 0) + 1
            continue
        try:
            fields = decode_stub(kind, opnum, stub)
        except NdrMismatch as error:
            fail('on the wire: ' + str(error))
        key = '%s%d' % (kind, opnum)
        counts[key] = counts.get(key, 0) + 1
        if 'status' in fields:
            statuses[str(fields['status'])] = statuses.get(str(fields['status']), 0) + 1
        if 'buffer' in fields:
            lost += walk(fields['buffer'], seqs)
    print(json.dumps({'ok': True, 'counts': counts, 'delivered': len(seqs), 'lost': lost,
                      'distinct': len(set(seqs)), 'statuses': statuses}))


def main():
    if sys.argv[1] == 'decode':
        return decode_wire(sys.argv[2])
    self_test()  # the NDR check can fail: subtly wrong stubs are refused
    port, session, generated = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rpc = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % port)
    dce = rpc.get_dce_rpc()
    dce.connect()
    # NDR64 alone is refused (provider rejection): impacket raises on the bind_ack.
    try:
        dce.bind(uuidtup_to_bin(LREC), transfer_syntax=NDR64)
        fail('NDR64 bind accepted')
    except DCERPCException as error:
        ndr64 = str(error)
    dce = rpc.get_dce_rpc()
    dce.connect()
    dce.bind(uuidtup_to_bin(LREC))

    open_ndr = RpcNetEventOpenSession()
    open_ndr['LoggerName'] = session + '\0'
    stub, decoded = checked_call(dce, 0, open_request(session), open_ndr)
    handle, status = stub[:20], struct.unpack_from('<I', stub, 20)[0]
    if status != 0 or handle == b'\0' * 20:
        fail('open status %d' % status)
    if decoded != {'handle': handle, 'status': status}:
        fail('impacket decodes the open response as %r' % decoded)
    handle_ndr = {}
    for name, cls in (('receive', RpcNetEventReceiveData), ('close', RpcNetEventCloseSession)):
        handle_ndr[name] = cls()
        handle_ndr[name]['SessionHandle'] = handle

    faults = {}
    # An Open whose stub (20 KB, fragmented by impacket) is over the server's 16 KiB
    # maxRequestBytes: impacket must name the fault nca_s_fault_remote_no_memory (0x1c00001b).
    oversize_open = open_request(session) + b'\0' * (MAX_REQUEST_BYTES + 3616)
    for name, opnum, body in (('opnum7', 7, handle), ('unknown_handle', 1, b'\x00' * 4 + b'\x42' * 16),
                              ('oversize_open', 0, oversize_open)):
        try:
            dce.call(opnum, body)
            dce.recv()
            fail('%s did not fault' % name)
        except DCERPCException as error:
            faults[name] = str(error)

    seqs = []
    lost = 0
    receives = 0
    largest = 0
    while len(seqs) + lost < generated and receives < 100000:
        stub, decoded = checked_call(dce, 1, handle, handle_ndr['receive'])
        buffer, status = parse_receive(stub)
        if decoded != {'buffer': buffer, 'status': status}:
            fail('impacket decodes a receive response differently from the hand parser')
        receives += 1
        if status != 0:
            fail('receive status %d' % status)
        largest = max(largest, len(buffer))
        lost += walk(buffer, seqs)

    if any(b <= a for a, b in zip(seqs, seqs[1:])):
        fail('sequence numbers out of order')
    if seqs and seqs[-1] >= generated:
        fail('sequence %d beyond %d generated' % (seqs[-1], generated))

    closed, decoded = checked_call(dce, 2, handle, handle_ndr['close'])
    if decoded != {'handle': closed}:
        fail('impacket decodes the close response as %r' % decoded)
    if closed != b'\0' * 20:
        fail('close returned %s' % closed.hex())
    dce.disconnect()
    print(json.dumps({
        'ok': True,
        'delivered': len(seqs),
        'lost': lost,
        'receives': receives,
        'largestBuffer': largest,
        'faults': faults,
        'ndr64': ndr64,
    }))


if __name__ == '__main__':
    main()
