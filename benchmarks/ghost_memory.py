"""Memory per router, with and without ghost RAM, against a real `pydynamips` daemon.

    .venv/bin/python benchmarks/ghost_memory.py [--ram 64] [--counts 1,4,8,16]
                                                [--modes ghost,file,anon] [--settle 3]

For each mode a fresh daemon (`pydynamips -H 127.0.0.1:<free port>`, working directory a
new temp dir) runs routers of `tests/firmware/console.elf` (RAM `--ram` MB, default 64), each
in its own worker process (daemon -> launcher -> one worker per router):

* `ghost`: a ghost VM first generates `console.elf-<ram>.ghost` (`vm set_ghost_status G 1`),
  then every router maps it MAP_PRIVATE (`vm set_ghost_status R 2`);
* `file`: dynamips' default, a per-VM RAM file `c7200_R<n>_ram` mapped MAP_SHARED (its pages
  are page cache of the temp dir's file system: MemAvailable counts most of them as
  available, MemFree does not);
* `anon`: anonymous RAM (`vm set_ram_mmap R 0`).

One throw-away router is started and stopped first, so the launcher is warm and the
baseline includes it. Routers are then added up to each count in `--counts`; when every
router has printed its `router> ` prompt (and `--settle` seconds passed) the script records:

* system: MemAvailable / MemFree / Cached deltas from /proc/meminfo against the baseline
  (system-wide, so other jobs on the machine add noise);
* per worker, from /proc/<pid>/smaps_rollup: USS (Private_Clean + Private_Dirty) and PSS;
  from /proc/<pid>/smaps, the guest RAM mapping alone: its Rss and Private_Dirty (for a
  ghost, the pages the guest wrote: copy-on-write copies);
* "tree": anonymous PSS of daemon + launcher + workers plus the PSS of the RAM / ghost file
  pages the workers map (not the total PSS: shared-library pages are shared with other
  Python processes on the machine, so the total drifts with other jobs).

"MB per additional router" is (value at the largest count - value at the smallest) divided
by the difference in router count. Benchmarks measure, they do not assert.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
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


from labkit import free_port, children_of, descendants, alive, Daemon, Console  # noqa: E402


# -- memory ------------------------------------------------------------------------------------
def meminfo() -> dict[str, int]:
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":")
            out[key] = int(value.split()[0])              # kB
    return out


def system_sample(samples: int = 5) -> dict[str, float]:
    """Median of a few /proc/meminfo readings 0.2 s apart (kB)."""
    readings = []
    for i in range(samples):
        if i:
            time.sleep(0.2)
        readings.append(meminfo())
    keys = ("MemAvailable", "MemFree", "Cached")
    return {k: sorted(r[k] for r in readings)[samples // 2] for k in keys}


def rollup(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def ram_mapping(pid: int, ram_kb: int, names: tuple[str, ...]) -> dict[str, int]:
    """The guest RAM mapping's figures (kB): by file name, else the anonymous one of its size."""
    found: dict[str, int] = {}
    current: dict = {}
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):        # a mapping's header
                current = {"path": head[5] if len(head) > 5 else ""}
                continue
            key = head[0].rstrip(":")
            if len(head) == 3 and head[2] == "kB":
                current[key] = int(head[1])
            if key == "VmFlags" and current.get("Size") == ram_kb:
                path = current["path"]
                if any(path.endswith(n) or path.endswith(n + " (deleted)") for n in names) \
                        or (not names and not path):
                    found = current
    return found


def worker_figures(pid: int, ram_kb: int, names: tuple[str, ...]) -> dict[str, float]:
    """Per worker (MB): USS, PSS, anonymous PSS, and the RAM mapping's parts.

    ram_file_pss: page-cache pages of the RAM file / ghost file (shared ones split);
    ram_anon: anonymous pages inside the RAM mapping (ghost: copy-on-write copies of pages
    the guest wrote; anonymous RAM: every page touched); overhead: USS outside the RAM
    mapping (Python, numba, devices)."""
    r = rollup(pid)
    m = ram_mapping(pid, ram_kb, names)
    uss = r["Private_Clean"] + r["Private_Dirty"]
    ram_private = m.get("Private_Clean", 0) + m.get("Private_Dirty", 0)
    ram_anon = m.get("Anonymous", 0)
    return {"uss": uss / 1024, "pss": r["Pss"] / 1024, "pss_anon": r["Pss_Anon"] / 1024,
            "ram_rss": m.get("Rss", 0) / 1024, "ram_anon": ram_anon / 1024,
            "ram_file_pss": max(m.get("Pss", 0) - ram_anon, 0) / 1024,
            "overhead": (uss - ram_private) / 1024}


