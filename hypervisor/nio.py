"""NIOs (network I/O descriptors): the transports that carry Ethernet frames between a router
port, a switch port, a hub port and the outside world.

A NIO is an object with ``send(frame)`` and a receive callback (``set_receiver``). In the
daemon every socket NIO is driven by the asyncio loop (``loop.add_reader``: a readable
socket is drained in one callback, each datagram delivered at once, no polling and no timer).

Kinds
-----
``UdpNio``      one UDP socket bound to a local port and *connected* to the remote host and
                port, so the kernel drops datagrams from any other source. Bind address:
                the loopback address (127.0.0.1 or ::1) when the remote host resolves to a
                loopback address -- the usual GNS3 case, where nothing outside the machine
                needs to reach the port -- and the wildcard address (0.0.0.0 or ::) otherwise,
                as dynamips does (it binds INADDR_ANY whatever the peer).
``UdpAutoNio``  ``create_udp_auto``: a UDP socket bound to the first free port of a range on
                a given local address, connected later by ``connect_udp_auto``.
``UnixNio``     an AF_UNIX datagram socket bound to a local path, sending to a remote path.
``NullNio``     discards what it is sent, never receives.
``FifoNio``     in-process: two FIFO NIOs cross-connected deliver to each other.
TAP, generic/Linux raw Ethernet and VDE NIOs are refused with an explicit cause.

Each NIO counts packets and bytes in both directions (after its filters), applies packet
filters (``freq_drop``, ``capture``) per direction (0 = in, 1 = out, 2 = both, as dynamips)
and an optional output bandwidth limit (a token bucket, kbit/s with 1 kbit = 1000 bits;
frames over the limit are dropped, as a congested link drops them).

Ownership: a switch or hub that uses a NIO adds itself to ``nio.owners``; ``nio delete``
refuses (207) while the set is not empty or a VM slot binding names the NIO.

The worker contract (a NIO bound to a VM slot)
----------------------------------------------
When a router runs, its worker process, not the daemon, moves the frames of its ports.
For each NIO bound to one of its slots the daemon:

1. takes ``nio.spec()``: a JSON-able dict describing the transport, with at least
   ``type`` (``"udp"``, ``"unix"``, ``"null"``, ``"fifo"``) and ``name``; UDP adds
   ``local_address``, ``local_port``, ``remote_host`` (as given), ``remote_address``
   (resolved) and ``remote_port`` (``remote_*`` are None for an unconnected auto NIO),
   ``family`` (4 or 6); UNIX adds ``local_path`` and ``remote_path`` (absolute); every
   spec carries ``bandwidth_kbps`` (0 = unlimited), ``debug`` and ``filters``: a list of
   ``{"direction": 0|1|2, "name": ..., "args": [...]}`` -- the filters a worker should
   apply to keep ``nio bind_filter``/``setup_filter`` meaningful for VM ports.
2. calls ``sock = nio.detach()``: the daemon stops reading the socket and returns it (None
   for null/fifo). The socket stays open, so the port stays reserved: pass its descriptor
   to the worker (``socket.send_fds`` over a UNIX control channel) and the worker reads and
   writes the very same socket -- no window where another process could take the port.
   ``nio.detach(release=True)`` instead closes the daemon's socket (the port is free) for a
   worker that re-opens the transport from ``spec()`` itself.
3. when the worker ends, calls ``nio.attach()``: the daemon reads the socket again
   (re-opening it from the spec after a ``release=True`` detach; OSError if the port was
   taken meanwhile).

While detached the daemon still counts what it sends itself but sees nothing received;
the worker owns the packet/byte counters of that port (a later ``get_stats`` merge is the
worker side's job). Null and FIFO NIOs have no socket: a worker with such a port sends its
frames to the daemon over its control channel, which calls ``nio.send(frame)``, and gets
the NIO's received frames through ``nio.set_receiver``.

``close()`` releases everything (socket, capture file, UNIX socket file); ``hypervisor
reset`` must call it for every NIO.
"""
from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import stat
import struct
import time
from typing import Callable, Optional

