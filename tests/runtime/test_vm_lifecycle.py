"""Routers running in worker processes: start, console, suspend/resume, stop, restart,
crashes, NVRAM persistence (real workers, real telnet sockets, real files)."""
from __future__ import annotations

import asyncio
import base64
import os
import signal
import time

from platforms.c7200.nvram import NvramFile

from ..hypervisor.test_vm_module import expect_error
from .conftest import TelnetConsole, create_router

PROMPT = b"router> "


async def test_start_console_suspend_resume_stop_restart(client, server, console_elf, tmp_path):
    port = await create_router(client, "R1", 1, console_elf)
    assert await client.send("vm start R1") == ["VM 'R1' started"]
    assert await client.send("vm get_status R1") == ["2"]
    assert await client.send("vm list_con_ports") == [f"R1 ({port})", "OK"]
    assert (tmp_path / "c7200_R1_ram").stat().st_size == 64 << 20     # mmap'd RAM file
    con = await TelnetConsole.connect(port)
    boot = await con.expect(PROMPT)
    assert boot.startswith(b"\xff\xfb\x01\xff\xfb\x03")            # WILL ECHO, WILL SGA
    assert b"bigdata 25165824 bytes" in boot and b"RAM 64 MB" in boot
    await con.send(b"version\r\n")
    assert b"PRId 0x00002721" in await con.expect(PROMPT)
    # A second, late client gets the recent output first, and both see new output.
    late = await TelnetConsole.connect(port)
    await late.expect(b"PRId 0x00002721")
    # plain text cannot carry a CR (it ends the line): base64 can
    msg = base64.b64encode(b"ticks\r").decode()
    assert await client.send(f"vm send_con_msg R1 {msg} base64") == ["6 byte(s) written"]
    await con.expect(b"ticks")
    await late.expect(PROMPT)
    # suspend: no output while suspended; resume answers what was typed meanwhile
    assert await client.send("vm suspend R1") == ["VM 'R1' suspended"]
    assert await client.send("vm get_status R1") == ["3"]
    await con.expect(PROMPT)
    await con.send(b"help\r\n")
    await asyncio.sleep(0.5)
    assert await client.send("vm resume R1") == ["VM 'R1' resumed"]
    assert await client.send("vm get_status R1") == ["2"]
    await con.expect(b"help")
    t0 = time.monotonic()
    assert await client.send("vm stop R1") == ["VM 'R1' stopped"]
    assert time.monotonic() - t0 < 1.0
    assert await client.send("vm get_status R1") == ["0"]
    assert not (tmp_path / "c7200_R1_ram").exists()                 # deleted at stop
    assert await client.send("vm stop R1") == ["VM 'R1' stopped"]    # GNS3 relies on it
    # restart: a fresh boot on the same console server; the client stays connected
    assert await client.send("vm start R1") == ["VM 'R1' started"]
    await con.expect(b"pydynamips ROM monitor", timeout=30)
    assert b"bigdata" in await con.expect(PROMPT)
    con.close()
    late.close()


async def test_stop_of_a_suspended_vm_is_quick(client, console_elf):
    await create_router(client, "R1", 1, console_elf, console=False)
    assert await client.send("vm start R1") == \
        ["Warning: no console port defined for VM 'R1'", "VM 'R1' started"]
    await client.send("vm suspend R1")
    t0 = time.monotonic()
    await client.send("vm stop R1")
    assert time.monotonic() - t0 < 1.0
    assert await client.send("vm get_status R1") == ["0"]
    await expect_error(client, "vm resume R1", 209)


async def test_killed_worker_leaves_others_running_and_can_restart(client, server,
                                                                   console_elf, tmp_path):
    p1 = await create_router(client, "R1", 1, console_elf)
    p2 = await create_router(client, "R2", 2, console_elf)
    await client.send("vm start R1")
    await client.send("vm start R2")
    c1, c2 = await TelnetConsole.connect(p1), await TelnetConsole.connect(p2)
    await c1.expect(PROMPT)
    await c2.expect(PROMPT)
    pid = server.hypervisor.registry.vms.get("R1").run.pid
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        if await client.send("vm get_status R1") == ["0"]:
            break
        await asyncio.sleep(0.05)
    assert await client.send("vm get_status R1") == ["0"]
    assert not (tmp_path / "c7200_R1_ram").exists()          # cleaned up for the dead worker
    await c2.send(b"version\r\n")                            # R2 carries on
    assert b"PRId" in await c2.expect(PROMPT)
    assert await client.send("vm get_status R2") == ["2"]
    assert await client.send("vm start R1") == ["VM 'R1' started"]
    await c1.expect(b"bigdata", timeout=30)
    await c1.expect(PROMPT)
    await client.send("hypervisor reset")                     # stops every worker
    assert await client.send("vm list") == ["OK"]
    c1.close()
    c2.close()


