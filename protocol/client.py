"""Async client for the dynamips hypervisor protocol (ours or a real dynamips).

    async with await HypervisorClient.connect("127.0.0.1", 7200) as hv:
        version = (await hv.send("hypervisor version"))[0]
        await hv.send('vm create R1 1 c7200')

`send` returns the texts of every reply line, the final one included (``["OK"]`` for a plain
success); an error reply raises `HypervisorError` carrying its code and text.
"""
from __future__ import annotations

import asyncio

from .codec import encode_text, parse_reply_line


class HypervisorError(Exception):
    """A 2xx reply: `code` is the status code, `text` the message after ``NNN-``."""

    def __init__(self, code: int, text: str, command: str = "") -> None:
        super().__init__(f"{code}-{text}" + (f" (command: {command})" if command else ""))
        self.code = code
        self.text = text
        self.command = command


class ProtocolViolation(Exception):
    """The server sent something that is not a valid reply."""


def quote(arg: object) -> str:
    """Quote an argument for a command line (no escapes exist in the protocol)."""
    text = str(arg)
    if '"' in text or "\n" in text or "\r" in text:
        raise ValueError(f"argument cannot be sent through the protocol: {text!r}")
    return f'"{text}"'


class HypervisorClient:
    """One connection; commands are sent one at a time and answered in order."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._lock = asyncio.Lock()

    @classmethod
    async def connect(cls, host: str = "127.0.0.1", port: int = 7200,
                      timeout: float = 10.0) -> "HypervisorClient":
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        return cls(reader, writer)

    async def send(self, command: str) -> list[str]:
        """Send one command line; return the reply texts or raise `HypervisorError`."""
        async with self._lock:
            self._writer.write(encode_text(command.strip()) + b"\n")
            await self._writer.drain()
            texts = []
            while True:
                raw = await self._reader.readline()
                if not raw:
                    raise ConnectionError(f"hypervisor closed the connection during {command!r}")
                line = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
                try:
                    code, final, text = parse_reply_line(line)
                except ValueError as exc:
                    raise ProtocolViolation(str(exc)) from None
                if final and code >= 200:
                    raise HypervisorError(code, text, command)
                texts.append(text)
                if final:
                    return texts

    async def call(self, module: str, command: str, *args: object) -> list[str]:
        """Send ``module command "arg" ...`` with every argument quoted."""
        return await self.send(" ".join([module, command, *(quote(a) for a in args)]))

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    async def __aenter__(self) -> "HypervisorClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
