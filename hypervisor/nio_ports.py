"""Ports of a switch that connects circuits (frsw, atmsw): one per NIO, counted by use.

A NIO becomes a port when its first circuit is created and stops being one when its last
circuit is deleted: the switch is then no longer its owner (so `nio delete` works again)
and no longer its receiver.
"""
from __future__ import annotations

from .nio import Nio


class CircuitPorts:
    """Mixin: `self.ports` maps NIO -> port object (`port_class(nio)`, with a `refs` count);
    frames received on a port go to `self.switch(port, frame)`."""

    port_class: type

    def _hold(self, nio: Nio):
        port = self.ports.get(nio)
        if port is None:
            port = self.ports[nio] = self.port_class(nio)
            nio.owners.add(self)
            nio.set_receiver(lambda _nio, data, port=port: self.switch(port, data))
        port.refs += 1
        return port

    def _release(self, nio: Nio) -> None:
        port = self.ports[nio]
        port.refs -= 1
        if port.refs <= 0:
            del self.ports[nio]
            nio.owners.discard(self)
            if not nio.owners:
                nio.set_receiver(None)
