"""MS-LREC's three methods as impacket NDR classes (impacket.dcerpc.v5.ndr), so
stubs are decoded by code nobody here wrote, not by the hand parsers.

A stub is accepted only if impacket decodes it AND marshals the decoded value
back to exactly the same bytes: trailing bytes, a wrong max_count, a NULL
pointer with data behind it, missing padding or a short buffer all fail.

    decode_stub(kind, opnum, stub) -> dict   (raises NdrMismatch)

Used by lrec_impacket_client.py on every call it makes, and by the interop
test on every stub tshark shows it on the wire (`decode` mode).
"""
from impacket.dcerpc.v5.dtypes import DWORD, ULONG, WSTR
from impacket.dcerpc.v5.ndr import NDRCALL, NDRPOINTER, NDRSTRUCT, NDRUniConformantArray


class NdrMismatch(Exception):
    pass


# typedef [context_handle] void* PSESSION_HANDLE: 20 bytes on the wire (attributes + GUID).
class SESSION_HANDLE(NDRSTRUCT):
    structure = (('Data', '20s=b""'),)


class BYTE_ARRAY(NDRUniConformantArray):
    item = 'c'


class PBYTE_ARRAY(NDRPOINTER):
    referent = (('Data', BYTE_ARRAY),)


# typedef struct { unsigned long BufferLength; [size_is(BufferLength)] byte* Buffer; } EVENT_BUFFER;
class EVENT_BUFFER(NDRSTRUCT):
    structure = (('BufferLength', ULONG), ('Buffer', PBYTE_ARRAY))


class RpcNetEventOpenSession(NDRCALL):
    opnum = 0
    structure = (('LoggerName', WSTR),)  # [in, string] wchar_t*: a top-level ref pointer


class RpcNetEventOpenSessionResponse(NDRCALL):
    structure = (('SessionHandle', SESSION_HANDLE), ('ErrorCode', DWORD))


class RpcNetEventReceiveData(NDRCALL):
    opnum = 1
    structure = (('SessionHandle', SESSION_HANDLE),)


class RpcNetEventReceiveDataResponse(NDRCALL):
    structure = (('EventBuffer', EVENT_BUFFER), ('ErrorCode', DWORD))


class RpcNetEventCloseSession(NDRCALL):
    opnum = 2
    structure = (('SessionHandle', SESSION_HANDLE),)


class RpcNetEventCloseSessionResponse(NDRCALL):
    structure = (('SessionHandle', SESSION_HANDLE),)


CLASSES = {
    ('request', 0): RpcNetEventOpenSession,
    ('response', 0): RpcNetEventOpenSessionResponse,
    ('request', 1): RpcNetEventReceiveData,
    ('response', 1): RpcNetEventReceiveDataResponse,
    ('request', 2): RpcNetEventCloseSession,
    ('response', 2): RpcNetEventCloseSessionResponse,
}


def decode_stub(kind, opnum, stub):
    """Decodes one LREC stub with impacket; returns its fields, or raises NdrMismatch."""
    cls = CLASSES.get((kind, opnum))
    if cls is None:
        raise NdrMismatch('no LREC %s for opnum %d' % (kind, opnum))
    try:
        value = cls(stub)
        again = value.getData()
    except Exception as error:  # impacket raises whatever its struct unpacking raises
        raise NdrMismatch('%s opnum %d: impacket cannot decode %s: %r' % (kind, opnum, stub.hex(), error))
    if again != stub:
        raise NdrMismatch('%s opnum %d: %d bytes re-marshal to %d (%s vs %s)' % (
            kind, opnum, len(stub), len(again), stub.hex()[:96], again.hex()[:96]))
    try:
        return fields(kind, opnum, value)
    except NdrMismatch:
        raise
    except Exception as error:
        raise NdrMismatch('%s opnum %d: fields of %s: %r' % (kind, opnum, stub.hex(), error))


def fields(kind, opnum, value):
    out = {}
    if kind == 'request' and opnum == 0:
        out['name'] = value['LoggerName'].rstrip('\0')
    if (kind, opnum) in (('response', 0), ('request', 1), ('request', 2), ('response', 2)):
        out['handle'] = value['SessionHandle']
    if (kind, opnum) in (('response', 0), ('response', 1)):
        out['status'] = value['ErrorCode']
    if kind == 'response' and opnum == 1:
        buffer = value['EventBuffer']
        items = buffer['Buffer']  # impacket hands the referent's items back (b'' for NULL)
        data = b''.join(items) if isinstance(items, list) else bytes(items)
        if len(data) != buffer['BufferLength']:
            raise NdrMismatch('BufferLength %d, %d bytes' % (buffer['BufferLength'], len(data)))
        out['buffer'] = data
    return out


def self_test():
    """The check must be able to fail: stubs that are subtly wrong are refused."""
    import struct
    handle = b'\0' * 4 + bytes(range(16))
    good = struct.pack('<III', 4, 0x20000, 4) + b'abcd' + struct.pack('<I', 0)
    assert decode_stub('response', 1, good)['buffer'] == b'abcd'
    assert decode_stub('response', 1, struct.pack('<III', 0, 0, 0))['buffer'] == b''
    bad = {
        'max_count != BufferLength': struct.pack('<III', 4, 0x20000, 5) + b'abcd\0' + b'\0' * 3 + struct.pack('<I', 0),
        'no pad before the status': struct.pack('<III', 3, 0x20000, 3) + b'abc' + struct.pack('<I', 0),
        'trailing bytes': good + b'\0\0\0\0',
        'NULL pointer with data': struct.pack('<III', 4, 0, 4) + b'abcd' + struct.pack('<I', 0),
        'short buffer': struct.pack('<III', 8, 0x20000, 8) + b'abcd',
    }
    for name, stub in bad.items():
        try:
            decode_stub('response', 1, stub)
        except NdrMismatch:
            continue
        raise AssertionError('impacket accepted a bad receive response: ' + name)
    open_req = struct.pack('<III', 3, 0, 3) + 'ab\0'.encode('utf-16-le')
    assert decode_stub('request', 0, open_req)['name'] == 'ab'
    for name, stub in {
        'open: odd length': open_req[:-1],
        'open response short': handle,
        'receive: handle short': handle[:19],
        'close response long': handle + b'\0\0\0\0',
    }.items():
        kind, opnum = {'open: odd length': ('request', 0), 'open response short': ('response', 0),
                       'receive: handle short': ('request', 1), 'close response long': ('response', 2)}[name]
        try:
            decode_stub(kind, opnum, stub)
        except NdrMismatch:
            continue
        raise AssertionError('impacket accepted a bad stub: ' + name)
    return len(bad) + 4