async def test_nvram_survives_stop_start_and_a_killed_worker(client, server, console_elf,
                                                             tmp_path):
    await create_router(client, "R1", 1, console_elf, console=False)
    startup = b"hostname R1\n!\nend\n"
    (tmp_path / "startup.cfg").write_bytes(startup)
    await client.send('vm set_config R1 "startup.cfg" ""')
    await client.send("vm start R1")
    nvram = NvramFile(tmp_path / "c7200_R1_nvram")
    assert nvram.read_configs()[0] == startup                  # imported at start
    reply = (await client.send("vm extract_config R1"))[0]   # works while running
    assert base64.b64decode(reply.rsplit(" ", 2)[1].strip("'")) == startup
    changed = b"hostname R1-changed\nend\n"
    await client.send(f"vm push_config R1 {base64.b64encode(changed).decode()}")
    os.kill(server.hypervisor.registry.vms.get("R1").run.pid, signal.SIGKILL)
    for _ in range(100):
        if await client.send("vm get_status R1") == ["0"]:
            break
        await asyncio.sleep(0.05)
    assert nvram.read_configs()[0] == changed
    (tmp_path / "startup.cfg").unlink()                      # nothing to import: NVRAM stays
    await client.send("vm start R1")
    await client.send("vm stop R1")
    assert nvram.read_configs()[0] == changed


async def test_idle_pc_proposals_and_cpu_usage(client, console_elf):
    port = await create_router(client, "R1", 1, console_elf)
    await client.send("vm start R1")
    con = await TelnetConsole.connect(port)
    await con.expect(PROMPT)
    t0 = time.monotonic()
    lines = await client.send("vm get_idle_pc_prop R1 0")
    assert time.monotonic() - t0 < 6
    assert lines[-1] == "OK" and 1 <= len(lines) - 1 <= 10
    for line in lines[:-1]:
        pc, count = line.split()
        assert len(pc) == 10 and pc.startswith("0x8000")       # GNS3: 0x[0-9a-f]{8}
        assert count.startswith("[") and int(count[1:-1]) > 0
    assert await client.send("vm show_idle_pc_prop R1 0") == lines
    best = lines[0].split()[0]
    assert await client.send(f"vm set_idle_pc_online R1 0 {best}") == ["OK"]
    assert await client.send("vm set_idle_max R1 0 100") == ["OK"]
    assert await client.send("vm set_idle_sleep_time R1 0 20") == ["OK"]
    usage = await client.send("vm cpu_usage R1 0")
    assert usage[-1] == "OK" and int(usage[0]) >= 0
    await con.send(b"version\r\n")                               # still answers
    assert b"PRId" in await con.expect(PROMPT)
    con.close()


def test_automatic_idle_detection_is_switchable():
    """A guest polling an empty console is idle by default; --no-auto-idle turns it off."""
    from pathlib import Path

    import numpy as np

    from platforms.c7200.machine import C7200Machine, MachineConfig, RunKind
    image = Path(__file__).resolve().parents[1] / "firmware" / "console.elf"
    for auto_idle, expected in ((True, RunKind.IDLE), (False, RunKind.SLICE)):
        out = bytearray()
        machine = C7200Machine(MachineConfig(
            image=str(image), ram=np.zeros(64 << 20, np.uint8),
            nvram=np.zeros(128 << 10, np.uint8), console_out=out.extend,
            timer="deterministic", auto_idle=auto_idle))
        while not out.endswith(PROMPT):
            machine.run(1_000_000)
        kinds = {machine.run(200_000).kind for _ in range(5)}
        assert kinds == {expected}, (auto_idle, kinds)



def test_idle_pc_right_after_a_device_read_fires():
    """The console's poll loop is `lw SRA; andi; beqz`: an idle PC on the instruction after
    the device read (what get_idle_pc_prop proposes first) must stop the CPU there too."""
    from pathlib import Path

    import numpy as np

    from platforms.c7200.machine import C7200Machine, MachineConfig, RunKind
    image = Path(__file__).resolve().parents[1] / "firmware" / "console.elf"
    out = bytearray()
    machine = C7200Machine(MachineConfig(
        image=str(image), ram=np.zeros(64 << 20, np.uint8), nvram=np.zeros(128 << 10, np.uint8),
        console_out=out.extend, timer="deterministic", auto_idle=False))
    while not out.endswith(PROMPT):
        machine.run(1_000_000)
    machine.cpu.idle_pc = 0xFFFFFFFF80008144
    results = [machine.run(200_000) for _ in range(5)]
    assert all(r.kind is RunKind.IDLE and r.instructions < 100 for r in results), results
    machine.console_input(b"version\r")
    for _ in range(2000):
        machine.run(200_000)
        if b"PRId" in out:
            break
    assert b"PRId 0x00002721" in out                      # and it still makes progress


