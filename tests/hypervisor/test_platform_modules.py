"""`c7200` and the other platform modules (PROTOCOL.md §4.4)."""
from __future__ import annotations

import os

import pytest

from .test_vm_module import expect_error


async def test_c7200_lookup_errors(client):
    await client.send("vm create R2 2 c3600")
    await expect_error(client, "c7200 set_npe nosuch npe-400", 208, "unable to find VM 'nosuch'")
    await expect_error(client, "c7200 set_npe R2 npe-400", 212, "VM 'R2' is not a VM type c7200")
    await expect_error(client, "c3600 set_chassis nosuch 3620", 208)


async def test_c7200_default_mac_follows_dynamips_scheme(client):
    await client.send("vm create R1 1 c7200")
    await client.send("vm create R5 0x12 c7200")      # atoi('0x12') == 0, as dynamips
    pid = os.getpid()
    expected = f"ca01.{pid >> 8 & 0xff:02x}{pid & 0xff:02x}.0000"
    assert await client.send("c7200 get_mac_addr R1") == [expected]
    assert (await client.send("c7200 get_mac_addr R5"))[0].startswith("ca00.")


async def test_c7200_settings(client, server):
    await client.send("vm create R1 1 c7200")
    s = server.hypervisor.registry.vms.get("R1").settings
    assert (s.npe, s.midplane) == ("npe-400", "vxr")
    for npe in ("npe-100", "npe-150", "npe-175", "npe-200", "npe-225", "npe-300", "npe-g2"):
        assert await client.send(f"c7200 set_npe R1 {npe}") == ["OK"]
        assert s.npe == npe
    await expect_error(client, "c7200 set_npe R1 npe-999", 206,
                       "unable to set NPE type for router 'R1'")
    assert await client.send("c7200 set_midplane R1 std") == ["OK"]
    await expect_error(client, "c7200 set_midplane R1 nope", 206,
                       "unable to set Midplane type for router 'R1'")
    assert await client.send("c7200 set_mac_addr R1 ca01.0203.0405") == ["OK"]
    assert await client.send("c7200 get_mac_addr R1") == ["ca01.0203.0405"]
    assert await client.send("c7200 set_mac_addr R1 00:11:22:AA:bb:cc") == ["OK"]
    assert await client.send("c7200 get_mac_addr R1") == ["0011.22aa.bbcc"]
    await expect_error(client, "c7200 set_mac_addr R1 zz01.0203.0405", 206,
                       "unable to set MAC address for router 'R1'")
    assert await client.send("c7200 set_system_id R1 FTX0945W0MY") == ["OK"]
    assert s.system_id == "FTX0945W0MY"
    await expect_error(client, "c7200 set_system_id R1 " + "X" * 40, 206,
                       "unable to set the system id for router 'R1'")
    assert await client.send("c7200 set_temp_sensor R1 2 45") == ["OK"]
    assert await client.send("c7200 set_power_supply R1 1 0") == ["OK"]
    assert s.temperatures_c[2] == 45 and s.power_supplies == [True, False]
    lines = await client.send("c7200 show_hardware R1")
    assert lines[0] == "C7200 instance 'R1' (id 1):" and "  NPE model  : npe-g2" in lines
    assert "  Midplane   : std" in lines and lines[-1] == "OK"


async def test_platform_lists_only_their_own(client):
    await client.send("vm create A 1 c7200")
    await client.send("vm create B 2 c3600")
    await client.send("vm create C 3 c7200")
    assert await client.send("c7200 list") == ["C", "A", "OK"]
    assert await client.send("c3600 list") == ["B", "OK"]
    assert await client.send("c2691 list") == ["OK"]


@pytest.mark.parametrize("platform, mac_prefix, chassis", [
    ("c3600", "cc", "3620"), ("c2600", "c8", "2621XM"), ("c1700", "d0", "1760"),
    ("c2691", "c0", None), ("c3725", "c2", None), ("c3745", "c4", None)])
async def test_other_platforms(client, server, platform, mac_prefix, chassis):
    await client.send(f"vm create R1 4 {platform}")
    assert (await client.send(f"{platform} get_mac_addr R1"))[0].startswith(f"{mac_prefix}04.")
    s = server.hypervisor.registry.vms.get("R1").settings
    if chassis:
        assert await client.send(f"{platform} set_chassis R1 {chassis}") == ["OK"]
        assert s.chassis == chassis
        await expect_error(client, f"{platform} set_chassis R1 9999", 206,
                           "unable to set Chassis type for router 'R1'")
    else:
        await expect_error(client, f"{platform} set_chassis R1 x", 202,
                           "Unknown command 'set_chassis'")
    assert await client.send(f"{platform} set_iomem R1 10") == ["OK"]
    assert s.iomem_percent == 10
    assert await client.send(f"{platform} set_system_id R1 ABC123") == ["OK"]
    assert (await client.send(f"{platform} show_hardware R1"))[0] == \
        f"{platform.upper()} instance 'R1' (id 4):"
    await expect_error(client, f"c7200 get_mac_addr R1", 212,
                       f"VM 'R1' is not a VM type c7200")


@pytest.mark.parametrize("platform, chassis, card", [
    ("c2691", None, "GT96100-FE"), ("c3725", None, "GT96100-FE"), ("c3745", None, "GT96100-FE"),
    ("c2600", None, "CISCO2600-MB-1E"), ("c2600", "2621XM", "CISCO2600-MB-2FE"),
    ("c1700", None, "C1700-MB-1ETH"), ("c1700", "1710", "C1710-MB-1FE-1E"),
    ("c3600", "3660", "Leopard-2FE")])
async def test_builtin_slot0_adapter_carries_wics(client, platform, chassis, card):
    await client.send(f"vm create R1 1 {platform}")
    if chassis:
        await client.send(f"{platform} set_chassis R1 {chassis}")
    if platform != "c3600":
        assert await client.send("vm slot_add_binding R1 0 16 WIC-2T") == ["OK"]
    lines = await client.send("vm slot_bindings R1")
    assert lines[0] == f"0/0: {card}"
    if platform != "c3600":
        assert lines[1] == "0/16: WIC-2T"


async def test_set_chassis_swaps_the_builtin_adapter_only(client):
    await client.send("vm create R1 1 c3600")
    assert await client.send("vm slot_bindings R1") == ["OK"]          # 3640: none built in
    await client.send("c3600 set_chassis R1 3660")
    assert await client.send("vm slot_bindings R1") == ["0/0: Leopard-2FE", "OK"]
    await client.send("c3600 set_chassis R1 3620")
    assert await client.send("vm slot_bindings R1") == ["OK"]
    await client.send("vm slot_add_binding R1 0 0 NM-1FE-TX")
    await client.send("c3600 set_chassis R1 3640")                    # a user card stays
    assert await client.send("vm slot_bindings R1") == ["0/0: NM-1FE-TX", "OK"]
