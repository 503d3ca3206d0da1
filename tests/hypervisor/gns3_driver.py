"""Drive a pydynamips daemon with GNS3's own client class, as gns3-server 2.2 does.

Run by tests/hypervisor/test_gns3_client.py with the python of a virtual environment that
holds gns3-server (its pins clash with ours, so it never runs in the project's venv):

    .venv-gns3/bin/python tests/hypervisor/gns3_driver.py --port 7200 --workdir /tmp/x

It connects with `gns3server.compute.dynamips.dynamips_hypervisor.DynamipsHypervisor`, sends
the command sequence of a GNS3 c7200 node's life (PROTOCOL.md §5: create, settings, list,
rename, stop, delete, `hypervisor stop`) and prints one JSON object on stdout: every value
GNS3's class returned, keyed by step name, so the test asserts on what GNS3 would see.
With `--launch PATH` it instead lets GNS3's `Hypervisor` class probe, start and stop the
daemon process itself.
This file imports only the standard library and gns3server: it must not import the project.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import traceback

from gns3server.compute.dynamips.dynamips_error import DynamipsError
from gns3server.compute.dynamips import Dynamips
from gns3server.compute.dynamips.dynamips_hypervisor import DynamipsHypervisor
from gns3server.compute.dynamips.hypervisor import Hypervisor
from gns3server.version import __version__ as GNS3_VERSION

NODE_UUID = "6f1c2a53-3a5e-4e4f-9a5c-0d7d2bd1e001"
IOS_IMAGE = "/images/IOS/c7200-adventerprisek9-mz.124-24.T5.image"
BULK_VMS = 40          # enough `vm list` lines for a reply longer than GNS3's 1024-byte reads


class Recorder:
    """Sends through GNS3's class and keeps each outcome: a reply list or an error text."""

    def __init__(self, hv: DynamipsHypervisor) -> None:
        self.hv = hv
        self.results: dict[str, object] = {}

    async def send(self, key: str | None, command: str) -> list[str]:
        reply = await self.hv.send(command)
        if key is not None:
            self.results[key] = reply
        return reply

    async def outcome(self, key: str, command: str) -> None:
        """Record {"reply": [...]} or {"error": text}, whichever happens."""
        try:
            self.results[key] = {"reply": await self.hv.send(command)}
        except DynamipsError as exc:
            self.results[key] = {"error": str(exc)}

    async def expect_error(self, key: str, command: str) -> None:
        """A command GNS3 expects may fail: record DynamipsError's text (or the surprise)."""
        try:
            reply = await self.hv.send(command)
        except DynamipsError as exc:
            self.results[key] = {"error": str(exc)}
        else:
            self.results[key] = {"unexpected_success": reply}


