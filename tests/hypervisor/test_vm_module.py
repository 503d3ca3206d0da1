"""`vm` module: every command that needs no running CPU, with dynamips' reply texts."""
from __future__ import annotations

import os

import pytest

from hypervisor.daemon import Hypervisor, Options
from hypervisor.server import HypervisorServer
from protocol.client import HypervisorClient, HypervisorError


async def expect_error(client, command: str, code: int, text: str | None = None):
    with pytest.raises(HypervisorError) as err:
        await client.send(command)
    assert err.value.code == code, err.value
    if text is not None:
        assert err.value.text == text
    return err.value


async def test_create_list_and_duplicates(client, tmp_path):
    assert await client.send("vm create R1 1 c7200") == ["VM 'R1' created"]
    assert await client.send('vm create "R 2" 2 c3600') == ["VM 'R 2' created"]
    assert await client.send("vm list") == ["R 2 (c3600)", "R1 (c7200)", "OK"]   # newest first
    await expect_error(client, "vm create R1 5 c7200", 206, "unable to create VM instance 'R1'")
    await expect_error(client, "vm create R3 3 c9999", 206, "unable to create VM instance 'R3'")
    await expect_error(client, "vm create R3 3", 203, "Bad number of parameters (2 with min/max=3/3)")
    lock = tmp_path / "c7200_R1_lock"
    assert lock.read_text().strip() == str(os.getpid())


async def test_every_setter_answers_and_records(client, server):
    await client.send("vm create R1 1 c7200")
    assert await client.send('vm set_ios R1 "/images/c7200.image"') == ["IOS image set for 'R1'"]
    assert await client.send('vm set_config R1 "configs/i1_startup-config.cfg" ""') == \
        ["IOS config file set for 'R1'"]
    for command in ("set_ram R1 512", "set_nvram R1 256", "set_ram_mmap R1 0",
                    "set_sparse_mem R1 1", "set_clock_divisor R1 8", "set_clock_divisor R1 0",
                    "set_blk_direct_jump R1 0", "set_exec_area R1 64", "set_disk0 R1 0",
                    "set_disk1 R1 16", "set_conf_reg R1 0x2142", "set_idle_pc R1 0x60630d08",
                    "set_debug_level R1 2", "set_ghost_file R1 c7200.image-512.ghost",
                    "set_ghost_status R1 2", "set_con_tcp_port R1 5000",
                    "set_aux_tcp_port R1 5001"):
        assert await client.send(f"vm {command}") == ["OK"], command
    s = server.hypervisor.registry.vms.get("R1").settings
    assert (s.ios_image, s.startup_config, s.private_config) == \
        ("/images/c7200.image", "configs/i1_startup-config.cfg", None)
    assert (s.ram_mb, s.nvram_kb, s.ram_mmap, s.sparse_mem) == (512, 256, False, True)
    assert s.clock_divisor == 8                       # 0 is ignored, as dynamips
    assert (s.blk_direct_jump, s.exec_area_mb, s.disk0_mb, s.disk1_mb) == (False, 64, 0, 16)
    assert s.conf_reg == 0x2142 and s.debug_level == 2
    assert s.idle_pc == 0x60630d08
    assert (s.ghost_file, int(s.ghost_status)) == ("c7200.image-512.ghost", 2)
    assert (s.console_tcp_port, s.aux_tcp_port) == (5000, 5001)
    await client.send("vm set_idle_pc R1 0x80009660")  # KSEG0 given as 32 bits
    assert s.idle_pc == 0xFFFFFFFF80009660
    await client.send("vm set_config R1 a.cfg b.cfg")
    assert (s.startup_config, s.private_config) == ("a.cfg", "b.cfg")
    await client.send("vm set_ram R1 garbage")          # atoi: garbage is 0, never an error
    assert s.ram_mb == 0


async def test_lenient_numbers_and_unknown_vm(client):
    for command in ("set_ram", "set_ios", "set_conf_reg", "set_ghost_status"):
        await expect_error(client, f"vm {command} nosuch 1", 208, "unable to find object 'nosuch'")
    for command in ("start", "stop", "get_status", "delete", "extract_config",
                    "slot_bindings", "suspend", "resume"):
        await expect_error(client, f"vm {command} nosuch", 208 if command != "delete" else 207)


async def test_status_stop_and_start(client):
    await client.send("vm create R1 1 c7200")
    assert await client.send("vm get_status R1") == ["0"]
    assert await client.send("vm stop R1") == ["VM 'R1' stopped"]   # GNS3 relies on this
    err = await expect_error(client, "vm start R1", 209,
                             "unable to start VM instance 'R1': no image set (vm set_ios)")
    await expect_error(client, "vm suspend R1", 210)
    await expect_error(client, "vm resume R1", 209)