async def test_anonymous_ram_leaves_no_ram_file(client, console_elf, tmp_path):
    port = await create_router(client, "R1", 1, console_elf)
    await client.send("vm set_ram_mmap R1 0")
    await client.send("vm start R1")
    con = await TelnetConsole.connect(port)
    await con.expect(PROMPT)
    assert not (tmp_path / "c7200_R1_ram").exists()
    await client.send("vm stop R1")
    con.close()


async def test_a_worker_dying_during_a_request_gets_an_error_not_a_hang(client, server,
                                                                        console_elf):
    await create_router(client, "R1", 1, console_elf, console=False)
    await client.send("vm start R1")
    run = server.hypervisor.registry.vms.get("R1").run
    await client.send("vm suspend R1")
    os.kill(run.pid, signal.SIGSTOP)                  # it can no longer answer...
    pending = asyncio.create_task(client.send("vm cpu_usage R1 0"))
    await asyncio.sleep(0.3)
    os.kill(run.pid, signal.SIGKILL)                  # ...and then it dies
    t0 = time.monotonic()
    await expect_error_from(pending, 212)
    assert time.monotonic() - t0 < 2
    for _ in range(100):                              # the launcher reports the exit
        if await client.send("vm get_status R1") == ["0"]:
            break
        await asyncio.sleep(0.02)
    assert await client.send("vm get_status R1") == ["0"]
    assert await client.send("hypervisor version")    # the connection still serves


async def expect_error_from(task, code):
    from protocol.client import HypervisorError
    try:
        await task
    except HypervisorError as err:
        assert err.code == code, err
    else:
        raise AssertionError("no error")


async def test_an_idle_guest_loses_no_timer_tick(client, console_elf):
    """While idle, timer ticks are delivered in batches, one by one: none is lost.
    console.elf counts its timer interrupts (Compare = Count + 500,000 at npe-400's 175 MHz
    Count: 350 Hz)."""
    import re
    port = await create_router(client, "R1", 1, console_elf)
    await client.send("vm start R1")
    con = await TelnetConsole.connect(port)
    await con.expect(PROMPT)

    async def ticks() -> tuple[int, float]:
        await con.send(b"ticks\r")
        text = await con.expect(PROMPT)
        return int(re.search(rb"ticks (\d+)", text).group(1)), time.monotonic()

    first, t0 = await ticks()
    await asyncio.sleep(3)                        # idle: the worker batches the ticks
    second, t1 = await ticks()
    rate = (second - first) / (t1 - t0)
    assert 0.92 * 350 <= rate <= 1.05 * 350, rate
    con.close()


async def test_gns3_default_ram_512_mb_on_npe_400(client, console_elf):
    """GNS3 gives a c7200 512 MB: the npe-400's RAM above 256 MB is the bank at 0x20000000."""
    port = await create_router(client, "R1", 1, console_elf, ram=512)
    assert await client.send("vm start R1") == ["VM 'R1' started"]
    con = await TelnetConsole.connect(port)
    boot = await con.expect(PROMPT)
    assert b"bigdata 25165824 bytes" in boot
    await client.send("vm_debug pmem_w32 R1 0 0x20000100 0xcafef00d")   # the high bank
    assert await client.send("vm_debug pmem_r32 R1 0 0x20000100") == ["0xcafef00d"]
    await client.send("vm stop R1")
    con.close()


async def test_stop_within_a_second_whatever_the_guest_does(client, tmp_path):
    """PROTOCOL.md §8's test image: `b .; nop` at 0x80008000, a tight loop with interrupts
    off and no device access (dynamips needed 10 s and then failed to stop it)."""
    from ..platforms.elfwriter import SHF_ALLOC, SHF_EXECINSTR, Sec, build_elf
    image = tmp_path / "spin.elf"
    image.write_bytes(build_elf([Sec(".text", 0x80008000, bytes.fromhex("1000ffff00000000"),
                                     SHF_ALLOC | SHF_EXECINSTR)]))
    await create_router(client, "R1", 1, image, console=False)
    await client.send("vm start R1")
    await asyncio.sleep(1.0)
    usage = await client.send("vm cpu_usage R1 0")
    assert int(usage[0]) >= 0
    assert await client.send("vm get_status R1") == ["2"]
    t0 = time.monotonic()
    assert await client.send("vm stop R1") == ["VM 'R1' stopped"]
    assert time.monotonic() - t0 < 1.0
    await client.send("vm start R1")                   # and again from a suspended state
    await client.send("vm suspend R1")
    t0 = time.monotonic()
    await client.send("vm stop R1")
    assert time.monotonic() - t0 < 1.0
    assert await client.send("vm get_status R1") == ["0"]
