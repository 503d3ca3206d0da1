"""`vm_debug` on a running router: registers, TLB, physical memory, breakpoints."""
from __future__ import annotations

import asyncio

from platforms.elf import read_elf

from ..hypervisor.test_vm_module import expect_error
from .conftest import TelnetConsole, create_router

PROMPT = b"router> "


async def test_vm_debug_on_a_running_router(client, console_elf):
    await client.send("vm create R0 9 c7200")
    await expect_error(client, "vm_debug show_cpu_regs R0 0", 212, "Bad CPU")
    await expect_error(client, "vm_debug pmem_r32 R0 0 0x8000", 204)
    port = await create_router(client, "R1", 1, console_elf)
    await client.send("vm start R1")
    con = await TelnetConsole.connect(port)
    await con.expect(PROMPT)
    drift = await client.send("vm show_timer_drift R1 0")
    assert drift[0] == "Timer Drift: 0" and drift[1] in ("Pending Timer IRQ: 0",
                                                         "Pending Timer IRQ: 1")
    regs = await client.send("vm_debug show_cpu_regs R1 0")
    assert regs[-1] == "OK" and any(line.strip().startswith("pc") for line in regs)
    assert any("cp0 PRId" in line and line.endswith("0000000000002721") for line in regs)
    mmu = await client.send("vm_debug show_cpu_mmu R1 0")
    assert len(mmu) == 64 + 1                                  # npe-400: R7000, 64 entries
    await expect_error(client, "vm_debug show_cpu_regs R1 1", 212, "Bad CPU")
    # physical memory: the image's first word is at its load address
    text = read_elf(console_elf).segments[0]
    first = int.from_bytes(text.data[:4], "big")
    assert await client.send(f"vm_debug pmem_r32 R1 0 0x{text.paddr:x}") == [f"0x{first:08x}"]
    assert await client.send("vm_debug pmem_w32 R1 0 0x3f00000 0xdeadbeef") == ["OK"]
    assert await client.send("vm_debug pmem_r32 R1 0 0x3f00000") == ["0xdeadbeef"]
    assert await client.send("vm_debug pmem_r16 R1 0 0x3f00002") == ["0xbeef"]
    await client.send("vm_debug pmem_w16 R1 0 0x3f00000 0x1234")
    assert await client.send("vm_debug pmem_r32 R1 0 0x3f00000") == ["0x1234beef"]
    found = await client.send("vm_debug pmem_cfind R1 0 1234beef 0x3000000")
    assert found == ["0x3f00000"]
    await expect_error(client, "vm_debug pmem_cfind R1 0 123", 204,
                       "Invalid byte sequence (invalid length=3)")
    await expect_error(client, "vm_debug pmem_cfind R1 0 12zz", 204,
                       "Invalid byte sequence (non-hexadecimal character)")
    await expect_error(client, "vm_debug pmem_cfind R1 0 0102030405060708090a0b 0 0x10000",
                       214, "Not found")
    assert (await client.send("vm cpu_info R1 0"))[0].strip().startswith("zero")
    assert await client.send("vm_debug set_cpu_reg R1 0 9 0x1234") == ["OK"]
    assert any("$9" in line and line.endswith("0000000000001234")
               for line in await client.send("vm_debug show_cpu_regs R1 0"))
    await expect_error(client, "vm_debug set_cpu_reg R1 0 0 1", 212, "Bad CPU or register")
    # a breakpoint in the console's polling loop stops the CPU there (status 3)
    assert await client.send("vm_debug add_cpu_breakpoint R1 0 0x80008140") == ["OK"]
    for _ in range(100):
        if await client.send("vm get_status R1") == ["3"]:
            break
        await asyncio.sleep(0.02)
    assert await client.send("vm get_status R1") == ["3"]
    pc_line = next(l for l in await client.send("vm_debug show_cpu_regs R1 0")
                   if l.strip().startswith("pc"))
    assert pc_line.endswith("ffffffff80008140")
    assert await client.send("vm_debug remove_cpu_breakpoint R1 0 0x80008140") == ["OK"]
    await client.send("vm resume R1")
    await con.send(b"version\r")
    assert b"PRId" in await con.expect(PROMPT)
    con.close()
