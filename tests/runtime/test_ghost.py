"""Ghost RAM generation and the checks before a ghost is used (PROTOCOL.md §6)."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from platforms.elf import read_elf, virt_to_phys

from ..hypervisor.test_vm_module import expect_error

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def setup_ghost_vm(client, tmp_path, image: Path, name="Ghost", ram=16):
    await client.send(f'vm create "{name}" 0 c7200')
    await client.send(f'vm set_ios "{name}" "{image}"')
    await client.send(f'vm set_ghost_status "{name}" 1')
    await client.send(f'vm set_ghost_file "{name}" "hello.elf-{ram}.ghost"')
    await client.send(f'vm set_ram "{name}" {ram}')


async def test_generate_loads_the_image_and_never_runs(client, tmp_path):
    image = tmp_path / "hello.elf"
    shutil.copy(FIRMWARE / "hello.elf", image)
    await setup_ghost_vm(client, tmp_path, image)
    # GNS3's sequence: start, get_status (1), stop (keeps the file), clean_delete
    assert await client.send('vm start "Ghost"') == \
        ["Warning: no console port defined for VM 'Ghost'", "VM 'Ghost' started"]
    assert await client.send('vm get_status "Ghost"') == ["1"]
    assert await client.send('vm stop "Ghost"') == ["VM 'Ghost' stopped"]
    await client.send('vm clean_delete "Ghost"')
    ghost = tmp_path / "hello.elf-16.ghost"
    assert ghost.stat().st_size == 16 << 20
    ram = np.fromfile(ghost, dtype=np.uint8)
    elf = read_elf(image)
    for seg in elf.segments:
        chunk = ram[seg.paddr:seg.end].tobytes()
        assert chunk == (bytes(seg.size) if seg.nobits else seg.data), seg.name
    meta = json.loads((tmp_path / "hello.elf-16.ghost.json").read_text())
    assert meta["image_sha256"] == sha(image) and meta["ram_size"] == 16 << 20
    assert not list(tmp_path.glob(".*tmp*"))          # no temporary file left


async def test_failed_generation_leaves_no_file(client, tmp_path):
    bad = tmp_path / "bad.elf"
    bad.write_bytes(b"\x7fELF\x02\x02\x01" + bytes(100))      # ELF64: refused
    await setup_ghost_vm(client, tmp_path, bad)
    err = await expect_error(client, 'vm start "Ghost"', 209)
    assert "bad.elf" in err.text and "ELF64" in err.text
    assert not list(tmp_path.glob("*.ghost*")) and not list(tmp_path.glob(".*tmp*"))
    assert await client.send('vm get_status "Ghost"') == ["0"]


async def test_use_checks_size_image_and_presence(client, tmp_path):
    image = tmp_path / "hello.elf"
    shutil.copy(FIRMWARE / "hello.elf", image)
    await setup_ghost_vm(client, tmp_path, image)
    await client.send('vm start "Ghost"')
    await client.send('vm clean_delete "Ghost"')
    ghost = tmp_path / "hello.elf-16.ghost"
    before = sha(ghost)
    await client.send("vm create R1 1 c7200")
    await client.send(f'vm set_ios R1 "{image}"')
    await client.send("vm set_ghost_status R1 2")
    await client.send("vm set_ghost_file R1 missing.ghost")
    await client.send("vm set_ram R1 16")
    err = await expect_error(client, "vm start R1", 209)
    assert "missing.ghost" in err.text and "does not exist" in err.text
    await client.send(f"vm set_ghost_file R1 {ghost.name}")
    await client.send("vm set_ram R1 32")                       # size differs
    err = await expect_error(client, "vm start R1", 209)
    assert f"is {16 << 20} bytes, the VM's RAM is {32 << 20} bytes" in err.text
    other = tmp_path / "irq.elf"                                 # another image
    shutil.copy(FIRMWARE / "irq.elf", other)
    await client.send("vm set_ram R1 16")
    await client.send(f'vm set_ios R1 "{other}"')
    err = await expect_error(client, "vm start R1", 209)
    assert "generated from another image" in err.text and "hello.elf" in err.text
    assert sha(ghost) == before                                  # never modified
    assert await client.send("vm get_status R1") == ["0"]


async def test_start_refusals_name_their_cause(client, tmp_path):
    await client.send("vm create R1 1 c7200")
    await client.send("vm set_ios R1 nosuch.elf")
    err = await expect_error(client, "vm start R1", 209)
    assert "nosuch.elf" in err.text
    truncated = tmp_path / "trunc.elf"
    truncated.write_bytes((FIRMWARE / "hello.elf").read_bytes()[:200])
    await client.send(f"vm set_ios R1 {truncated}")
    err = await expect_error(client, "vm start R1", 209)
    assert "trunc.elf" in err.text and "truncated" in err.text
    await client.send("vm create R2 2 c3600")
    err = await expect_error(client, "vm start R2", 209)
    assert "c3600 platform cannot run yet" in err.text
    await client.send("c7200 set_npe R1 npe-g2")
    err = await expect_error(client, "vm start R1", 209)
    assert "PowerPC" in err.text


async def test_five_routers_share_one_ghost(client, server, tmp_path):
    """The seed's scenario: one ghost, five routers of the console firmware, all answering."""
    from .conftest import TelnetConsole, create_router
    image = tmp_path / "console.elf"
    shutil.copy(FIRMWARE / "console.elf", image)
    # GNS3's ghost sequence with a throw-away VM
    await client.send('vm create "Ghost" 0 c7200')
    await client.send(f'vm set_ios "Ghost" "{image}"')
    await client.send('vm set_ghost_status "Ghost" 1')
    await client.send('vm set_ghost_file "Ghost" "console.elf-64.ghost"')
    await client.send('vm set_ram "Ghost" 64')
    await client.send('vm start "Ghost"')
    assert await client.send('vm get_status "Ghost"') == ["1"]
    await client.send('vm stop "Ghost"')
    await client.send('vm clean_delete "Ghost"')
    ghost = tmp_path / "console.elf-64.ghost"
    before = sha(ghost)
    consoles = []
    for i in range(1, 6):
        port = await create_router(client, f"R{i}", i, image)
        await client.send(f"vm set_ghost_status R{i} 2")
        await client.send(f'vm set_ghost_file R{i} "{ghost.name}"')
        assert await client.send(f"vm start R{i}") == [f"VM 'R{i}' started"]
        consoles.append(await TelnetConsole.connect(port))
    for i, con in enumerate(consoles, 1):
        boot = await con.expect(b"router> ", timeout=60)
        assert b"bigdata 25165824 bytes" in boot                # the image came from the ghost
        await con.send(b"version\r\n")
        assert b"PRId" in await con.expect(b"router> ")
        assert not (tmp_path / f"c7200_R{i}_ram").exists()      # RAM is the ghost, no file
    for i in range(1, 6):
        await client.send(f"vm stop R{i}")
        consoles[i - 1].close()
    assert sha(ghost) == before                                 # never written
    assert ghost.exists()