async def test_commands_needing_a_cpu_say_bad_cpu(client):
    await client.send("vm create R1 1 c7200")
    for command in ("set_idle_pc_online R1 0 0x1", "get_idle_pc_prop R1 0",
                    "show_idle_pc_prop R1 0", "set_idle_max R1 0 500",
                    "set_idle_sleep_time R1 0 30", "show_timer_drift R1 0", "cpu_info R1 0",
                    "cpu_usage R1 0"):
        await expect_error(client, f"vm {command}", 212, "Bad CPU specified")
    await expect_error(client, "vm send_con_msg R1 hello", 204)
    await expect_error(client, "vm send_aux_msg R1 aGVsbG8= base64", 204)
    await expect_error(client, "vm send_con_msg R1 hello nonsense", 204, "Invalid parameter")


async def test_rename(client, tmp_path):
    await client.send("vm create R1 1 c7200")
    await client.send("vm create R2 2 c7200")
    (tmp_path / "c7200_R1_nvram").write_bytes(b"nv")
    await expect_error(client, "vm rename R1 R2", 213,
                       "unable to rename VM instance 'R1', 'R2' already exists")
    assert await client.send("vm rename R1 R3") == ["VM 'R1' renamed to 'R3'"]
    assert (tmp_path / "c7200_R3_nvram").read_bytes() == b"nv"
    assert (tmp_path / "c7200_R3_lock").exists() and not (tmp_path / "c7200_R1_lock").exists()
    assert await client.send("vm list") == ["R2 (c7200)", "R3 (c7200)", "OK"]
    await expect_error(client, "vm rename nosuch R9", 208)
    await client.send("vm create R1 1 c7200")        # old name and files are free


async def test_delete_and_clean_delete(client, tmp_path):
    await client.send("vm create R1 1 c7200")
    await client.send("vm create R2 2 c7200")
    (tmp_path / "c7200_R2_nvram").write_bytes(b"x")
    (tmp_path / "c7200_R1_nvram").write_bytes(b"x")
    assert await client.send("vm delete R1") == ["VM 'R1' deleted"]
    assert (tmp_path / "c7200_R1_nvram").exists()     # plain delete keeps the files
    assert not (tmp_path / "c7200_R1_lock").exists()
    await expect_error(client, "vm delete R1", 207, "unable to delete VM 'R1'")
    assert await client.send("vm clean_delete R2") == ["VM 'R2' and related files deleted"]
    assert not list(tmp_path.glob("c7200_R2_*"))
    await expect_error(client, "vm clean_delete R2", 208)
    assert await client.send("vm list") == ["OK"]


async def test_naming_by_instance_id(tmp_path):
    srv = HypervisorServer(Hypervisor(Options(name_by_id=True), working_dir=tmp_path),
                           "127.0.0.1", 0)
    await srv.start()
    try:
        c = await HypervisorClient.connect("127.0.0.1", srv.bound_port)
        await c.send("vm create R1 7 c7200")
        assert (tmp_path / "c7200_i7_lock").exists()
        await expect_error(c, "vm create Other 7 c7200", 206)     # same lock file
        await c.send("vm rename R1 R9")
        assert (tmp_path / "c7200_i7_lock").exists()
        await c.close()
    finally:
        await srv.shutdown()


def test_second_daemon_cannot_create_the_same_vm(tmp_path):
    """The lock file is a POSIX lock: another process creating the same VM fails."""
    import subprocess
    import sys
    import textwrap
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, pathlib
        from hypervisor.vm import VmLock
        lock = VmLock(pathlib.Path({str(tmp_path / 'c7200_R1_lock')!r}))
        lock.acquire()
        print("locked", flush=True)
        sys.stdin.read()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        import asyncio

        async def attempt():
            srv = HypervisorServer(Hypervisor(Options(), working_dir=tmp_path), "127.0.0.1", 0)
            await srv.start()
            try:
                c = await HypervisorClient.connect("127.0.0.1", srv.bound_port)
                await expect_error(c, "vm create R1 1 c7200", 206)
                await c.send("vm create R2 2 c7200")
                await c.close()
            finally:
                await srv.shutdown()
        asyncio.run(attempt())
    finally:
        holder.communicate("", timeout=10)


