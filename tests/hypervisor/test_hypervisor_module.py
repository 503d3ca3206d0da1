"""`hypervisor` module over a real TCP connection."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hypervisor import VERSION_STRING
from protocol.client import HypervisorClient, HypervisorError

DYNAMIPS_MODULE_ORDER = [  # module_list as dynamips 0.2.x answers it
    "object_store", "vm_debug", "vm", "ethsw", "atm_bridge", "atmsw", "frsw", "nio_bridge",
    "nio", "hypervisor", "c1700", "c2600", "c2691", "c3745", "c3725", "c3600", "c7200"]


async def test_version_passes_gns3_check(client):
    reply = await client.send("hypervisor version")
    assert reply == [VERSION_STRING]
    major = reply[0].split("-", 1)[0]
    assert tuple(int(x) for x in major.split(".")) >= (0, 2, 23)


async def test_module_list_in_dynamips_order(client):
    assert await client.send("hypervisor module_list") == DYNAMIPS_MODULE_ORDER + ["OK"]


async def test_cmd_list_comes_from_the_dispatch_table(client, server):
    for name, module in server.hypervisor.table.modules.items():
        lines = (await client.send(f"hypervisor cmd_list {name}"))[:-1]
        expected = [f"{c.name} (min/max args: {c.min_args}/{c.max_args})"
                    for c in reversed(module.commands.values())]
        assert lines == expected
    vm_cmds = (await client.send("hypervisor cmd_list vm"))[:-1]
    assert vm_cmds[0] == "list_con_ports (min/max args: 0/0)"
    assert vm_cmds[-1] == "create (min/max args: 3/3)"
    assert "set_config (min/max args: 2/3)" in vm_cmds
    hv_cmds = (await client.send("hypervisor cmd_list hypervisor"))[:-1]
    assert [c.split()[0] for c in hv_cmds] == ["stop", "close", "reset", "save_config",
                                              "working_dir", "cmd_list", "module_list",
                                              "parser_test", "version"]


async def test_cmd_list_unknown_module_lowercase_message(client):
    with pytest.raises(HypervisorError) as err:
        await client.send("hypervisor cmd_list nosuch")
    assert (err.value.code, err.value.text) == (201, "unknown module 'nosuch'")


async def test_parser_test_echoes_arguments(client):
    reply = await client.send('hypervisor parser_test a "b c" "" x#y')
    assert reply == ['arg 0 (len 1): "a"', 'arg 1 (len 3): "b c"', 'arg 2 (len 1): "x"', "OK"]
    with pytest.raises(HypervisorError) as err:
        await client.send("hypervisor parser_test " + " ".join("a" * 11))
    assert err.value.code == 203
    assert err.value.text == "Bad number of parameters (11 with min/max=0/10)"


async def test_working_dir_is_shared_and_resolves_relative_names(client, server, tmp_path):
    (tmp_path / "sub").mkdir()
    await client.send("hypervisor working_dir sub")
    assert server.hypervisor.working_dir == tmp_path / "sub"
    other = await HypervisorClient.connect("127.0.0.1", server.bound_port)
    await other.send("vm create R9 9 c7200")      # files land in the shared working dir
    assert (tmp_path / "sub" / "c7200_R9_lock").exists()
    await other.close()
    with pytest.raises(HypervisorError) as err:
        await client.send("hypervisor working_dir /nonexistent/dir")
    assert (err.value.code, err.value.text) == (204, "chdir: No such file or directory")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(HypervisorError) as err:
        await client.send(f"hypervisor working_dir {tmp_path / 'afile'}")
    assert err.value.code == 204


async def test_strict_paths_refuse_escapes(tmp_path):
    from hypervisor.daemon import Hypervisor, Options
    from hypervisor.server import HypervisorServer
    (tmp_path / "in").mkdir()
    srv = HypervisorServer(Hypervisor(Options(strict_paths=True), working_dir=tmp_path),
                           "127.0.0.1", 0)
    await srv.start()
    try:
        c = await HypervisorClient.connect("127.0.0.1", srv.bound_port)
        await c.send("hypervisor working_dir in")
        for escape in ("../..", "/tmp", "../../x"):
            with pytest.raises(HypervisorError) as err:
                await c.send(f"hypervisor working_dir {escape}")
            assert err.value.code == 204 and "outside the working directory" in err.value.text
        with pytest.raises(HypervisorError) as err:
            await c.send("hypervisor save_config ../../saved.cfg")
        assert err.value.code == 211
        await c.close()
    finally:
        await srv.shutdown()


async def test_save_config_writes_a_replayable_script(client, server, tmp_path):
    await client.send("vm create R1 1 c7200")
    await client.send("vm set_ram R1 512")
    await client.send("vm slot_add_binding R1 0 0 C7200-IO-FE")
    await client.send("nio create_null n-vm")
    await client.send("vm slot_add_nio_binding R1 0 0 n-vm")
    await client.send("nio create_null n-sw")
    await client.send("ethsw create SW1")
    await client.send("ethsw add_nio SW1 n-sw")
    await client.send("ethsw set_access_port SW1 n-sw 10")
    await client.send("object_store write note aGVsbG8=")
    await client.send("hypervisor save_config saved.cfg")
    script = (tmp_path / "saved.cfg").read_text()
    await client.send("hypervisor reset")
    assert await client.send("vm list") == ["OK"]
    await client.send("object_store delete_all")   # reset keeps the store, as dynamips
    for line in script.splitlines():
        if line.strip() and not line.startswith("#"):
            await client.send(line)
    assert await client.send("vm list") == ["R1 (c7200)", "OK"]
    assert server.hypervisor.registry.vms.get("R1").settings.ram_mb == 512
    assert await client.send("vm slot_bindings R1") == ["0/0: C7200-IO-FE", "OK"]
    assert await client.send("vm slot_nio_bindings R1 0") == ["0: n-vm", "OK"]
    assert await client.send("nio list") == ["n-sw", "n-vm", "OK"]
    assert await client.send("ethsw list") == ["SW1", "OK"]
    assert await client.send("object_store read note") == ["aGVsbG8="]
    with pytest.raises(HypervisorError) as err:
        await client.send("hypervisor save_config /nonexistent/dir/x.cfg")
    assert (err.value.code, err.value.text) == (211, "fopen: No such file or directory")


async def test_reset_deletes_every_object_and_lock(client, tmp_path):
    await client.send("vm create R1 1 c7200")
    await client.send("vm create R2 2 c3600")
    await client.send("object_store write a YQ==")
    assert (tmp_path / "c7200_R1_lock").exists()
    await client.send("hypervisor reset")
    assert await client.send("vm list") == ["OK"]
    assert await client.send("object_store list") == ["a (len=1)", "OK"]
    assert not (tmp_path / "c7200_R1_lock").exists()
    await client.send("vm create R1 1 c7200")       # the name and lock are free again


async def test_close_ends_only_this_connection(server, client):
    other = await HypervisorClient.connect("127.0.0.1", server.bound_port)
    await other.send("vm create R1 1 c7200")
    assert await other.send("hypervisor close") == ["OK"]
    with pytest.raises(ConnectionError):
        await other.send("hypervisor version")
    assert await client.send("vm list") == ["R1 (c7200)", "OK"]   # objects persist


async def test_stop_answers_then_shuts_the_server_down(server, client, tmp_path):
    watcher = await HypervisorClient.connect("127.0.0.1", server.bound_port)
    await client.send("vm create R1 1 c7200")
    serving = asyncio.create_task(server.serve_until_stopped())
    assert await client.send("hypervisor stop") == ["OK"]
    await asyncio.wait_for(serving, 5)
    with pytest.raises((ConnectionError, OSError)):
        await watcher.send("hypervisor version")        # other clients are closed too
    with pytest.raises(OSError):
        await HypervisorClient.connect("127.0.0.1", server.bound_port, timeout=2)
    assert not (tmp_path / "c7200_R1_lock").exists()   # every object deleted