def tree_memory(pids: list[int], ram_kb: int, names: tuple[str, ...]) -> float:
    """MB the process tree costs: anonymous + shmem PSS of every process (anonymous pages
    are only shared inside the tree, by fork) plus the RAM/ghost file pages the workers map.
    Not the total PSS: shared-library pages are shared with other Python processes on the
    machine (other jobs), which makes the total PSS drift with them."""
    kb = 0
    for pid in pids:
        r = rollup(pid)
        kb += r["Pss_Anon"] + r.get("Pss_Shmem", 0)
        m = ram_mapping(pid, ram_kb, names)
        kb += max(m.get("Pss", 0) - m.get("Anonymous", 0), 0)
    return kb / 1024


# -- the benchmark -----------------------------------------------------------------------------
async def create_router(client: HypervisorClient, name: str, instance: int, image: Path,
                        mode: str, ram: int, ghost: str | None) -> int:
    await client.send(f"vm create {name} {instance} c7200")
    await client.send(f'vm set_ios {name} "{image}"')
    await client.send(f"vm set_ram {name} {ram}")
    if mode == "anon":
        await client.send(f"vm set_ram_mmap {name} 0")
    if mode == "ghost":
        await client.send(f"vm set_ghost_status {name} 2")
        await client.send(f'vm set_ghost_file {name} "{ghost}"')
    port = free_port()
    await client.send(f"vm set_con_tcp_port {name} {port}")
    return port