def test_command_line_generate_and_use(tmp_path):
    """`pydynamips -g FILE image` writes the ghost; `-G FILE image` boots from it."""
    import subprocess
    from ..hypervisor.daemon_process import PYDYNAMIPS
    image = FIRMWARE / "console.elf"
    gen = subprocess.run([str(PYDYNAMIPS), "-r", "64", "-g", "c.ghost", str(image)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert gen.returncode == 0, gen.stderr
    ghost = tmp_path / "c.ghost"
    assert ghost.stat().st_size == 64 << 20
    before = sha(ghost)
    use = subprocess.run([str(PYDYNAMIPS), "-r", "64", "-G", "c.ghost", str(image)],
                         cwd=tmp_path, input="version\rexit\r", capture_output=True,
                         text=True, timeout=120)
    assert use.returncode == 0, use.stderr
    assert "bigdata 25165824 bytes" in use.stdout and "PRId 0x00002721" in use.stdout
    assert sha(ghost) == before
    assert not (tmp_path / "c7200_i0_ram").exists()
    wrong = subprocess.run([str(PYDYNAMIPS), "-r", "32", "-G", "c.ghost", str(image)],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 1 and "generate it again for this RAM size" in wrong.stderr


async def test_start_failure_in_the_worker_names_its_cause(client, tmp_path):
    """A start that fails inside the worker (here its RAM file cannot be created) answers
    209 with the cause, and the VM starts once the cause is gone."""
    image = tmp_path / "hello.elf"
    shutil.copy(FIRMWARE / "hello.elf", image)
    await client.send("vm create R1 1 c7200")
    await client.send(f'vm set_ios R1 "{image}"')
    await client.send("vm set_ram R1 64")
    (tmp_path / "c7200_R1_ram").mkdir()                 # in the way of the RAM file
    err = await expect_error(client, "vm start R1", 209)
    assert "c7200_R1_ram" in err.text and "Is a directory" in err.text
    assert await client.send("vm get_status R1") == ["0"]
    (tmp_path / "c7200_R1_ram").rmdir()
    assert (await client.send("vm start R1"))[-1] == "VM 'R1' started"
    await client.send("vm stop R1")