Receiver = Callable[["Nio", bytes], None]

MAX_DATAGRAM = 65535
SOCKET_BUFFER = 1 << 20          # room for bursts while the loop is busy elsewhere
DRAIN_BATCH = 128                # datagrams read per readable event before yielding

DIR_IN, DIR_OUT, DIR_BOTH = 0, 1, 2


class NioError(Exception):
    """A NIO could not be created, set up or connected; the text is the cause."""


def check_port(port: int, what: str = "port") -> int:
    if not 1 <= port <= 65535:
        raise NioError(f"{what} {port} is not in 1..65535")
    return port


def direction_of(value: int) -> int:
    """dynamips: 0 = input, 1 = output, anything else = both."""
    return value if value in (DIR_IN, DIR_OUT) else DIR_BOTH


# -- filters ---------------------------------------------------------------------------------

class PacketFilter:
    """A per-direction packet filter: ``accept(frame)`` False drops the frame."""

    name = "?"

    def __init__(self) -> None:
        self.args: list[str] = []

    async def setup(self, args: list[str], resolve_path) -> None:
        raise NotImplementedError

    def accept(self, frame: bytes) -> bool:
        return True

    def close(self) -> None:
        pass


class FrequencyDrop(PacketFilter):
    """``freq_drop``: drop one frame in N (N = -1 drops all, 0 drops none)."""

    name = "freq_drop"

    def __init__(self) -> None:
        super().__init__()
        self.every = 0
        self.count = 0

    async def setup(self, args: list[str], resolve_path) -> None:
        from .cnum import atoi
        if len(args) != 1:
            raise NioError("freq_drop takes one argument: the drop frequency")
        self.every, self.count, self.args = atoi(args[0]), 0, list(args)

    def accept(self, frame: bytes) -> bool:
        if self.every <= 0:
            return self.every == 0
        self.count += 1
        if self.count >= self.every:
            self.count = 0
            return False
        return True


# pcap link types (the DLT_ names dynamips accepts through libpcap, with or without DLT_)
LINK_TYPES = {"EN10MB": 1, "PPP": 9, "PPP_SERIAL": 50, "C_HDLC": 104, "FRELAY": 107,
              "ATM_RFC1483": 11, "RAW": 101, "NULL": 0}
PCAP_SNAPLEN = 65535
CAPTURE_FLUSH_S = 0.2