async def test_slot_bindings(client, server):
    await client.send("vm create R1 1 c7200")
    assert await client.send("vm slot_add_binding R1 0 0 C7200-IO-FE") == ["OK"]
    assert await client.send("vm slot_add_binding R1 1 0 PA-FE-TX") == ["OK"]
    assert await client.send("vm slot_bindings R1") == \
        ["0/0: C7200-IO-FE", "1/0: PA-FE-TX", "OK"]
    await expect_error(client, "vm slot_add_binding R1 1 0 PA-4T+", 205,
                       "VM R1: unable to add binding for slot 1/0")        # slot taken
    await expect_error(client, "vm slot_add_binding R1 2 0 NOPE", 205)     # unknown card
    await expect_error(client, "vm slot_add_binding R1 99 0 PA-FE-TX", 205)
    # NIO bindings need an existing NIO, used by no other port
    await expect_error(client, "vm slot_add_nio_binding R1 1 0 udp-1", 205,
                       "VM R1: unable to add binding for slot 1/0")
    await client.send("nio create_null udp-1")
    await client.send("nio create_null udp-2")
    assert await client.send("vm slot_add_nio_binding R1 1 0 udp-1") == ["OK"]
    await expect_error(client, "vm slot_add_nio_binding R1 1 2 udp-1", 205)  # taken
    assert await client.send("vm slot_add_nio_binding R1 1 1 udp-2") == ["OK"]
    assert await client.send("vm slot_nio_bindings R1 1") == ["1: udp-2", "0: udp-1", "OK"]
    assert await client.send("vm slot_remove_nio_binding R1 1 0") == ["OK"]
    await expect_error(client, "vm slot_remove_nio_binding R1 1 0", 205,
                       "VM R1: unable to remove NIO binding for slot 1/0")
    for cmd, code, text in (("slot_enable_nio", 205, "enable NIO"),
                            ("slot_disable_nio", 205, "disable NIO"),
                            ("slot_oir_start", 209, "engage OIR"),
                            ("slot_oir_stop", 210, "stop OIR")):
        await expect_error(client, f"vm {cmd} R1 1 0", code,
                           f"VM R1: unable to {text} for slot 1/0")
    assert await client.send("vm slot_remove_binding R1 1 0") == ["OK"]
    await expect_error(client, "vm slot_remove_binding R1 1 0", 205,
                       "VM R1: unable to remove binding for slot 1/0")


async def test_list_con_ports(client):
    await client.send("vm create R1 1 c7200")
    await client.send("vm create R2 2 c7200")
    await client.send("vm create R3 3 c7200")
    await client.send("vm set_con_tcp_port R1 5000")
    await client.send("vm set_con_tcp_port R3 5002")
    assert await client.send("vm list_con_ports") == ["R3 (5002)", "R1 (5000)", "OK"]


async def test_configs_of_a_vm_that_never_ran(client):
    await client.send("vm create R1 1 c7200")
    await expect_error(client, "vm extract_config R1", 206, "unable to extract config of VM 'R1'")


async def test_push_and_extract_config_on_a_stopped_vm(client, tmp_path):
    import base64
    from platforms.c7200.nvram import NvramFile
    await client.send("vm create R1 1 c7200")
    startup = b"hostname R1\n!\ninterface FastEthernet0/0\n ip address 10.0.0.1 255.0.0.0\nend\n"
    private = b"private stuff\n"
    b64 = base64.b64encode
    assert await client.send(f"vm push_config R1 {b64(startup).decode()} {b64(private).decode()}") \
        == ["IOS config file pushed tm VM 'R1'"]
    nvram = tmp_path / "c7200_R1_nvram"
    assert nvram.stat().st_size == 128 * 1024
    assert NvramFile(nvram).read_configs() == (startup, private)   # the IOS NVRAM format
    reply = (await client.send("vm extract_config R1"))[0]
    # GNS3 parses it with rsplit(' ', 2) and strips the quotes
    _, s_b64, p_b64 = reply.rsplit(" ", 2)
    assert reply.startswith("conf 'R1' ")
    assert base64.b64decode(s_b64.strip("'")) == startup
    assert base64.b64decode(p_b64.strip("'")) == private
    new_startup = b"hostname R1-new\nend\n"
    await client.send(f"vm push_config R1 {b64(new_startup).decode()} (keep)")
    assert NvramFile(nvram).read_configs() == (new_startup, private)
    await client.send("vm push_config R1 (keep)")
    assert NvramFile(nvram).read_configs() == (new_startup, private)
    await expect_error(client, "vm push_config R1 @@@notb64", 206,
                       "unable to push IOS config for VM 'R1'")
    too_big = b64(b"x" * 200_000).decode()
    await expect_error(client, f"vm push_config R1 {too_big}", 206)
    assert NvramFile(nvram).read_configs() == (new_startup, private)   # nothing lost
