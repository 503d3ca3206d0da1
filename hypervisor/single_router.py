"""One router run in-process from the command line (``pydynamips [options] image.elf``).

The console is the terminal (raw mode when stdin is a TTY: Ctrl-] then q quits), plain
stdin/stdout when piped (so tests and scripts can drive it), or a TCP port with ``-T`` (a
minimal telnet server: IAC WILL ECHO and WILL SUPPRESS-GO-AHEAD, telnet commands stripped
from the input). ``-A`` puts the AUX port on TCP the same way.

Files, as dynamips names them in the current directory: ``c7200_i<ID>_nvram`` (created
zero-filled when missing, ``-n`` KB; ``-C`` imports a startup-config into it before boot)
and ``c7200_i<ID>_ram`` (RAM backing; ``-X`` uses anonymous memory instead).

Exit status: 0 when the image stops the VM (returns to the ROM, reload, power off), 1 when
the router cannot start (bad image, bad option) or the VM ends with an error.
"""
from __future__ import annotations

import os
import select
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path


from platforms.c7200.machine import C7200Machine, MachineConfig, RunKind
from platforms.c7200.npe import NPES
from platforms.c7200.nvram import NvramError, NvramFile
from platforms.elf import ImageError, read_elf

from . import ghost
from .console import NEGOTIATION, TelnetInput
from .worker import GuestMemory

SLICE = 2_000_000
CTRL_BRACKET = 0x1D


@dataclass
class RouterOptions:
    image: str
    npe: str = "npe-400"
    midplane: str = "vxr"
    ram_mb: int = 256
    nvram_kb: int = 128
    conf_reg: int = 0x2102
    instance_id: int = 0
    anonymous_ram: bool = False
    console_port: int | None = None
    aux_port: int | None = None
    idle_pc: int = 0
    startup_config: str | None = None
    timer: str = "host"
    bind: str = "127.0.0.1"
    ghost_file: str | None = None
    ghost_generate: bool = False      # -g: write the ghost file and exit; -G: boot from it
    auto_idle: bool = True


class TcpConsole:
    """A listening socket plus its clients; output goes to every client (or a backlog)."""

    BACKLOG = 64 * 1024

    def __init__(self, bind: str, port: int, name: str) -> None:
        self.name = name
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((bind, port))
        self.server.listen(4)
        self.server.setblocking(False)
        self.port = self.server.getsockname()[1]
        self.clients: dict[socket.socket, TelnetInput] = {}
        self.pending = bytearray()

    def fds(self) -> list:
        return [self.server, *self.clients]

    def write(self, data: bytes) -> None:
        if not self.clients:
            self.pending += data
            del self.pending[:-self.BACKLOG]
            return
        for c in list(self.clients):
            try:
                c.sendall(data)
            except OSError:
                self._drop(c)

    def _drop(self, c: socket.socket) -> None:
        self.clients.pop(c, None)
        c.close()

    def handle(self, ready: list) -> bytes:
        data = bytearray()
        if self.server in ready:
            try:
                c, _ = self.server.accept()
            except OSError:
                c = None
            if c is not None:
                c.setblocking(True)
                c.sendall(NEGOTIATION)
                if self.pending:
                    c.sendall(bytes(self.pending))
                    self.pending.clear()
                c.setblocking(False)
                self.clients[c] = TelnetInput()
        for c in list(self.clients):
            if c in ready:
                try:
                    chunk = c.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    self._drop(c)
                    continue
                data += self.clients[c].feed(chunk)
        return bytes(data)

    def close(self) -> None:
        for c in list(self.clients):
            self._drop(c)
        self.server.close()


def _fail(message: str) -> int:
    print(f"pydynamips: {message}", file=sys.stderr, flush=True)
    return 1