class Capture(PacketFilter):
    """``capture``: append each frame to a pcap file (options ``<link type> <path>``)."""

    name = "capture"

    def __init__(self) -> None:
        super().__init__()
        self.file = None
        self.path: str | None = None
        self._flush_handle: asyncio.TimerHandle | None = None

    async def setup(self, args: list[str], resolve_path) -> None:
        if len(args) != 2:
            raise NioError("capture takes two arguments: a link type and a file name")
        kind = args[0].upper()
        kind = kind[4:] if kind.startswith("DLT_") else kind
        if kind not in LINK_TYPES:
            raise NioError(f"unknown link type '{args[0]}'")
        path = str(resolve_path(args[1]))
        header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, PCAP_SNAPLEN,
                             LINK_TYPES[kind])

        def open_file():
            f = open(path, "wb")
            f.write(header)
            f.flush()
            return f
        try:
            new = await asyncio.get_running_loop().run_in_executor(None, open_file)
        except OSError as exc:
            raise NioError(f"cannot open '{path}': {exc.strerror}") from None
        self.close()
        self.file, self.path, self.args = new, path, list(args)

    def accept(self, frame: bytes) -> bool:
        f = self.file
        if f is not None:
            now = time.time()
            sec = int(now)
            size = len(frame)
            kept = min(size, PCAP_SNAPLEN)
            try:
                f.write(struct.pack("<IIII", sec, int((now - sec) * 1e6), kept, size))
                f.write(frame[:kept])
            except OSError:           # disk full, file system gone: stop capturing, keep
                self.close()          # forwarding
                return True
            if self._flush_handle is None:
                # A reader (Wireshark following the file) sees frames within 0.2 s, and a
                # burst costs one flush instead of one write(2) per frame.
                self._flush_handle = asyncio.get_running_loop().call_later(
                    CAPTURE_FLUSH_S, self._flush)
        return True

    def _flush(self) -> None:
        self._flush_handle = None
        if self.file is not None:
            try:
                self.file.flush()
            except OSError:
                pass

    def close(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
            self.file = None


FILTERS: dict[str, type[PacketFilter]] = {"freq_drop": FrequencyDrop, "capture": Capture}


class TokenBucket:
    """Output bandwidth limit: ``kbps`` kbit/s, bursts of 50 ms (at least two big frames)."""

    def __init__(self, kbps: int) -> None:
        self.kbps = kbps
        self.rate = kbps * 1000 / 8.0                      # bytes per second
        self.depth = max(self.rate / 20.0, 2 * 1518.0)
        self.tokens = self.depth
        self.stamp = time.monotonic()

    def take(self, size: int) -> bool:
        now = time.monotonic()
        tokens = min(self.depth, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if tokens < size:
            self.tokens = tokens
            return False
        self.tokens = tokens - size
        return True


# -- the NIO base ----------------------------------------------------------------------------

class Nio:
    """A named transport: ``send(frame)`` out, frames in through the receiver callback."""

    kind = "?"

    def __init__(self, name: str) -> None:
        self.name = name
        self.debug = 0
        self.pkts_in = self.pkts_out = self.bytes_in = self.bytes_out = 0
        self.dropped_out = 0                    # over the bandwidth limit or send failures
        self.owners: set = set()                # switches/hubs using this NIO
        self.receiver: Optional[Receiver] = None
        self.filters: dict[int, PacketFilter] = {}
        self._ever_bound: set[int] = set()
        self._in_filters: tuple[PacketFilter, ...] = ()
        self._out_filters: tuple[PacketFilter, ...] = ()
        self.bucket: TokenBucket | None = None
        self.detached = False
        self.closed = False

    # -- frames ------------------------------------------------------------------------
    def set_receiver(self, receiver: Optional[Receiver]) -> None:
        self.receiver = receiver

    def send(self, frame: bytes) -> bool:
        """Transmit one frame; False when a filter, the bandwidth limit or the OS dropped it."""
        for f in self._out_filters:
            if not f.accept(frame):
                return False
        if self.bucket is not None and not self.bucket.take(len(frame)):
            self.dropped_out += 1
            return False
        self.pkts_out += 1
        self.bytes_out += len(frame)
        return self._transmit(frame)

    def _transmit(self, frame: bytes) -> bool:
        raise NotImplementedError

    def deliver(self, frame: bytes) -> None:
        """A frame arrived from the transport: input filters, counters, then the receiver."""
        for f in self._in_filters:
            if not f.accept(frame):
                return
        self.pkts_in += 1
        self.bytes_in += len(frame)
        receiver = self.receiver
        if receiver is not None:
            receiver(self, frame)

    # -- filters -----------------------------------------------------------------------
    def bind_filter(self, direction: int, name: str) -> None:
        cls = FILTERS.get(name)
        if cls is None:
            raise KeyError(name)
        direction = direction_of(direction)
        old = self.filters.pop(direction, None)
        if old is not None:
            old.close()
        self.filters[direction] = cls()
        self._ever_bound.add(direction)
        self._refresh_filters()

    def unbind_filter(self, direction: int) -> bool:
        """False only when no filter was ever bound in that direction (dynamips answers OK
        to a second unbind: it forgets the filter's data but not that one was bound)."""
        direction = direction_of(direction)
        old = self.filters.pop(direction, None)
        if old is not None:
            old.close()
        self._refresh_filters()
        return old is not None or direction in self._ever_bound

    async def setup_filter(self, direction: int, args: list[str], resolve_path) -> None:
        f = self.filters.get(direction_of(direction))
        if f is None:
            raise NioError("no filter bound in that direction")
        await f.setup(args, resolve_path)

    def _refresh_filters(self) -> None:
        self._in_filters = tuple(self.filters[d] for d in (DIR_IN, DIR_BOTH) if d in self.filters)
        self._out_filters = tuple(self.filters[d] for d in (DIR_OUT, DIR_BOTH)
                                  if d in self.filters)

    # -- settings and counters -----------------------------------------------------------
    def set_bandwidth(self, kbps: int) -> None:
        self.bucket = TokenBucket(kbps) if kbps > 0 else None

    def reset_stats(self) -> None:
        self.pkts_in = self.pkts_out = self.bytes_in = self.bytes_out = 0
        self.dropped_out = 0

    def stats(self) -> tuple[int, int, int, int]:
        return self.pkts_in, self.pkts_out, self.bytes_in, self.bytes_out

    # -- the worker contract ---------------------------------------------------------------
    def spec(self) -> dict:
        return {"type": self.kind, "name": self.name, "debug": self.debug,
                "bandwidth_kbps": self.bucket.kbps if self.bucket else 0,
                "filters": [{"direction": d, "name": f.name, "args": list(f.args)}
                            for d, f in sorted(self.filters.items())]}

    def detach(self, release: bool = False) -> socket.socket | None:
        self.detached = True
        return None

    def attach(self) -> None:
        self.detached = False

    def config_commands(self) -> list[str]:
        """The `nio` commands that recreate this NIO (for `hypervisor save_config`)."""
        return []

    def close(self) -> None:
        self.closed = True
        self.receiver = None
        for f in self.filters.values():
            f.close()
        self.filters.clear()
        self._refresh_filters()


# -- socket NIOs -----------------------------------------------------------------------------

class SocketNio(Nio):
    """A NIO over one non-blocking datagram socket watched by the event loop."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading = False

    def _adopt(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
            except OSError:
                pass
        self.sock = sock
        self._loop = asyncio.get_running_loop()
        self._start_reading()

    def _start_reading(self) -> None:
        if self.sock is not None and not self._reading:
            self._loop.add_reader(self.sock.fileno(), self._readable)
            self._reading = True

    def _stop_reading(self) -> None:
        if self.sock is not None and self._reading:
            self._loop.remove_reader(self.sock.fileno())
        self._reading = False

    def _readable(self) -> None:
        recv = self.sock.recv
        deliver = self.deliver
        for _ in range(DRAIN_BATCH):
            try:
                frame = recv(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                continue          # an ICMP port-unreachable for an earlier send: peer absent
            except OSError:
                return
            deliver(frame)

    def _transmit(self, frame: bytes) -> bool:
        try:
            self.sock.send(frame)
            return True
        except (BlockingIOError, InterruptedError, ConnectionRefusedError, AttributeError):
            # full send buffer, peer not listening yet, or no socket (released): the frame
            # is lost, as on a congested or unplugged link
            self.dropped_out += 1
            return False
        except OSError:
            self.dropped_out += 1
            return False

    def detach(self, release: bool = False) -> socket.socket | None:
        self._stop_reading()
        self.detached = True
        sock = self.sock
        if release and sock is not None:
            sock.close()
            self.sock = None
            return None
        return sock

    def attach(self) -> None:
        if self.closed:
            raise NioError(f"NIO '{self.name}' is closed")
        if self.sock is None:
            self._reopen()
        self.detached = False
        self._start_reading()

    def _reopen(self) -> None:
        raise NioError("cannot re-open this NIO")

    def close(self) -> None:
        self._stop_reading()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        super().close()


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


async def resolve_udp(host: str, port: int, passive: bool = False) -> tuple[int, tuple]:
    """(family, sockaddr) of a host name, resolved off the event loop."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM,
                                       flags=socket.AI_PASSIVE if passive else 0)
    except (socket.gaierror, UnicodeError) as exc:
        raise NioError(f"cannot resolve '{host}': {exc}") from None
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            return family, sockaddr
    raise NioError(f"no IPv4/IPv6 address for '{host}'")


class UdpNio(SocketNio):
    """``create_udp``: bound to ``lport``, connected to ``rhost:rport``."""

    kind = "udp"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.family = socket.AF_INET
        self.local_address = ""
        self.local_port = 0
        self.remote_host: str | None = None
        self.remote_sockaddr: tuple | None = None

    @classmethod
    async def open(cls, name: str, lport: int, rhost: str, rport: int) -> "UdpNio":
        check_port(lport, "local port")
        check_port(rport, "remote port")
        family, remote = await resolve_udp(rhost, rport)
        nio = cls(name)
        nio.family, nio.remote_host, nio.remote_sockaddr = family, rhost, remote
        if family == socket.AF_INET6:
            nio.local_address = "::1" if _is_loopback(remote[0]) else "::"
        else:
            nio.local_address = "127.0.0.1" if _is_loopback(remote[0]) else "0.0.0.0"
        nio.local_port = lport
        nio._adopt(nio._make_socket())
        return nio

    def _make_socket(self) -> socket.socket:
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.local_address, self.local_port))
            if self.remote_sockaddr is not None:
                sock.connect(self.remote_sockaddr)
        except OSError as exc:
            sock.close()
            raise NioError(f"cannot use local port {self.local_port}: "
                           f"{exc.strerror or exc}") from None
        return sock

    def _reopen(self) -> None:
        sock = self._make_socket()
        self._adopt(sock)

    def spec(self) -> dict:
        spec = super().spec()
        remote = self.remote_sockaddr
        spec.update(type="udp", family=6 if self.family == socket.AF_INET6 else 4,
                    local_address=self.local_address, local_port=self.local_port,
                    remote_host=self.remote_host,
                    remote_address=remote[0] if remote else None,
                    remote_port=remote[1] if remote else None)
        return spec

    def config_commands(self) -> list[str]:
        if self.remote_sockaddr is None:
            return []
        return [f"nio create_udp {self.name} {self.local_port} {self.remote_host} "
                f"{self.remote_sockaddr[1]}"]


