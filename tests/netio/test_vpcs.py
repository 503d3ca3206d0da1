"""Two real VPCS hosts (Debian's `vpcs`, UDP mode) ping each other through our switches:
VPCS1 - SW1 (access VLAN 10) - 802.1Q trunk (two cross-connected FIFO NIOs) - SW2 (access
VLAN 10) - VPCS2. VPCS wants a terminal, so each runs on a pseudo-terminal we drive."""
from __future__ import annotations

import asyncio
import os
import pty
import re
import shutil
import subprocess

import pytest

from .conftest import free_udp_ports

VPCS = shutil.which("vpcs")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(VPCS is None,
                                 reason="Debian's vpcs is not installed (apt-get install vpcs)")]
PROMPT = b"VPCS> "


class VpcsHost:
    """One VPCS instance on a pty: `command()` sends a line, returns the output up to the prompt."""

    def __init__(self, number: int, lport: int, rport: int, cwd) -> None:
        master, slave = pty.openpty()
        self.proc = subprocess.Popen([VPCS, "-i", "1", "-m", str(number), "-s", str(lport),
                                      "-c", str(rport), "-t", "127.0.0.1"],
                                     stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                                     start_new_session=True)
        os.close(slave)
        os.set_blocking(master, False)
        self.master = master
        self.buffer = b""
        self.more = asyncio.Event()
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.master)
        self.buffer += data
        self.more.set()

    async def expect(self, marker: bytes, timeout: float = 15.0) -> bytes:
        async def wait():
            while marker not in self.buffer:
                self.more.clear()
                await self.more.wait()
        await asyncio.wait_for(wait(), timeout)
        text, _, self.buffer = self.buffer.partition(marker)
        return text

    async def command(self, line: str, timeout: float = 15.0) -> str:
        os.write(self.master, line.encode() + b"\n")
        return (await self.expect(PROMPT, timeout)).decode(errors="replace")

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.master)
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)


async def test_two_vpcs_ping_through_two_switches_and_a_trunk(client, tmp_path):
    n1, v1, n2, v2 = free_udp_ports(4)
    hosts = []
    try:
        for number, (nio_port, vpcs_port) in enumerate(((n1, v1), (n2, v2)), start=1):
            await client.send(f"nio create_udp pc{number} {nio_port} 127.0.0.1 {vpcs_port}")
            host = VpcsHost(number, vpcs_port, nio_port, tmp_path)
            hosts.append(host)
            await host.expect(PROMPT)
        for sw, pc, fifo in (("SW1", "pc1", "t1"), ("SW2", "pc2", "t2")):
            await client.send(f"ethsw create {sw}")
            await client.send(f"nio create_fifo {fifo}")
            for nio in (pc, fifo):
                await client.send(f"ethsw add_nio {sw} {nio}")
            await client.send(f"ethsw set_access_port {sw} {pc} 10")
            await client.send(f"ethsw set_dot1q_port {sw} {fifo} 1")
        await client.send("nio crossconnect_fifo t1 t2")
        await client.send("nio bind_filter t1 1 capture")
        await client.send(f'nio setup_filter t1 1 EN10MB "{tmp_path / "trunk.pcap"}"')

        await hosts[0].command("ip 10.0.0.1/24")
        await hosts[1].command("ip 10.0.0.2/24")
        out = await hosts[0].command("ping 10.0.0.2 -c 3", timeout=30)
        assert len(re.findall(r"10\.0\.0\.2 icmp_seq=\d+ ttl=64 time=", out)) >= 2, out
        out = await hosts[1].command("ping 10.0.0.1 -c 2", timeout=30)
        assert re.search(r"10\.0\.0\.1 icmp_seq=\d+ ttl=64", out), out

        table = await client.send("ethsw show_mac_addr_table SW1")
        assert "0050.7966.6801  10  pc1" in table and "0050.7966.6802  10  t1" in table
        assert int((await client.send("nio get_stats pc2"))[0].split()[0]) >= 3
        await client.send("nio unbind_filter t1 1")
        trunk = (tmp_path / "trunk.pcap").read_bytes()
        assert b"\x81\x00\x00\x0a" in trunk           # frames crossed the trunk tagged VLAN 10
    finally:
        for host in hosts:
            host.close()
