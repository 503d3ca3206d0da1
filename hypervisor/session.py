"""What a command handler sees: the shared hypervisor and its own connection's state."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .daemon import Hypervisor


@dataclass
class Session:
    """One client connection's state (asyncssh-style: small, one per connection)."""

    hypervisor: "Hypervisor"
    peer: str = ""
    close_requested: bool = False    # `hypervisor close`: reply, then close this socket
    stop_requested: bool = False     # `hypervisor stop`: reply, then stop the daemon
    commands: int = 0
