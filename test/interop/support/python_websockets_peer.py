"""python websockets (Debian python3-websockets) as an interop peer for netrx.

  python3 python_websockets_peer.py client URL (--compression | --no-compression)
      Runs a fixed exchange against an echo server and prints one JSON line of
      what it saw (the TypeScript suite asserts on it).

  python3 python_websockets_peer.py server (--compression | --no-compression | --deflate JSON)
      Runs an echo server on 127.0.0.1, port chosen by the OS, and prints
      `listening on ws://127.0.0.1:PORT/` once ready. Stops on SIGTERM.
      `--deflate JSON` enables permessage-deflate with those settings (keys
      of ServerPerMessageDeflateFactory) instead of the defaults.

  python3 python_websockets_peer.py mix-client URL MIXFILE (--compression | --deflate JSON)
      Sends the messages of MIXFILE.json / MIXFILE.bin (a seeded mix the
      TypeScript suite wrote) one by one, compares every echo byte for byte
      with what it sent, and prints one JSON line: the extensions agreed and
      the mismatches (index, sent and received type and length).
"""

import asyncio
import hashlib
import json
import sys

import websockets
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

MAX_SIZE = 2**24
TEXT = "héllo wörld ✓ κόσμε 🎉 netrx"


def pattern(n, seed):
    """Deterministic bytes: SHA-256 in counter mode."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d:%d" % (seed, counter)).digest()
        counter += 1
    return bytes(out[:n])


def sha256(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def describe_extensions(ws):
    described = []
    for ext in ws.extensions:
        item = {"name": ext.name}
        for attr in (
            "remote_no_context_takeover",
            "local_no_context_takeover",
            "remote_max_window_bits",
            "local_max_window_bits",
        ):
            if hasattr(ext, attr):
                item[attr] = getattr(ext, attr)
        described.append(item)
    return described


async def echo_of(ws, message):
    await ws.send(message)
    echo = await asyncio.wait_for(ws.recv(), 30)
    return {
        "sent_type": type(message).__name__,
        "type": type(echo).__name__,
        "length": len(echo),
        "equal": echo == message,
        "sha256": sha256(echo),
        "expected_sha256": sha256(message),
    }


async def client(url, compression):
    results = {"websockets": websockets.__version__, "python": sys.version.split()[0]}
    async with websockets.connect(
        url,
        compression="deflate" if compression else None,
        max_size=MAX_SIZE,
        ping_interval=None,
    ) as ws:
        results["response_extensions"] = ws.response_headers.get("Sec-WebSocket-Extensions")
        results["extensions"] = describe_extensions(ws)
        results["text"] = await echo_of(ws, TEXT)
        results["binary"] = await echo_of(ws, bytes(range(256)) * 4)
        results["binary_1MiB"] = await echo_of(ws, pattern(2**20, 1))
        results["text_1MiB"] = await echo_of(ws, ("netrx κόσμε " * 100000)[: 2**20])
        results["compressible_1MiB"] = await echo_of(ws, b"\x00" * 2**20)
        pong = await ws.ping(b"netrx ping")
        await asyncio.wait_for(pong, 10)
        results["ping"] = "answered"
        await ws.close(code=1000, reason="done")
        results["close"] = {"code": ws.close_code, "reason": ws.close_reason}
    print(json.dumps(results), flush=True)


def deflate_kwargs(settings_json):
    """Factory keyword arguments from the suite's JSON (memLevel 5 as websockets' default)."""
    settings = json.loads(settings_json)
    settings.setdefault("compress_settings", {"memLevel": 5})
    return settings


async def mix_client(url, mixfile, settings_json):
    with open(mixfile + ".json", encoding="utf-8") as f:
        index = json.load(f)
    with open(mixfile + ".bin", "rb") as f:
        blob = f.read()
    if settings_json is None:
        options = {"compression": "deflate"}
    else:
        options = {
            "compression": None,
            "extensions": [ClientPerMessageDeflateFactory(**deflate_kwargs(settings_json))],
        }
    mismatches = []
    async with websockets.connect(url, max_size=MAX_SIZE, ping_interval=None, **options) as ws:
        agreed = ws.response_headers.get("Sec-WebSocket-Extensions")
        for i, item in enumerate(index):
            data = blob[item["offset"] : item["offset"] + item["length"]]
            message = data.decode("utf-8") if item["text"] else data
            await ws.send(message)
            echo = await asyncio.wait_for(ws.recv(), 30)
            if type(echo) is not type(message) or echo != message:
                mismatches.append(
                    {
                        "index": i,
                        "sent": [type(message).__name__, len(data)],
                        "received": [
                            type(echo).__name__,
                            len(echo.encode("utf-8") if isinstance(echo, str) else echo),
                        ],
                    }
                )
        await ws.close(code=1000, reason="mix done")
    print(
        json.dumps({"extensions": agreed, "messages": len(index), "mismatches": mismatches}),
        flush=True,
    )


async def echo(ws, *_path):
    async for message in ws:
        await ws.send(message)


async def server(compression, settings_json=None):
    if settings_json is None:
        options = {"compression": "deflate" if compression else None}
    else:
        options = {
            "compression": None,
            "extensions": [ServerPerMessageDeflateFactory(**deflate_kwargs(settings_json))],
        }
    async with websockets.serve(
        echo,
        "127.0.0.1",
        0,
        max_size=MAX_SIZE,
        ping_interval=None,
        **options,
    ) as running:
        port = running.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{port}/", flush=True)
        await asyncio.Future()


def main(argv):
    if len(argv) >= 2 and argv[0] == "client" and argv[-1] in ("--compression", "--no-compression"):
        asyncio.run(client(argv[1], argv[-1] == "--compression"))
    elif len(argv) == 2 and argv[0] == "server" and argv[1] in ("--compression", "--no-compression"):
        asyncio.run(server(argv[1] == "--compression"))
    elif len(argv) == 3 and argv[0] == "server" and argv[1] == "--deflate":
        asyncio.run(server(True, argv[2]))
    elif len(argv) == 4 and argv[0] == "mix-client" and argv[3] == "--compression":
        asyncio.run(mix_client(argv[1], argv[2], None))
    elif len(argv) == 5 and argv[0] == "mix-client" and argv[3] == "--deflate":
        asyncio.run(mix_client(argv[1], argv[2], argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
