"""Ghost RAM files: one image loaded once, mapped copy-on-write by every router using it.

Generation (`vm set_ghost_status NAME 1`) loads the image's ELF sections into a RAM-size file
and never runs a CPU. It writes a temporary name and renames it, so a failed generation
never leaves a half file, and keeps a sidecar (``<ghost>.json``) naming the image it was made
from (sha256, size) and the RAM size, so a later use with another image or RAM size fails
with its cause instead of booting garbage. A ghost made by real dynamips has no sidecar: it
is accepted on its size alone.

These functions block (file and ELF work): the daemon runs them in a thread.
"""
from __future__ import annotations

import json
import mmap
import os
from pathlib import Path

import numpy as np

from platforms.elf import ImageError, check_fits, image_identity, load_into_ram, read_elf

SIDECAR_SUFFIX = ".json"
SIDECAR_FORMAT = 1


class GhostError(Exception):
    pass


def sidecar_path(ghost: Path) -> Path:
    return ghost.with_name(ghost.name + SIDECAR_SUFFIX)


def generate(ghost: Path, image: Path, ram_size: int, platform: str) -> None:
    elf = read_elf(image)
    check_fits(elf, ram_size)
    tmp = ghost.with_name(f".{ghost.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.ftruncate(fd, ram_size)
            with mmap.mmap(fd, ram_size, flags=mmap.MAP_SHARED) as ram_map:
                load_into_ram(elf, np.frombuffer(ram_map, dtype=np.uint8))
                ram_map.flush()
            os.fsync(fd)
        finally:
            os.close(fd)
        identity = image_identity(image)
        meta = {"format": SIDECAR_FORMAT, "platform": platform, "ram_size": ram_size,
                "image": str(image), "image_sha256": identity.sha256,
                "image_size": identity.size}
        meta_tmp = tmp.with_name(tmp.name + SIDECAR_SUFFIX)
        meta_tmp.write_text(json.dumps(meta, indent=1) + "\n")
        os.replace(tmp, ghost)
        os.replace(meta_tmp, sidecar_path(ghost))
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + SIDECAR_SUFFIX)):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass


def check_usable(ghost: Path, image: Path, ram_size: int) -> None:
    """Raise GhostError with the cause when `ghost` cannot back this VM's RAM."""
    try:
        size = ghost.stat().st_size
    except FileNotFoundError:
        raise GhostError(f"ghost RAM file '{ghost}' does not exist") from None
    if size != ram_size:
        raise GhostError(f"ghost RAM file '{ghost}' is {size} bytes, the VM's RAM is "
                         f"{ram_size} bytes (generate it again for this RAM size)")
    meta_file = sidecar_path(ghost)
    if not meta_file.exists():
        return
    try:
        meta = json.loads(meta_file.read_text())
    except (OSError, ValueError) as exc:
        raise GhostError(f"ghost sidecar '{meta_file}' is unreadable: {exc}") from None
    try:
        identity = image_identity(image)
    except OSError as exc:
        raise ImageError(image, str(exc)) from None
    if meta.get("image_sha256") != identity.sha256:
        raise GhostError(f"ghost RAM file '{ghost}' was generated from another image "
                         f"('{meta.get('image')}', sha256 {str(meta.get('image_sha256'))[:12]}…), "
                         f"not '{image}' (sha256 {identity.sha256[:12]}…)")