async def drive(host: str, port: int, workdir: str) -> dict[str, object]:
    project_dir = os.path.join(workdir, "project-files", "dynamips")
    node_dir = os.path.join(project_dir, NODE_UUID)
    os.makedirs(node_dir, exist_ok=True)

    # Dynamips.create_hypervisor / Hypervisor.connect: `hypervisor version`, then working_dir.
    hv = DynamipsHypervisor(project_dir, host, port, timeout=30.0)
    await hv.connect(timeout=20)
    rec = Recorder(hv)
    out = rec.results
    out["gns3_version"] = GNS3_VERSION
    out["version"] = hv.version
    out["hv_working_dir"] = hv.working_dir

    # Router.create
    await hv.set_working_dir(node_dir)
    out["node_working_dir"] = hv.working_dir
    await rec.send("create", 'vm create "R1" 1 c7200')
    out["lock_files"] = sorted(f for f in os.listdir(node_dir) if f.endswith("_lock"))
    await rec.send("set_con_tcp_port", 'vm set_con_tcp_port "R1" 5000')
    await rec.send("set_aux_tcp_port", 'vm set_aux_tcp_port "R1" 5001')
    mac = await rec.send("get_mac_addr", 'c7200 get_mac_addr "R1"')
    out["mac"] = mac[0] if mac else None
    await rec.send("set_npe", 'c7200 set_npe "R1" npe-200')
    await rec.send("status_created", 'vm get_status "R1"')
    await rec.send("slot0", 'vm slot_add_binding "R1" 0 0 C7200-IO-FE')

    # Router.update_settings: one setter per changed property.
    await rec.send("set_ios", f'vm set_ios "R1" "{IOS_IMAGE}"')
    await rec.send("set_ram", 'vm set_ram "R1" 512')
    await rec.send("set_nvram", 'vm set_nvram "R1" 512')
    await rec.send("set_disk0", 'vm set_disk0 "R1" 0')
    await rec.send("set_exec_area", 'vm set_exec_area "R1" 64')
    await rec.send("status_idle_pc", 'vm get_status "R1"')
    await rec.send("set_idle_pc", 'vm set_idle_pc "R1" 0x60630d08')
    await rec.send("set_midplane", 'c7200 set_midplane "R1" vxr')
    await rec.send("set_temp_sensor", 'c7200 set_temp_sensor "R1" 0 22')
    await rec.send("set_power_supply", 'c7200 set_power_supply "R1" 1 0')
    await rec.send("set_mac_addr", 'c7200 set_mac_addr "R1" ca01.1f2e.0001')
    mac = await rec.send("get_mac_addr_after_set", 'c7200 get_mac_addr "R1"')
    out["mac_after_set"] = mac[0] if mac else None
    await rec.send("set_system_id", 'c7200 set_system_id "R1" FTX0945W0MY')
    await rec.send("status_slot1", 'vm get_status "R1"')
    await rec.send("slot1", 'vm slot_add_binding "R1" 1 0 PA-FE-TX')
    await rec.send("slot_bindings", 'vm slot_bindings "R1"')
    await rec.send("set_ram_mmap", 'vm set_ram_mmap "R1" 0')
    await rec.send("set_sparse_mem", 'vm set_sparse_mem "R1" 0')

    # A second router (as a second GNS3 node on a shared hypervisor), then the listing.
    await rec.send("create_r2", 'vm create "R2" 2 c7200')
    await rec.send("list", "vm list")

    # Rename (Router.set_name), then the listing again.
    await rec.send("rename", 'vm rename "R1" "R1-renamed"')
    await rec.send("list_after_rename", "vm list")
    await rec.send("status_renamed", 'vm get_status "R1-renamed"')
    out["lock_files_after_rename"] = sorted(f for f in os.listdir(node_dir)
                                            if f.endswith("_lock"))

    # A listing longer than one of GNS3's 1024-byte reads.
    for i in range(BULK_VMS):
        await rec.send(None, f'vm create "bulk-router-with-a-long-name-{i:03d}" {100 + i} c7200')
    bulk = await rec.send(None, "vm list")
    out["bulk_list_len"] = len(bulk)
    out["bulk_list_first"] = bulk[0] if bulk else None
    out["bulk_list_last"] = bulk[-1] if bulk else None
    for i in range(BULK_VMS):
        await rec.send(None, f'vm delete "bulk-router-with-a-long-name-{i:03d}"')

    # Errors come back as GNS3's DynamipsError carrying our text.
    await rec.expect_error("error_unknown_vm", 'vm get_status "nosuch"')
    await rec.expect_error("error_unknown_command", 'vm nosuch "R1-renamed"')
    await rec.expect_error("error_bad_params", 'vm create "R3"')
    await rec.expect_error("error_duplicate", 'vm create "R2" 3 c7200')
    # A start that cannot work (512 MB on an npe-200) must be a clean error, not a hang.
    await rec.expect_error("start", 'vm start "R1-renamed"')
    # The connection is still usable after errors.
    await rec.send("status_after_errors", 'vm get_status "R1-renamed"')

    # Router.stop / Router.delete: get_status, (stop), extract_config (error ignored), delete.
    await rec.send("status_before_delete", 'vm get_status "R1-renamed"')
    await rec.send("stop", 'vm stop "R1-renamed"')
    await rec.expect_error("extract_config", 'vm extract_config "R1-renamed"')
    await rec.send("delete", 'vm delete "R1-renamed"')
    await rec.send("delete_r2", 'vm delete "R2"')
    await rec.send("list_after_delete", "vm list")
    out["lock_files_after_delete"] = sorted(f for f in os.listdir(node_dir)
                                            if f.endswith("_lock"))

    # Built-in slot-0 adapters and WICs (Router.install_wic: WICs go on the slot-0 adapter,
    # sub-slot 16 * (wic + 1); GNS3 never binds slot 0 itself on these platforms).
    for vm_id, platform, chassis, wic in ((3, "c2691", None, "WIC-2T"),
                                          (4, "c2600", "2621XM", "WIC-1T"),
                                          (5, "c1700", "1760", "WIC-1ENET"),
                                          (6, "c3600", "3660", None)):
        name = f"W{vm_id}"
        await rec.send(None, f'vm create "{name}" {vm_id} {platform}')
        if chassis:
            await rec.send(None, f'{platform} set_chassis "{name}" {chassis}')
        if wic:
            await rec.outcome(f"wic_{platform}", f'vm slot_add_binding "{name}" 0 16 {wic}')
        await rec.send(f"bindings_{platform}", f'vm slot_bindings "{name}"')
        await rec.send(None, f'vm delete "{name}"')

    # DynamipsHypervisor.stop() swallows errors: send `hypervisor stop` itself to see the
    # reply, then close the way stop() does.
    await rec.send("hypervisor_stop", "hypervisor stop")
    await hv._writer.drain()
    hv._writer.close()
    hv._reader = hv._writer = None
    return out