class UdpAutoNio(UdpNio):
    """``create_udp_auto``: the first free port of a range, connected later."""

    @classmethod
    async def open_auto(cls, name: str, laddr: str, start: int, end: int) -> "UdpAutoNio":
        check_port(start, "first port")
        check_port(end, "last port")
        if end < start:
            raise NioError(f"empty port range {start}..{end}")
        family, local = await resolve_udp(laddr, start, passive=True)
        nio = cls(name)
        nio.family, nio.local_address = family, local[0]
        for port in range(start, end + 1):
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.bind((local[0], port))
            except OSError:
                sock.close()
                continue
            nio.local_port = port
            nio._adopt(sock)
            return nio
        raise NioError(f"no free UDP port in {start}..{end} on {laddr}")

    async def connect(self, rhost: str, rport: int) -> None:
        check_port(rport, "remote port")
        if self.remote_sockaddr is not None:
            raise NioError("already connected")
        family, remote = await resolve_udp(rhost, rport)
        if family != self.family:
            raise NioError(f"'{rhost}' is not of the local address's family")
        if self.sock is not None:
            try:
                self.sock.connect(remote)
            except OSError as exc:
                raise NioError(f"cannot connect to {rhost}:{rport}: {exc.strerror}") from None
        self.remote_host, self.remote_sockaddr = rhost, remote

    def _readable(self) -> None:
        if self.remote_sockaddr is None:      # not connected yet: nobody to hear from
            for _ in range(DRAIN_BATCH):
                try:
                    self.sock.recv(MAX_DATAGRAM)
                except OSError:
                    return
            return
        super()._readable()

    def _transmit(self, frame: bytes) -> bool:
        if self.remote_sockaddr is None:
            self.dropped_out += 1
            return False
        return super()._transmit(frame)


