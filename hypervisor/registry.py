"""The object registry every connection shares: named objects, one namespace per kind.

As in dynamips, a name is unique within its kind (a VM and a NIO may both be called R1),
and listings come back newest first.
"""
from __future__ import annotations

from typing import Generic, Iterator, TypeVar

from protocol.status import Status

from .commands import CommandError

T = TypeVar("T")


class Namespace(Generic[T]):
    """Named objects of one kind, kept in creation order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._objects: dict[str, T] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._objects

    def __len__(self) -> int:
        return len(self._objects)

    def find(self, name: str) -> T | None:
        return self._objects.get(name)

    def get(self, name: str) -> T:
        """The object, or the generic lookup error every command answers with."""
        obj = self._objects.get(name)
        if obj is None:
            raise CommandError(Status.ERR_UNK_OBJ, f"unable to find object '{name}'")
        return obj

    def add(self, name: str, obj: T) -> bool:
        if name in self._objects:
            return False
        self._objects[name] = obj
        return True

    def remove(self, name: str) -> T | None:
        return self._objects.pop(name, None)

    def rename(self, old: str, new: str) -> bool:
        """Rename keeping the creation order; False when `new` is taken or `old` unknown."""
        if new in self._objects or old not in self._objects:
            return False
        self._objects = {(new if k == old else k): v for k, v in self._objects.items()}
        return True

    def newest_first(self) -> list[tuple[str, T]]:
        return list(reversed(self._objects.items()))

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._objects.values()))

    def clear(self) -> None:
        self._objects.clear()


class Registry:
    """Every kind of object the protocol can name."""

    def __init__(self) -> None:
        self.vms: Namespace = Namespace("VM")
        self.nios: Namespace = Namespace("NIO")
        self.ethsws: Namespace = Namespace("ETHSW")
        self.nio_bridges: Namespace = Namespace("NIO bridge")
        self.frsws: Namespace = Namespace("FRSW")
        self.atmsws: Namespace = Namespace("ATMSW")
        self.atm_bridges: Namespace = Namespace("ATM bridge")
        self.store: Namespace[bytes] = Namespace("object")
