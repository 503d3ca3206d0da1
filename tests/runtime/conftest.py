"""Fixtures for running VMs: a daemon whose VMs run in real worker processes."""
from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from ..hypervisor.daemon_process import free_port

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"
TELNET_NEGOTIATION_END = b'\xff\xfe"'


@pytest.fixture
def console_elf(tmp_path) -> Path:
    image = tmp_path / "console.elf"
    shutil.copy(FIRMWARE / "console.elf", image)
    return image


class TelnetConsole:
    """A console client over a real TCP connection (the telnet side is ours)."""

    def __init__(self, reader, writer) -> None:
        self.reader, self.writer = reader, writer
        self.seen = bytearray()

    @classmethod
    async def connect(cls, port: int, timeout: float = 10.0) -> "TelnetConsole":
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port),
                                                timeout)
        return cls(reader, writer)

    async def expect(self, text: bytes, timeout: float = 20.0) -> bytes:
        """Read until `text` appears after what was already consumed; return it all."""
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in self.seen:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"{text!r} not seen; got {bytes(self.seen[-500:])!r}")
            chunk = await asyncio.wait_for(self.reader.read(65536), left)
            if not chunk:
                raise AssertionError(f"console closed; got {bytes(self.seen[-500:])!r}")
            self.seen += chunk
        end = self.seen.index(text) + len(text)
        out = bytes(self.seen[:end])
        del self.seen[:end]
        return out

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


async def create_router(client, name: str, instance: int, image: Path, ram: int = 64,
                        console: bool = True) -> int | None:
    await client.send(f"vm create {name} {instance} c7200")
    await client.send(f'vm set_ios {name} "{image}"')
    await client.send(f"vm set_ram {name} {ram}")
    if not console:
        return None
    port = free_port()
    await client.send(f"vm set_con_tcp_port {name} {port}")
    return port