async def run_mode(mode: str, counts: list[int], ram: int, settle: float) -> list[dict]:
    workdir = Path(tempfile.mkdtemp(prefix=f"pydynamips-mem-{mode}-"))
    image = workdir / "console.elf"
    shutil.copy(FIRMWARE, image)
    daemon = Daemon(workdir)
    client = None
    rows: list[dict] = []
    consoles: list[Console] = []
    try:
        client = await HypervisorClient.connect("127.0.0.1", daemon.port)
        ghost = None
        if mode == "ghost":
            ghost = f"console.elf-{ram}.ghost"
            t0 = time.perf_counter()
            await client.send(f'vm create Ghost 0 c7200')
            await client.send(f'vm set_ios Ghost "{image}"')
            await client.send("vm set_ghost_status Ghost 1")
            await client.send(f'vm set_ghost_file Ghost "{ghost}"')
            await client.send(f"vm set_ram Ghost {ram}")
            await client.send("vm start Ghost")
            await client.send("vm stop Ghost")
            await client.send("vm delete Ghost")
            print(f"  ghost generated in {time.perf_counter() - t0:.2f} s "
                  f"({(workdir / ghost).stat().st_size >> 20} MB file)")
        # warm-up: a throw-away router, so the launcher is up and warm in the baseline
        port = await create_router(client, "Warm", 99, image, mode, ram, ghost)
        await client.send("vm start Warm")
        con = await Console.connect(port)
        await con.expect(PROMPT, 120)
        con.close()
        await client.send("vm stop Warm")
        await client.send("vm delete Warm")
        await asyncio.sleep(settle)
        base = system_sample()
        names = {"ghost": (ghost,) if ghost else (), "file": ("_ram",), "anon": ()}[mode]
        ram_kb = ram << 10
        tree_base = tree_memory([daemon.proc.pid, daemon.launcher()], ram_kb, names)
        pids: dict[str, int] = {}
        started = 0
        for count in counts:
            new_ports = []
            for i in range(started + 1, count + 1):
                name = f"R{i}"
                port = await create_router(client, name, i, image, mode, ram, ghost)
                before = daemon.workers()
                await client.send(f"vm start {name}")
                (pid,) = daemon.workers() - before
                pids[name] = pid
                new_ports.append(port)
            started = count
            fresh = [await Console.connect(p) for p in new_ports]
            consoles += fresh
            t0 = time.perf_counter()
            await asyncio.gather(*(c.expect(PROMPT, 180) for c in fresh))
            boot = time.perf_counter() - t0
            await asyncio.sleep(settle)
            now = system_sample()
            workers = [worker_figures(pid, ram_kb, names) for pid in pids.values()]
            tree = tree_memory([daemon.proc.pid, daemon.launcher(), *pids.values()],
                               ram_kb, names)
            n = len(workers)
            row = {
                "mode": mode, "n": count, "boot_s": boot,
                "d_avail": (base["MemAvailable"] - now["MemAvailable"]) / 1024,
                "d_free": (base["MemFree"] - now["MemFree"]) / 1024,
                "d_cached": (now["Cached"] - base["Cached"]) / 1024,
                "tree": tree - tree_base,
                **{k: sum(w[k] for w in workers) / n for k in workers[0]},
            }
            rows.append(row)
            print(f"  {mode:5} N={count:2}: used (MemAvailable) {row['d_avail']:+.1f} MB, "
                  f"(MemFree) {row['d_free']:+.1f} MB, Cached {row['d_cached']:+.1f} MB, "
                  f"tree +{row['tree']:.1f} MB; per worker: USS {row['uss']:.1f} "
                  f"PSS {row['pss']:.1f} overhead {row['overhead']:.1f} RAM rss "
                  f"{row['ram_rss']:.1f} anon {row['ram_anon']*1024:.0f} kB "
                  f"(prompts {boot:.1f} s after connecting)", flush=True)
        for name in pids:
            await client.send(f"vm stop {name}")
        await asyncio.sleep(settle)
        after = system_sample()
        rows[-1]["freed"] = (after["MemAvailable"] - now["MemAvailable"]) / 1024
        print(f"  {mode:5} all stopped: MemAvailable {rows[-1]['freed']:+.1f} MB against "
              f"N={counts[-1]}", flush=True)
    finally:
        for c in consoles:
            c.close()
        left = await daemon.stop(client)
        if left:
            print(f"  WARNING: processes left after hypervisor stop (killed): {left}")
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def slope(rows: list[dict], key: str) -> float:
    a, b = rows[0], rows[-1]
    return (b[key] - a[key]) / (b["n"] - a["n"]) if b["n"] != a["n"] else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ram", type=int, default=64, help="guest RAM in MB (default 64)")
    ap.add_argument("--counts", default="1,4,8,16")
    ap.add_argument("--modes", default="ghost,file,anon")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="seconds to wait after the prompts before measuring")
    args = ap.parse_args()
    counts = sorted(int(c) for c in args.counts.split(","))
    print(f"console.elf, RAM {args.ram} MB, counts {counts}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    results = {}
    for mode in args.modes.split(","):
        print(f"mode {mode}:", flush=True)
        results[mode] = asyncio.run(run_mode(mode, counts, args.ram, args.settle))
    print()
    print("| RAM | N | MemAvailable Δ | MemFree Δ | tree Δ | worker USS | worker PSS "
          "| worker overhead (USS outside RAM) | RAM mapping Rss | RAM anon (written) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode, rows in results.items():
        for r in rows:
            print(f"| {mode} | {r['n']} | {r['d_avail']:.0f} | {r['d_free']:.0f} "
                  f"| {r['tree']:.0f} | {r['uss']:.1f} | {r['pss']:.1f} "
                  + (f"| {r['overhead']:.1f} " if mode != "anon" else "| n/a ")
                  + (f"| {r['ram_rss']:.1f} | {r['ram_anon']:.2f} |" if mode != "anon" else
                     "| n/a | n/a |"))
    print("(MB; Δ against the baseline with daemon and warm launcher; tree = anonymous PSS of "
          "daemon + launcher + workers + their RAM/ghost file pages; anonymous RAM merges with "
          "neighbouring anonymous mappings, so its own figures are n/a)")
    for mode, rows in results.items():
        if "freed" in rows[-1]:
            print(f"{mode}: stopping all {rows[-1]['n']} routers returned "
                  f"{rows[-1]['freed']:.0f} MB of MemAvailable")
    print()
    lo, hi = counts[0], counts[-1]
    print(f"MB per additional router (N={lo} -> N={hi}):")
    print("| RAM | MemAvailable | MemFree | tree | of which guest-written pages (RAM anon) |")
    print("|---|---|---|---|---|")
    for mode, rows in results.items():
        print(f"| {mode} | {slope(rows, 'd_avail'):.1f} | {slope(rows, 'd_free'):.1f} "
              f"| {slope(rows, 'tree'):.1f} | "
              + (f"{rows[-1]['ram_anon']:.2f} |" if mode != "anon" else "all its RAM |"))
    if "ghost" in results:
        rows = results["ghost"]
        per = slope(rows, "tree")
        wrote = rows[-1]["ram_anon"]
        print(f"\nghost: {per:.1f} MB per additional router, {wrote:.2f} MB of it pages the "
              f"guest wrote -> {per - wrote:.1f} MB beyond them (target: <= 12 MB plus the "
              f"pages it writes)")


if __name__ == "__main__":
    main()
