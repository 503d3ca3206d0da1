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

import mmap
import os
import select
import socket
import sys
import time
from dataclasses import dataclass

import numpy as np

from platforms.c7200 import nvram as nvfs
from platforms.c7200.machine import C7200Machine, MachineConfig, RunKind
from platforms.c7200.npe import NPES
from platforms.elf import ImageError, read_elf

SLICE = 2_000_000
CTRL_BRACKET = 0x1D
IAC, WILL, WONT, DO, DONT, SB, SE = 255, 251, 252, 253, 254, 250, 240
OPT_ECHO, OPT_SGA = 1, 3


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


class TelnetFilter:
    """Strips telnet commands from a byte stream (state kept across reads)."""

    def __init__(self) -> None:
        self.state = 0          # 0 data, 1 after IAC, 2 option byte, 3 in SB, 4 IAC in SB
        self.last_cr = False

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            if self.state == 0:
                if b == IAC:
                    self.state = 1
                elif b in (0, 0x0A) and self.last_cr:
                    pass                        # CR NUL / CR LF: the CR is the key press
                else:
                    out.append(b)
                self.last_cr = b == 0x0D
            elif self.state == 1:
                if b == IAC:
                    out.append(IAC)
                    self.state = 0
                elif b in (WILL, WONT, DO, DONT):
                    self.state = 2
                elif b == SB:
                    self.state = 3
                else:
                    self.state = 0
            elif self.state == 2:
                self.state = 0
            elif self.state == 3:
                if b == IAC:
                    self.state = 4
            else:
                self.state = 0 if b == SE else 3
        return bytes(out)


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
        self.clients: dict[socket.socket, TelnetFilter] = {}
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
                c.sendall(bytes((IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA)))
                if self.pending:
                    c.sendall(bytes(self.pending))
                    self.pending.clear()
                c.setblocking(False)
                self.clients[c] = TelnetFilter()
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


def _map_file(path: str, size: int) -> tuple[mmap.mmap, np.ndarray]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if os.fstat(fd).st_size < size:
            os.ftruncate(fd, size)
        mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    finally:
        os.close(fd)
    return mm, np.frombuffer(mm, np.uint8)


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
    nv_mm, nv = _map_file(f"{base}_nvram", opts.nvram_kb << 10)
    if opts.anonymous_ram:
        ram_mm = mmap.mmap(-1, opts.ram_mb << 20)
        ram = np.frombuffer(ram_mm, np.uint8)
    else:
        ram_mm, ram = _map_file(f"{base}_ram", opts.ram_mb << 20)
        ram[:] = 0
    conf_reg = opts.conf_reg
    if opts.startup_config:
        try:
            with open(opts.startup_config, "rb") as f:
                text = f.read()
        except OSError as exc:
            return _fail(f"cannot read startup-config {opts.startup_config}: {exc.strerror}")
        if not nv.any():
            conf_reg |= 0x40          # dynamips: blank NVRAM sets 0x40, the push clears it
        buf = bytearray(nv.tobytes())
        try:
            nvfs.write_configs(buf, text, None)
        except nvfs.NvramError as exc:
            return _fail(f"cannot import {opts.startup_config}: {exc}")
        nv[:] = np.frombuffer(bytes(buf), np.uint8)
        conf_reg &= ~0x40

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
                            midplane=opts.midplane, conf_reg=conf_reg,
                            instance_id=opts.instance_id, idle_pc=opts.idle_pc,
                            mac=bytes((0xCA, opts.instance_id & 0xFF, (os.getpid() >> 8) & 0xFF,
                                       os.getpid() & 0xFF, 0, 0)),
                            console_out=console_out, aux_out=aux_out, timer=opts.timer)
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
        for arr_mm in (nv_mm,):
            try:
                arr_mm.flush()
            except (ValueError, OSError):
                pass
