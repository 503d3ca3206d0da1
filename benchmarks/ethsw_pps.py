"""Frames per second through an `ethsw` of a real `pydynamips` daemon, between two UDP NIOs.

    .venv/bin/python benchmarks/ethsw_pps.py [--duration 2] [--runs 5] [--rate PPS]

Starts `pydynamips -H 127.0.0.1:0`, creates switch SW1 with two UDP NIOs (access ports,
VLAN 1): `in` faces a sender socket, `out` a receiver socket. The receiver first sends one
frame so the switch learns its MAC: the measured frames are known unicast, switched to one
port (the common case). Then, per run, a sender process sends 64-byte or 1500-byte
Ethernet frames for `--duration` seconds -- as fast as it can (the daemon saturates and
the kernel drops what it cannot read), or paced at `--rate` frames/s -- and the receiver
(this process) counts what comes out of the switch. The figure is frames received per
second between the first and the last frame; the median of `--runs` runs is printed with
the offered rate and the loss. Last, the one-way latency of single frames sent one at a
time (sender and receiver sockets both in this process): what event-driven forwarding buys
over dynamips' 10 ms transmit batches.

Three processes (daemon, sender, receiver) share the machine's cores: on 2 vCPUs the
daemon gets about one core.
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READY = re.compile(rb"Hypervisor TCP control server started \(IP \S+ port (\d+)\)")
RECEIVER_MAC = bytes.fromhex("020000000002")
SENDER_MAC = bytes.fromhex("020000000001")

SENDER = r"""
import socket, sys, time
port, dest, size, duration, rate = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                    float(sys.argv[4]), float(sys.argv[5]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.connect(("127.0.0.1", dest))
frame = bytes.fromhex(sys.argv[6]) + bytes.fromhex(sys.argv[7]) + b"\x08\x00"
frame += bytes(size - len(frame))
send, clock = s.send, time.perf_counter
sent, start = 0, clock()
end = start + duration
if rate <= 0:
    while clock() < end:
        for _ in range(64):
            try:
                send(frame)
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
else:
    gap = 1.0 / rate
    due = start
    while True:
        now = clock()
        if now >= end:
            break
        while due <= now:
            try:
                send(frame)
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
            due += gap
        time.sleep(max(0.0, min(due - clock(), 0.001)))
print(sent, clock() - start)
"""


def start_daemon(workdir: str) -> tuple[subprocess.Popen, int]:
    exe = Path(sys.executable).parent / "pydynamips"
    if not exe.exists():
        sys.exit(f"{exe} not found: run `make venv` first")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1:0", "--log-level", "warning",
                             "-l", os.path.join(workdir, "log.txt")],
                            cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = READY.search(line)
        if match:
            return proc, int(match.group(1))
    proc.kill()
    sys.exit("pydynamips did not start")


class Control:
    """A blocking protocol connection (the benchmark needs no concurrency here)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rb")

    def send(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\n")
        while True:
            reply = self.file.readline().decode().rstrip("\r\n")
            if reply[3:4] == "-":
                if not reply.startswith("100-"):
                    raise RuntimeError(f"{line}: {reply}")
                return reply[4:]


def free_ports(count: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def one_run(receiver: socket.socket, sender_port: int, in_port: int, size: int,
            duration: float, rate: float) -> tuple[float, float, float]:
    """(received frames/s, offered frames/s, loss fraction) of one sender burst."""
    sender = subprocess.Popen([sys.executable, "-c", SENDER, str(sender_port), str(in_port),
                               str(size), str(duration), str(rate), RECEIVER_MAC.hex(),
                               SENDER_MAC.hex()], stdout=subprocess.PIPE, text=True)
    count, first, last = 0, None, None
    receiver.settimeout(duration + 5)
    while True:
        try:
            data = receiver.recv(4096)
        except socket.timeout:
            break
        now = time.perf_counter()
        if first is None:
            first = now
            receiver.settimeout(0.5)        # after the burst: 0.5 s of silence ends the run
        last = now
        count += 1
        if len(data) != size:
            raise RuntimeError(f"got a {len(data)}-byte frame, sent {size}")
    sent_text, sender_time = sender.communicate()[0].split()
    sent = int(sent_text)
    if count < 2:
        raise RuntimeError("nothing came through the switch")
    return (count - 1) / (last - first), sent / float(sender_time), 1 - count / sent


def latency(receiver: socket.socket, sender_port: int, in_port: int,
            count: int = 2000) -> list[float]:
    """One-way times (s) of single 64-byte frames through the switch, one at a time."""
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.1", sender_port))
    sender.connect(("127.0.0.1", in_port))
    frame = RECEIVER_MAC + SENDER_MAC + b"\x08\x00" + bytes(50)
    receiver.settimeout(1.0)
    times = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            sender.send(frame)
            receiver.recv(4096)
            times.append(time.perf_counter() - start)
    finally:
        sender.close()
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="offered frames/s (default: as fast as the sender can)")
    parser.add_argument("--sizes", default="64,1500")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ethsw-pps-") as workdir:
        daemon, port = start_daemon(workdir)
        try:
            hv = Control(port)
            in_port, out_port, sender_port, receiver_port = free_ports(4)
            hv.send(f"nio create_udp in {in_port} 127.0.0.1 {sender_port}")
            hv.send(f"nio create_udp out {out_port} 127.0.0.1 {receiver_port}")
            hv.send("ethsw create SW1")
            hv.send("ethsw add_nio SW1 in")
            hv.send("ethsw add_nio SW1 out")
            receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            receiver.bind(("127.0.0.1", receiver_port))
            receiver.connect(("127.0.0.1", out_port))
            # the switch learns the receiver's MAC (the frame floods to `in`: nobody listens)
            receiver.send(b"\xff" * 6 + RECEIVER_MAC + b"\x08\x00" + bytes(46))
            time.sleep(0.2)
            table = hv.send("ethsw show_mac_addr_table SW1")
            print(f"pydynamips ethsw, 2 UDP NIOs, known unicast, {args.duration:g} s per run, "
                  f"offered: {'as fast as possible' if args.rate <= 0 else f'{args.rate:,.0f}/s'}")
            for size in (int(s) for s in args.sizes.split(",")):
                results = [one_run(receiver, sender_port, in_port, size, args.duration,
                                   args.rate) for _ in range(args.runs)]
                rates = [r[0] for r in results]
                median = statistics.median(rates)
                mid = results[rates.index(median)] if median in rates else results[0]
                print(f"{size:5d}-byte frames: median {median:,.0f} frames/s "
                      f"({median * size * 8 / 1e6:,.0f} Mbit/s); runs "
                      + " · ".join(f"{r:,.0f}" for r in rates)
                      + f"; offered {mid[1]:,.0f}/s, loss {mid[2]:.0%}")
            del table
            times = latency(receiver, sender_port, in_port)
            print(f"one frame at a time (64 bytes, 2000 frames): one-way latency median "
                  f"{statistics.median(times) * 1e6:,.0f} us, 99th percentile "
                  f"{times[int(len(times) * 0.99)] * 1e6:,.0f} us")
            hv.send("hypervisor stop")
        finally:
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()


if __name__ == "__main__":
    main()
