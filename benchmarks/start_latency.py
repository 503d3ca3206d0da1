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


# -- processes ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> set[int]:
    kids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            kids.add(int(entry))
    return kids


def descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        for kid in children_of(todo.pop()):
            if kid not in out:
                out.add(kid)
                todo.append(kid)
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


class Daemon:
    def __init__(self, workdir: Path, env: dict | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        exe = Path(sys.executable).parent / "pydynamips"
        if not exe.exists():
            sys.exit(f"{exe} not found: run with the project's venv python")
        self.log_path = workdir / "daemon.log"
        self.out = open(workdir / "daemon.out", "w")
        self.proc = subprocess.Popen(
            [str(exe), "-H", f"127.0.0.1:{self.port}", "-l", str(self.log_path),
             "--log-level", "info"], cwd=workdir, stdout=self.out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        self.seen: set[int] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"pydynamips exited: {(workdir / 'daemon.out').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.proc.kill()
        sys.exit("pydynamips did not start listening")

    def launcher(self) -> int | None:
        kids = children_of(self.proc.pid)
        return min(kids) if kids else None

    def workers(self) -> set[int]:
        launcher = self.launcher()
        found = children_of(launcher) if launcher else set()
        self.seen |= found | ({launcher} if launcher else set())
        return found

    async def stop(self, client: HypervisorClient | None) -> list[int]:
        """`hypervisor stop`; returns the pids of ours still alive afterwards (then killed)."""
        self.seen |= descendants(self.proc.pid)
        try:
            if client is not None:
                await asyncio.wait_for(client.send("hypervisor stop"), 30)
                await client.close()
        except Exception as exc:                        # noqa: BLE001
            print(f"  hypervisor stop failed: {exc!r}", file=sys.stderr)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        deadline = time.monotonic() + 5
        left = [p for p in self.seen if alive(p)]
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = [p for p in self.seen if alive(p)]
        for pid in left:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        self.out.close()
        return left


# -- console -----------------------------------------------------------------------------------
class Console:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.seen = reader, writer, bytearray()

    @classmethod
    async def connect(cls, port: int) -> "Console":
        for _ in range(100):
            try:
                return cls(*await asyncio.open_connection("127.0.0.1", port))
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError(f"console port {port} never accepted")

    async def expect(self, text: bytes, timeout: float) -> bytes:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in self.seen:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"{text!r} not seen; got {bytes(self.seen[-300:])!r}")
            chunk = await asyncio.wait_for(self.reader.read(65536), left)
            if not chunk:
                raise ConnectionError(f"console closed; got {bytes(self.seen[-300:])!r}")
            self.seen += chunk
        end = self.seen.index(text) + len(text)
        out = bytes(self.seen[:end])
        del self.seen[:end]
        return out

    def close(self) -> None:
        self.writer.close()


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
