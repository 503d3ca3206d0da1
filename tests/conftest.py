"""Shared fixtures: a real hypervisor on a real TCP socket, and clients for it."""
from __future__ import annotations

import asyncio
import re

import pytest

from hypervisor.daemon import Hypervisor, Options
from hypervisor.server import HypervisorServer
from protocol.client import HypervisorClient

FINAL = re.compile(rb"^\d{3}-.*\r\n", re.M)


@pytest.fixture
def options() -> Options:
    return Options()


@pytest.fixture
async def server(tmp_path, options):
    hv = Hypervisor(options, working_dir=tmp_path)
    srv = HypervisorServer(hv, "127.0.0.1", 0)
    await srv.start()
    yield srv
    await srv.shutdown()


@pytest.fixture
async def client(server):
    c = await HypervisorClient.connect("127.0.0.1", server.bound_port)
    yield c
    await c.close()


class RawConnection:
    """Bytes in, reply lines out: for framing tests the client library would hide."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_finals(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """Every reply line up to and including the `count`-th final line."""
        lines: list[bytes] = []
        finals = 0
        while finals < count:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
            if not line:
                raise ConnectionError(f"closed after {lines!r}")
            lines.append(line)
            if FINAL.match(line):
                finals += 1
        return lines

    async def exchange(self, data: bytes, count: int = 1) -> list[bytes]:
        await self.send(data)
        return await self.read_finals(count)

    async def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def raw(server):
    reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
    conn = RawConnection(reader, writer)
    yield conn
    await conn.close()
