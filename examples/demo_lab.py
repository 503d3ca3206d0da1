"""The demo lab: a hypervisor on 127.0.0.1:7200 running three routers from one ghost image.

    make demo                      # or: .venv/bin/python examples/demo_lab.py [--port 7200]

It starts `pydynamips -H 127.0.0.1:PORT`, generates a ghost RAM file from the bundled
console firmware (the same flow GNS3 uses), starts R1..R3 on it with their consoles on TCP
ports 5001..5003, and stays in the foreground: telnet to a console, or drive the hypervisor
yourself with `nc 127.0.0.1 7200`. Ctrl-C stops every router and the hypervisor.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from protocol.client import HypervisorClient  # noqa: E402

DEMO_IMAGE = ROOT / "tests" / "firmware" / "console.elf"   # our own firmware, committed
IDLE_PC = "0x80008144"                                      # its console polling loop


async def wait_for_port(host: str, port: int, proc: subprocess.Popen) -> HypervisorClient:
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit(f"pydynamips exited with code {proc.returncode}")
        with contextlib.suppress(OSError):
            return await HypervisorClient.connect(host, port, timeout=1)
        await asyncio.sleep(0.05)
    raise SystemExit("pydynamips did not start listening")


async def build_lab(hv: HypervisorClient, workdir: Path, image: Path, routers: int,
                    console_base: int, ram: int) -> None:
    await hv.call("hypervisor", "working_dir", workdir)
    ghost = f"{image.name}-{ram}.ghost"
    await hv.call("vm", "create", "Ghost", 0, "c7200")
    await hv.call("vm", "set_ios", "Ghost", image)
    await hv.call("vm", "set_ghost_status", "Ghost", 1)
    await hv.call("vm", "set_ghost_file", "Ghost", ghost)
    await hv.call("vm", "set_ram", "Ghost", ram)
    await hv.call("vm", "start", "Ghost")
    await hv.call("vm", "clean_delete", "Ghost")
    for i in range(1, routers + 1):
        name = f"R{i}"
        await hv.call("vm", "create", name, i, "c7200")
        await hv.call("vm", "set_ios", name, image)
        await hv.call("vm", "set_ram", name, ram)
        await hv.call("vm", "set_ghost_status", name, 2)
        await hv.call("vm", "set_ghost_file", name, ghost)
        await hv.call("vm", "set_idle_pc", name, IDLE_PC)
        await hv.call("vm", "set_con_tcp_port", name, console_base + i - 1)
        await hv.call("vm", "start", name)
        print(f"  {name}: running, console: telnet 127.0.0.1 {console_base + i - 1}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7200)
    parser.add_argument("--routers", type=int, default=3)
    parser.add_argument("--console-base", type=int, default=5001)
    parser.add_argument("--ram", type=int, default=64, help="MB per router")
    parser.add_argument("--image", type=Path, default=DEMO_IMAGE)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pydynamips-demo-"))
    pydynamips = Path(sys.executable).with_name("pydynamips")
    proc = subprocess.Popen([str(pydynamips), "-H", f"127.0.0.1:{args.port}",
                             "-l", str(workdir / "pydynamips_log.txt")])
    hv = await wait_for_port("127.0.0.1", args.port, proc)
    try:
        print(f"pydynamips {(await hv.send('hypervisor version'))[0]} on 127.0.0.1:{args.port}"
              f" (working dir {workdir})")
        await build_lab(hv, workdir, args.image.resolve(), args.routers, args.console_base,
                        args.ram)
        print(f"Hypervisor: nc 127.0.0.1 {args.port}   (try: vm list)   Ctrl-C stops the lab.")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        waiter = asyncio.create_task(stop.wait())
        exited = asyncio.create_task(asyncio.to_thread(proc.wait))
        await asyncio.wait({waiter, exited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(Exception):
                await hv.send("hypervisor stop")
        await hv.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print("demo lab stopped")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