class UnixNio(SocketNio):
    """``create_unix``: an AF_UNIX datagram socket at ``local``, sending to ``remote``."""

    kind = "unix"

    def __init__(self, name: str, local_path: str, remote_path: str) -> None:
        super().__init__(name)
        self.local_path = local_path
        self.remote_path = remote_path

    @classmethod
    async def open(cls, name: str, local_path: str, remote_path: str) -> "UnixNio":
        nio = cls(name, local_path, remote_path)
        nio._adopt(await asyncio.get_running_loop().run_in_executor(None, nio._make_socket))
        return nio

    def _make_socket(self) -> socket.socket:
        # A stale socket file from an earlier run is replaced; a live one (someone answers a
        # connect) or any other kind of file is not.
        try:
            if stat.S_ISSOCK(os.lstat(self.local_path).st_mode):
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                try:
                    probe.connect(self.local_path)
                except ConnectionRefusedError:
                    os.unlink(self.local_path)
                else:
                    raise NioError(f"'{self.local_path}' is in use")
                finally:
                    probe.close()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise NioError(f"cannot use '{self.local_path}': {exc.strerror}") from None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(self.local_path)
        except OSError as exc:
            sock.close()
            raise NioError(f"cannot bind '{self.local_path}': {exc.strerror or exc}") from None
        return sock

    def _reopen(self) -> None:
        self._adopt(self._make_socket())

    def _transmit(self, frame: bytes) -> bool:
        try:
            self.sock.sendto(frame, self.remote_path)
            return True
        except (OSError, AttributeError):      # peer absent, buffer full, or released
            self.dropped_out += 1
            return False

    def spec(self) -> dict:
        spec = super().spec()
        spec.update(local_path=self.local_path, remote_path=self.remote_path)
        return spec

    def config_commands(self) -> list[str]:
        return [f'nio create_unix {self.name} "{self.local_path}" "{self.remote_path}"']

    def close(self) -> None:
        had_socket = self.sock is not None
        super().close()
        if had_socket:
            try:
                os.unlink(self.local_path)
            except OSError:
                pass


