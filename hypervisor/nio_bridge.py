"""A NIO bridge (`nio_bridge`): a hub. Every frame received on a port goes out of every
other port, unchanged, at once (event-driven, like the switch)."""
from __future__ import annotations

from .nio import Nio


class NioBridge:
    kind = "NIO bridge"

    def __init__(self, name: str) -> None:
        self.name = name
        self.ports: list[Nio] = []
        self.closed = False

    def can_add(self, nio: Nio) -> bool:
        return not nio.owners or nio.owners == {self}

    def add_nio(self, nio: Nio) -> None:
        if nio in self.ports:
            return
        if not self.can_add(nio):
            raise ValueError(f"NIO '{nio.name}' is already used")
        self.ports.append(nio)
        nio.owners.add(self)
        nio.set_receiver(self._receive)

    def remove_nio(self, nio: Nio) -> bool:
        if nio not in self.ports:
            return False
        self.ports.remove(nio)
        nio.owners.discard(self)
        if not nio.owners:
            nio.set_receiver(None)
        return True

    def _receive(self, source: Nio, frame: bytes) -> None:
        for nio in self.ports:
            if nio is not source:
                nio.send(frame)

    def config_commands(self) -> list[str]:
        return [f'nio_bridge create "{self.name}"',
                *(f'nio_bridge add_nio "{self.name}" {nio.name}' for nio in self.ports)]

    def close(self) -> None:
        for nio in list(self.ports):
            self.remove_nio(nio)
        self.closed = True
