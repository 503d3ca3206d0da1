"""`vm start` to the first console byte and to the prompt, against a real `pydynamips` daemon.

    .venv/bin/python benchmarks/start_latency.py [--runs 5] [--modes ghost,file,anon]

For each mode a fresh daemon (`pydynamips -H 127.0.0.1:<free port>` in a new temp dir) gets
one router R1 of `tests/firmware/console.elf` (64 MB RAM) with a telnet console port:

* `ghost`: RAM from a ghost file generated first (`vm set_ghost_status G 1`), MAP_PRIVATE;
* `file`: dynamips' default per-VM RAM file (`c7200_R1_ram`, MAP_SHARED), the image copied
  in at every start;
* `anon`: anonymous RAM (`vm set_ram_mmap R1 0`).

Warm: one throw-away start (to the prompt) and stop first, so the launcher process is up
and the console's telnet server is listening. A console client connects then and stays
connected; each run drains it, sends `vm start R1` and times, from the moment the command is
written: the `vm start` reply, the first byte from the guest on the console (telnet bytes
stripped) and the `router> ` prompt (console.elf checksums ~24 MB of data before it prints
its prompt: that is guest time, not start-up time); then `vm stop R1` (timed too). Medians
of `--runs` runs. Benchmarks measure, they do not assert.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from protocol.client import HypervisorClient  # noqa: E402

FIRMWARE = ROOT / "tests" / "firmware" / "console.elf"
PROMPT = b"router> "
IAC = 0xFF


from labkit import free_port, children_of, descendants, alive, Daemon, Console  # noqa: E402


def strip_telnet(data: bytes) -> bytes:
    """Guest bytes of a chunk: IAC IAC is a 0xff, other IAC sequences (3 bytes) go."""
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] == IAC:
            if i + 1 < len(data) and data[i + 1] == IAC:
                out.append(IAC)
                i += 2
            else:
                i += 3
            continue
        out.append(data[i])
        i += 1
    return bytes(out)


async def drain(con: Console, quiet: float = 0.3) -> None:
    while True:
        try:
            chunk = await asyncio.wait_for(con.reader.read(65536), quiet)
        except asyncio.TimeoutError:
            return
        if not chunk:
            raise ConnectionError("console closed")


async def watch(con: Console, t0_box: list, marks: dict) -> None:
    """Record when the first guest byte and the prompt arrive."""
    seen = bytearray()
    while PROMPT not in seen:
        chunk = await con.reader.read(65536)
        now = time.perf_counter()
        if not chunk:
            raise ConnectionError(f"console closed; got {bytes(seen[-300:])!r}")
        guest = strip_telnet(chunk)
        if guest and "first" not in marks:
            marks["first"] = now - t0_box[0]
        seen += guest
    marks["prompt"] = time.perf_counter() - t0_box[0]


async def run_mode(mode: str, runs: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"pydynamips-start-{mode}-"))
    image = workdir / "console.elf"
    shutil.copy(FIRMWARE, image)
    daemon = Daemon(workdir)
    client = None
    con = None
    results: dict[str, list[float]] = {"reply": [], "first": [], "prompt": [], "stop": []}
    try:
        client = await HypervisorClient.connect("127.0.0.1", daemon.port)
        if mode == "ghost":
            await client.send("vm create Ghost 0 c7200")
            await client.send(f'vm set_ios Ghost "{image}"')
            await client.send("vm set_ghost_status Ghost 1")
            await client.send('vm set_ghost_file Ghost "console.elf-64.ghost"')
            await client.send("vm set_ram Ghost 64")
            await client.send("vm start Ghost")
            await client.send("vm stop Ghost")
            await client.send("vm delete Ghost")
        await client.send("vm create R1 1 c7200")
        await client.send(f'vm set_ios R1 "{image}"')
        await client.send("vm set_ram R1 64")
        if mode == "anon":
            await client.send("vm set_ram_mmap R1 0")
        if mode == "ghost":
            await client.send("vm set_ghost_status R1 2")
            await client.send('vm set_ghost_file R1 "console.elf-64.ghost"')
        port = free_port()
        await client.send(f"vm set_con_tcp_port R1 {port}")
        t = time.perf_counter()
        await client.send("vm start R1")                        # the throw-away start
        con = await Console.connect(port)
        await con.expect(PROMPT, 120)
        cold = time.perf_counter() - t
        await client.send("vm stop R1")
        for _ in range(runs):
            await drain(con)
            marks: dict[str, float] = {}
            t0_box = [0.0]
            watcher = asyncio.create_task(watch(con, t0_box, marks))
            await asyncio.sleep(0)                             # the watcher is reading
            t0_box[0] = time.perf_counter()
            await client.send("vm start R1")
            results["reply"].append(time.perf_counter() - t0_box[0])
            await asyncio.wait_for(watcher, 60)
            results["first"].append(marks["first"])
            results["prompt"].append(marks["prompt"])
            t = time.perf_counter()
            await client.send("vm stop R1")
            results["stop"].append(time.perf_counter() - t)
            print(f"  {mode:5}: reply {1000 * results['reply'][-1]:6.1f} ms, first byte "
                  f"{1000 * marks['first']:6.1f} ms, prompt {1000 * marks['prompt']:6.1f} ms, "
                  f"stop {1000 * results['stop'][-1]:6.1f} ms", flush=True)
    finally:
        if con is not None:
            con.close()
        left = await daemon.stop(client)
        if left:
            print(f"  WARNING: processes left after hypervisor stop (killed): {left}")
        shutil.rmtree(workdir, ignore_errors=True)
    return {"mode": mode, "cold": cold, **results}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--modes", default="ghost,file,anon")
    args = ap.parse_args()
    print(f"console.elf, 64 MB RAM, median of {args.runs} warm starts, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")
    results = []
    for mode in args.modes.split(","):
        print(f"mode {mode}:", flush=True)
        results.append(asyncio.run(run_mode(mode, args.runs)))
    print()
    print("| RAM | `vm start` reply | first console byte | `router> ` prompt | `vm stop` "
          "| first start of the daemon, to the prompt |")
    print("|---|---|---|---|---|---|")

    def med(values: list[float]) -> str:
        return f"{1000 * statistics.median(values):.0f} ms"
    for r in results:
        print(f"| {r['mode']} | {med(r['reply'])} | {med(r['first'])} | {med(r['prompt'])} "
              f"| {med(r['stop'])} | {1000 * r['cold']:.0f} ms |")
    print("(from writing `vm start`; medians; target: first byte < 0.5 s warm)")


if __name__ == "__main__":
    main()