async def launch(path: str, workdir: str) -> dict[str, object]:
    """GNS3's own process management: version probe, start, connect, stop.

    `Dynamips.dynamips_version` runs `<path> -P none` and parses the banner;
    `Hypervisor.start` runs `<path> -N1 -l dynamips_i<N>_log.txt -H 127.0.0.1:<port>
    --console-binding-addr 127.0.0.1` (bind_console_host: version >= 0.2.23) with the working
    dir as cwd; `Hypervisor.stop` sends `hypervisor stop`, waits 3 s for the process to exit
    and kills it otherwise.
    """
    out: dict[str, object] = {"gns3_version": GNS3_VERSION}
    out["probed_version"] = await Dynamips.dynamips_version(path)
    with socket.socket() as sock:            # as Dynamips.start_new_hypervisor picks a port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    os.makedirs(workdir, exist_ok=True)
    hv = Hypervisor(path, workdir, "127.0.0.1", port, "127.0.0.1", bind_console_host=True)
    await hv.start()
    out["command"] = hv._command[1:]
    await hv.connect()
    out["version"] = hv.version
    out["running_after_connect"] = hv.is_running()
    out["create"] = await hv.send('vm create "R1" 1 c7200')
    out["list"] = await hv.send("vm list")
    stdout_file = hv._stdout_file
    await hv.stop()
    out["running_after_stop"] = hv.is_running()
    out["returncode"] = hv.process.returncode   # -9 would mean GNS3 had to kill it
    out["stdout_file_removed"] = not os.path.exists(stdout_file)
    return out


