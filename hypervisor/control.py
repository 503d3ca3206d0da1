"""Messages between the daemon, the launcher and the workers (pure framing, no I/O policy).

Every channel is an AF_UNIX SOCK_SEQPACKET socket pair, so one send is one message and no
length prefix is needed. A message is one kind byte and its payload:

    J  a JSON object: requests, replies and events ({"op": ..., ...})
    C  console bytes (worker → daemon: guest output; daemon → worker: user input)
    A  the same for the AUX port

Console data is cut into `MAX_DATA` pieces so a message always fits the socket buffer.
"""
from __future__ import annotations

import json
import socket

KIND_JSON = b"J"
KIND_CONSOLE = b"C"
KIND_AUX = b"A"
MAX_DATA = 16 * 1024
MAX_MESSAGE = 256 * 1024


def channel_pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


def encode_json(op: str, **fields) -> bytes:
    return KIND_JSON + json.dumps({"op": op, **fields}, separators=(",", ":")).encode()


def encode_data(kind: bytes, data: bytes) -> list[bytes]:
    return [kind + data[i:i + MAX_DATA] for i in range(0, len(data), MAX_DATA)]


def decode(message: bytes) -> tuple[bytes, object]:
    """(kind, payload): a dict for JSON messages, bytes for console data."""
    kind, payload = message[:1], message[1:]
    if kind == KIND_JSON:
        return kind, json.loads(payload)
    return kind, payload