# -- in-process NIOs -------------------------------------------------------------------------

class NullNio(Nio):
    """``create_null``: a port with nothing plugged in."""

    kind = "null"

    def _transmit(self, frame: bytes) -> bool:
        return True

    def config_commands(self) -> list[str]:
        return [f"nio create_null {self.name}"]


class FifoNio(Nio):
    """``create_fifo``: what one end sends the cross-connected other end receives."""

    kind = "fifo"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.peer: FifoNio | None = None

    def crossconnect(self, other: "FifoNio") -> None:
        for end in (self, other):
            if end.peer is not None and end.peer not in (self, other):
                end.peer.peer = None
        self.peer, other.peer = other, self

    def _transmit(self, frame: bytes) -> bool:
        peer = self.peer
        if peer is None or peer.closed:
            return False
        # Delivered on the next loop turn: two fifos joining two ports of one switch must
        # not recurse on a broadcast.
        asyncio.get_running_loop().call_soon(peer.deliver, frame)
        return True

    def spec(self) -> dict:
        spec = super().spec()
        spec["peer"] = self.peer.name if self.peer else None
        return spec

    def config_commands(self) -> list[str]:
        return [f"nio create_fifo {self.name}"]

    def close(self) -> None:
        if self.peer is not None and self.peer.peer is self:
            self.peer.peer = None
        self.peer = None
        super().close()


# Kinds that need privileges or libraries this release does not use: refused explicitly.
UNSUPPORTED = {
    "tap": "TAP NIOs need CAP_NET_ADMIN and a TAP device; not supported in this release "
           "(use a UDP NIO, e.g. with ubridge)",
    "gen_eth": "generic Ethernet NIOs need libpcap and raw-socket privileges; not supported "
               "in this release (use a UDP NIO)",
    "linux_eth": "Linux raw Ethernet NIOs need CAP_NET_RAW; not supported in this release "
                 "(use a UDP NIO)",
    "vde": "VDE NIOs are not supported in this release (use a UDP or UNIX NIO)",
}