def run(opts: RouterOptions) -> int:
    if opts.npe not in NPES:
        return _fail(f"unknown NPE type '{opts.npe}' (known: {', '.join(NPES)})")
    if opts.midplane not in ("std", "vxr"):
        return _fail(f"unknown midplane '{opts.midplane}' (std or vxr)")
    try:
        read_elf(opts.image, with_data=False, ram_size=opts.ram_mb << 20)
    except ImageError as exc:
        return _fail(f"cannot boot image {exc}")
    base = f"c7200_i{opts.instance_id}"
    ram_size = opts.ram_mb << 20
    if opts.ghost_file and opts.ghost_generate:
        try:
            ghost.generate(Path(opts.ghost_file), Path(opts.image), ram_size, "c7200")
        except (ImageError, OSError) as exc:
            return _fail(f"cannot generate ghost RAM file {opts.ghost_file}: {exc}")
        print(f"Ghost RAM file '{opts.ghost_file}' generated from {opts.image} "
              f"({opts.ram_mb} MB).", flush=True)
        return 0
    if opts.ghost_file:
        try:
            ghost.check_usable(Path(opts.ghost_file), Path(opts.image), ram_size)
        except (ghost.GhostError, ImageError) as exc:
            return _fail(str(exc))
        ram_spec = {"kind": "ghost", "size": ram_size, "path": opts.ghost_file}
    elif opts.anonymous_ram:
        ram_spec = {"kind": "anonymous", "size": ram_size}
    else:
        ram_spec = {"kind": "file", "size": ram_size, "path": f"{base}_ram"}
    nvram = NvramFile(f"{base}_nvram", opts.nvram_kb << 10)
    if opts.startup_config:
        try:
            with open(opts.startup_config, "rb") as f:
                nvram.write_configs(f.read(), None)
        except OSError as exc:
            return _fail(f"cannot read startup-config {opts.startup_config}: {exc.strerror}")
        except NvramError as exc:
            return _fail(f"cannot import {opts.startup_config}: {exc}")
    try:
        memory = GuestMemory(ram_spec, {"path": str(nvram.path), "size": opts.nvram_kb << 10})
    except OSError as exc:
        return _fail(f"cannot map guest memory: {exc}")
    ram, nv = memory.ram, memory.nvram
    conf_reg = opts.conf_reg

    consoles: dict[str, TcpConsole] = {}
    stdout = sys.stdout.buffer
    stdin_fd = sys.stdin.fileno() if sys.stdin is not None else -1
    tty_state = None
    try:
        for name, port in (("console", opts.console_port), ("aux", opts.aux_port)):
            if port is not None:
                try:
                    consoles[name] = TcpConsole(opts.bind, port, name)
                except OSError as exc:
                    return _fail(f"cannot listen on {name} port {port}: {exc.strerror}")
                print(f"{name.capitalize()} on TCP port {consoles[name].port}", flush=True)

        def console_out(data: bytes) -> None:
            if "console" in consoles:
                consoles["console"].write(data)
            else:
                stdout.write(data)
                stdout.flush()

        def aux_out(data: bytes) -> None:
            if "aux" in consoles:
                consoles["aux"].write(data)

        cfg = MachineConfig(image=opts.image, ram=ram, nvram=nv, npe=opts.npe,
                            load_image=ram_spec["kind"] != "ghost",
                            midplane=opts.midplane, conf_reg=conf_reg,
                            instance_id=opts.instance_id, idle_pc=opts.idle_pc,
                            mac=bytes((0xCA, opts.instance_id & 0xFF, (os.getpid() >> 8) & 0xFF,
                                       os.getpid() & 0xFF, 0, 0)),
                            console_out=console_out, aux_out=aux_out, timer=opts.timer,
                            auto_idle=opts.auto_idle)
        try:
            machine = C7200Machine(cfg)
        except (ImageError, ValueError) as exc:
            return _fail(str(exc))

        read_stdin = "console" not in consoles and stdin_fd >= 0
        if read_stdin and os.isatty(stdin_fd):
            import termios
            import tty
            tty_state = termios.tcgetattr(stdin_fd)
            tty.setraw(stdin_fd)
        escape = False
        last = time.monotonic()
        while True:
            result = machine.run(SLICE)
            now = time.monotonic()
            machine.advance_time(now - last)
            last = now
            if result.kind is RunKind.STOPPED:
                return 0
            if result.kind is RunKind.ERROR:
                return _fail(f"VM stopped: {result.message}")
            fds: list = [s for c in consoles.values() for s in c.fds()]
            if read_stdin:
                fds.append(stdin_fd)
            timeout = result.sleep if result.kind is RunKind.IDLE else 0
            ready = select.select(fds, [], [], timeout)[0] if fds else \
                (time.sleep(timeout) or [])
            if read_stdin and stdin_fd in ready:
                data = os.read(stdin_fd, 4096)
                if not data:
                    read_stdin = False          # EOF: the image keeps running
                elif tty_state is not None:
                    out = bytearray()
                    for b in data:
                        if escape:
                            escape = False
                            if b in (ord("q"), ord("Q")):
                                return 0
                            out.append(b)
                        elif b == CTRL_BRACKET:
                            escape = True
                        else:
                            out.append(b)
                    machine.console_input(bytes(out))
                else:
                    machine.console_input(data)
            if "console" in consoles:
                data = consoles["console"].handle(ready)
                if data:
                    machine.console_input(data)
            if "aux" in consoles:
                data = consoles["aux"].handle(ready)
                if data:
                    machine.aux_input(data)
    finally:
        if tty_state is not None:
            import termios
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, tty_state)
        for c in consoles.values():
            c.close()
        memory.close()
