"""Host CPU of idle routers and their console round trip, against a real `pydynamips` daemon.

    .venv/bin/python benchmarks/idle_cpu.py [--routers 8] [--window 20] [--modes ...]

For each mode a fresh daemon (`pydynamips -H 127.0.0.1:<free port>` in a new temp dir) starts
`--routers` routers of `tests/firmware/console.elf` (64 MB RAM file, console on a telnet
port each), waits for every `router> ` prompt, lets them settle (`--settle` s), then reads
utime+stime of every worker from /proc/<pid>/stat at the start and the end of a `--window`
s window: CPU per router in % of one core (daemon and launcher are shown apart).
Then the console round trip: on each router, `--trips` times, send `version\\r\\n` and time
until the `PRId` line arrives (0.2 s apart, so the requests land at random phases of the
idle sleeps); the median over all routers.

Modes:
* `idlepc`: `vm set_idle_pc R 0x80008144` (console.elf's polling loop) before start, with the
  automatic detection on as well (the daemon's default);
* `auto`: no idle PC, automatic idle detection (2000 empty console polls);
* `idlepc-only`: the idle PC with the automatic detection off (daemon `--no-auto-idle`);
* `neither`: no idle PC and `--no-auto-idle` (dynamips' behaviour without an idle PC: busy).

The last two need a daemon with `--no-auto-idle`; without it they are skipped (said so).
Benchmarks measure, they do not assert.
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
IDLE_PC = 0x80008144
CLK_TCK = os.sysconf("SC_CLK_TCK")
MODES = {                    # name: (idle PC, daemon arguments)
    "idlepc": (IDLE_PC, ()),
    "auto": (None, ()),
    "idlepc-only": (IDLE_PC, ("--no-auto-idle",)),
    "neither": (None, ("--no-auto-idle",)),
}


from labkit import free_port, children_of, descendants, alive, Daemon, Console  # noqa: E402


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK        # utime + stime


def daemon_supports(option: str) -> bool:
    exe = Path(sys.executable).parent / "pydynamips"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    return option in out.stdout


async def run_mode(mode: str, routers: int, window: float, settle: float, trips: int,
                   idle_pc_value: int) -> dict:
    idle_pc, daemon_args = MODES[mode]
    if idle_pc is not None:
        idle_pc = idle_pc_value
    workdir = Path(tempfile.mkdtemp(prefix=f"pydynamips-idle-{mode}-"))
    image = workdir / "console.elf"
    shutil.copy(FIRMWARE, image)
    daemon = Daemon(workdir, *daemon_args)
    client = None
    consoles: list[Console] = []
    try:
        client = await HypervisorClient.connect("127.0.0.1", daemon.port)
        pids = []
        for i in range(1, routers + 1):
            name = f"R{i}"
            await client.send(f"vm create {name} {i} c7200")
            await client.send(f'vm set_ios {name} "{image}"')
            await client.send(f"vm set_ram {name} 64")
            if idle_pc is not None:
                await client.send(f"vm set_idle_pc {name} {idle_pc:#x}")
            port = free_port()
            await client.send(f"vm set_con_tcp_port {name} {port}")
            before = daemon.workers()
            await client.send(f"vm start {name}")
            (pid,) = daemon.workers() - before
            pids.append(pid)
            consoles.append(await Console.connect(port))
        await asyncio.gather(*(c.expect(PROMPT, 180) for c in consoles))
        await asyncio.sleep(settle)
        launcher = daemon.launcher()
        others = {"daemon": daemon.proc.pid, "launcher": launcher}
        t0 = time.monotonic()
        c0 = {pid: cpu_seconds(pid) for pid in [*pids, *others.values()]}
        await asyncio.sleep(window)
        c1 = {pid: cpu_seconds(pid) for pid in [*pids, *others.values()]}
        wall = time.monotonic() - t0
        per_router = [100 * (c1[p] - c0[p]) / wall for p in pids]
        overhead = {k: 100 * (c1[p] - c0[p]) / wall for k, p in others.items()}
        rtts = []
        for _ in range(trips):
            for con in consoles:
                await asyncio.sleep(0.2)
                t = time.perf_counter()
                con.writer.write(b"version\r\n")
                await con.writer.drain()
                await con.expect(b"PRId", 10)
                rtts.append(time.perf_counter() - t)
                await con.expect(PROMPT, 10)
        for i in range(1, routers + 1):
            await client.send(f"vm stop R{i}")
    finally:
        for c in consoles:
            c.close()
        left = await daemon.stop(client)
        if left:
            print(f"  WARNING: processes left after hypervisor stop (killed): {left}")
        shutil.rmtree(workdir, ignore_errors=True)
    return {"mode": mode, "per_router": per_router, "overhead": overhead, "rtts": rtts,
            "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--routers", type=int, default=8)
    ap.add_argument("--window", type=float, default=20.0, help="seconds of measurement")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="seconds after the prompts before the window opens")
    ap.add_argument("--trips", type=int, default=3, help="console round trips per router")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--idle-pc", default=f"{IDLE_PC:#x}", type=lambda v: int(v, 0),
                    help="the idle PC of the idle-PC modes (default 0x80008144, the top "
                         "proposal of `vm get_idle_pc_prop` for console.elf)")
    args = ap.parse_args()
    modes = args.modes.split(",")
    can_disable = daemon_supports("--no-auto-idle")
    print(f"{args.routers} routers of console.elf (64 MB RAM file), idle PC {args.idle_pc:#x}, "
          f"window {args.window:g} s, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    results = []
    for mode in modes:
        if MODES[mode][1] and not can_disable:
            print(f"mode {mode}: skipped (this pydynamips has no --no-auto-idle: the automatic "
                  f"idle detection cannot be turned off)")
            continue
        print(f"mode {mode}:", flush=True)
        try:
            r = asyncio.run(run_mode(mode, args.routers, args.window, args.settle, args.trips,
                                    args.idle_pc))
        except Exception as exc:                      # noqa: BLE001 - report, go on
            print(f"  mode {mode} failed: {exc!r}", flush=True)
            continue
        results.append(r)
        pr = r["per_router"]
        print(f"  CPU per router: median {statistics.median(pr):.2f}% of a core "
              f"(min {min(pr):.2f}, max {max(pr):.2f}, all {sum(pr):.1f}%); daemon "
              f"{r['overhead']['daemon']:.2f}%, launcher {r['overhead']['launcher']:.2f}%; "
              f"console round trip median {1000 * statistics.median(r['rtts']):.1f} ms "
              f"(max {1000 * max(r['rtts']):.1f})", flush=True)
    print()
    print("| mode | CPU per router, median (min-max) | all routers | daemon + launcher "
          "| console round trip median (max) |")
    print("|---|---|---|---|---|")
    for r in results:
        pr = r["per_router"]
        print(f"| {r['mode']} | {statistics.median(pr):.2f}% ({min(pr):.2f}-{max(pr):.2f}) "
              f"| {sum(pr):.1f}% | {r['overhead']['daemon'] + r['overhead']['launcher']:.2f}% "
              f"| {1000 * statistics.median(r['rtts']):.1f} ms "
              f"({1000 * max(r['rtts']):.1f}) |")
    print("(% of one core, utime+stime from /proc/<pid>/stat over the window; target <= 2% per "
          "idle router with either mechanism)")


if __name__ == "__main__":
    main()