async def read_console_until(port: int, marker: bytes, send: bytes = b"",
                             timeout: float = 60) -> bytes:
    """A telnet-like console client (standard library only): what arrives up to `marker`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if send:
            writer.write(send)
            await writer.drain()
        data = b""
        while marker not in data:
            chunk = await asyncio.wait_for(reader.read(4096), timeout)
            if not chunk:
                break
            data += chunk
        return data
    finally:
        writer.close()


async def run_router(host: str, port: int, workdir: str, image: str) -> dict[str, object]:
    """GNS3's node start with ghost IOS (PROTOCOL.md §5), a console, suspend, stop."""
    project_dir = os.path.join(workdir, "project-files", "dynamips")
    node_dir = os.path.join(project_dir, NODE_UUID)
    os.makedirs(os.path.join(node_dir, "configs"), exist_ok=True)
    with open(os.path.join(node_dir, "configs", "i1_startup-config.cfg"), "w") as f:
        f.write("hostname R1\n!\nend\n")
    hv = DynamipsHypervisor(project_dir, host, port, timeout=30.0)
    await hv.connect(timeout=20)
    rec = Recorder(hv)
    out = rec.results
    await rec.send(None, f'hypervisor working_dir "{node_dir}"')
    # Router.create
    await rec.send(None, 'vm create "R1" 1 c7200')
    console = 2000 + os.getpid() % 20000
    await rec.send(None, f'vm set_con_tcp_port "R1" {console}')
    await rec.send(None, 'vm slot_add_binding "R1" 0 0 C7200-IO-FE')
    await rec.send(None, f'vm set_ios "R1" "{image}"')
    await rec.send(None, 'vm set_ram "R1" 64')
    # ghost IOS: a throw-away VM named Ghost, instance 0, generates the file
    ghost = os.path.basename(image).replace("\\", "-").replace("/", "-") + "-64.ghost"
    ghost_path = os.path.join(project_dir, ghost)
    await rec.send(None, 'vm create "Ghost" 0 c7200')
    await rec.send(None, f'vm set_ios "Ghost" "{image}"')
    await rec.send(None, 'vm set_ghost_status "Ghost" 1')
    await rec.send(None, f'vm set_ghost_file "Ghost" "{ghost_path}"')
    await rec.send(None, 'vm set_ram "Ghost" 64')
    await rec.send(None, 'vm get_status "Ghost"')
    await rec.send(None, 'vm set_config "Ghost" "configs/i0_startup-config.cfg" ""')
    await rec.send("ghost_start", 'vm start "Ghost"')
    await rec.send("ghost_status", 'vm get_status "Ghost"')
    await rec.send(None, 'vm stop "Ghost"')
    await rec.expect_error("ghost_extract", 'vm extract_config "Ghost"')
    await rec.send(None, 'vm clean_delete "Ghost"')
    out["ghost_size"] = os.path.getsize(ghost_path)
    await rec.send(None, 'vm set_ghost_status "R1" 2')
    await rec.send(None, f'vm set_ghost_file "R1" "{ghost_path}"')
    # Router.start
    await rec.send("status_before", 'vm get_status "R1"')
    await rec.send(None, 'vm set_config "R1" "configs/i1_startup-config.cfg"')
    await rec.send("start", 'vm start "R1"')
    await rec.send("status_running", 'vm get_status "R1"')
    out["console_boot"] = (await read_console_until(console, b"router> ")).decode(
        "latin-1")
    out["console_version"] = (await read_console_until(
        console, b"PRId", send=b"version\r\n")).decode("latin-1")
    # idle-PC the way GNS3's auto-idlepc does it
    out["idle_pc_prop"] = await hv.send('vm get_idle_pc_prop "R1" 0')
    await rec.send(None, f'vm set_idle_pc_online "R1" 0 {out["idle_pc_prop"][0].split()[0]}')
    out["cpu_usage"] = await hv.send('vm cpu_usage "R1" 0')
    await rec.send("suspend", 'vm suspend "R1"')
    await rec.send("status_suspended", 'vm get_status "R1"')
    await rec.send("resume", 'vm resume "R1"')
    # Router.stop: get_status, stop, extract_config
    await rec.send(None, 'vm get_status "R1"')
    await rec.send("stop", 'vm stop "R1"')
    await rec.send("status_stopped", 'vm get_status "R1"')
    await rec.send("extract", 'vm extract_config "R1"')
    await rec.send(None, 'vm delete "R1"')
    await rec.send("hypervisor_stop", "hypervisor stop")
    await hv._writer.drain()
    hv._writer.close()
    hv._reader = hv._writer = None
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--workdir", required=True)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--port", type=int, help="drive a daemon already listening here")
    mode.add_argument("--launch", metavar="PATH",
                      help="start PATH as GNS3's Hypervisor class does, then stop it")
    parser.add_argument("--run-image", metavar="ELF",
                        help="with --port: run a router from ELF (ghost, console, stop)")
    args = parser.parse_args()
    if args.launch:
        job = launch(args.launch, args.workdir)
    elif args.run_image:
        job = run_router(args.host, args.port, args.workdir, args.run_image)
    else:
        job = drive(args.host, args.port, args.workdir)
    try:
        result = asyncio.run(asyncio.wait_for(job, 120))
    except BaseException:
        traceback.print_exc()
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
