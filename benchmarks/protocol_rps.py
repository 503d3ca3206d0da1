"""Hypervisor protocol round trips per second against a real `pydynamips` daemon process.

    .venv/bin/python benchmarks/protocol_rps.py [--duration 2] [--runs 5] [--port PORT]

Starts `pydynamips -H 127.0.0.1:0` (the port it prints is used; `--port` targets a daemon
already listening instead, e.g. a real dynamips), creates one c7200 VM, then measures:

* round trips with 1 and with 8 concurrent clients: each client sends one command, waits
  for its reply, sends the next (as GNS3 does: one command in flight per connection);
* pipelined: one client writes a batch of commands at once and reads every reply.

The command is `vm get_status "R1"` (a VM lookup, one-line reply), plus `hypervisor
version` for the single-client figure. Each figure is the median of `--runs` runs; the
clients are plain asyncio streams in this process (the daemon is another process: on a
2-core machine client and daemon each get about one core).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READY = re.compile(rb"Hypervisor TCP control server started \(IP \S+ port (\d+)\)")
STATUS = b'vm get_status "R1"\n'
VERSION = b"hypervisor version\n"
PIPELINE_BATCH = 20_000


def start_daemon(workdir: str) -> tuple[subprocess.Popen, int]:
    exe = Path(sys.executable).parent / "pydynamips"
    if not exe.exists():
        sys.exit(f"{exe} not found: run `make venv` first")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1:0", "-l", os.path.join(workdir, "log.txt"),
                             "--log-level", "warning"],
                            cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        match = READY.search(line)
        if match:
            return proc, int(match.group(1))
    proc.kill()
    sys.exit(f"pydynamips did not start:\n{seen.decode(errors='replace')}")


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   line: bytes) -> bytes:
    writer.write(line)
    reply = await reader.readuntil(b"\r\n")
    if not reply.startswith(b"100-"):
        raise RuntimeError(f"unexpected reply to {line!r}: {reply!r}")
    return reply


async def round_trip_client(port: int, command: bytes, duration: float,
                            start: asyncio.Event) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await exchange(reader, writer, command)           # warm the connection
        await start.wait()
        count = 0
        end = time.perf_counter() + duration
        while time.perf_counter() < end:
            await exchange(reader, writer, command)
            count += 1
        return count
    finally:
        writer.close()


async def round_trips(port: int, clients: int, command: bytes, duration: float) -> float:
    start = asyncio.Event()
    tasks = [asyncio.create_task(round_trip_client(port, command, duration, start))
             for _ in range(clients)]
    await asyncio.sleep(0.2)                               # every client connected
    t0 = time.perf_counter()
    start.set()
    counts = await asyncio.gather(*tasks)
    return sum(counts) / (time.perf_counter() - t0)


async def pipelined(port: int, command: bytes, batch: int) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await exchange(reader, writer, command)
        t0 = time.perf_counter()
        writer.write(command * batch)
        got = 0
        while got < batch:
            chunk = await reader.read(1 << 20)
            if not chunk:
                raise RuntimeError("daemon closed the connection")
            got += chunk.count(b"\r\n")
        return batch / (time.perf_counter() - t0)
    finally:
        writer.close()


async def setup(port: int) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    version = (await exchange(reader, writer, VERSION)).decode().strip()[4:]
    writer.write(b'vm create "R1" 1 c7200\n')
    await reader.readuntil(b"\r\n")                        # may already exist: fine
    await exchange(reader, writer, STATUS)
    writer.close()
    return version


async def stop(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await exchange(reader, writer, b'vm delete "R1"\n')
    await exchange(reader, writer, b"hypervisor stop\n")
    writer.close()


def fmt(rates: list[float]) -> str:
    return (f"{statistics.median(rates):>9,.0f} /s   (runs: "
            + ", ".join(f"{r:,.0f}" for r in rates) + ")")


async def main_async(args: argparse.Namespace) -> None:
    version = await setup(args.port)
    print(f"pydynamips protocol round trips — server {version}, {os.cpu_count()} CPUs, "
          f"median of {args.runs} runs of {args.duration:g} s")
    rows = [("1 client,  vm get_status", 1, STATUS),
            ("1 client,  hypervisor version", 1, VERSION),
            ("8 clients, vm get_status", 8, STATUS)]
    for label, clients, command in rows:
        rates = [await round_trips(args.port, clients, command, args.duration)
                 for _ in range(args.runs)]
        print(f"  {label:<36} {fmt(rates)}")
    rates = [await pipelined(args.port, STATUS, PIPELINE_BATCH) for _ in range(args.runs)]
    print(f"  {'pipelined (1 client, batch ' + format(PIPELINE_BATCH, ',') + ')':<36} "
          f"{fmt(rates)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, help="use a daemon already listening here")
    args = parser.parse_args()
    if args.port is not None:
        asyncio.run(main_async(args))
        return 0
    with tempfile.TemporaryDirectory(prefix="pydynamips-bench-") as workdir:
        proc, args.port = start_daemon(workdir)
        try:
            asyncio.run(main_async(args))
            asyncio.run(stop(args.port))
            code = proc.wait(timeout=20)
            if code != 0:
                print(f"pydynamips exited {code}", file=sys.stderr)
                return 1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
