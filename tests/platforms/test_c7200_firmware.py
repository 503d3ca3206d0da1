"""The test firmware booted through the single-router command line (real subprocesses).

Each run is `pydynamips -X -r 64 [-t NPE] image.elf` in a temporary directory with stdin and
stdout piped; the console transcript is checked line by line. stderr carries the structured
log: no run may log an unimplemented device register (bus.unimplemented).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from platforms.c7200.npe import NPES

ROOT = Path(__file__).resolve().parents[2]
FW = ROOT / "tests" / "firmware"
BIGDATA_SUM = (FW / "bigdata.sum").read_text().strip()


def pydynamips(args, cwd, stdin=b"", timeout=120):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "hypervisor.cli", *args], input=stdin, cwd=cwd,
                       capture_output=True, timeout=timeout, env=env)
    out = p.stdout.decode("latin-1").replace("\r\n", "\n")
    err = p.stderr.decode("latin-1")
    return p.returncode, out, err


def boot(name, tmp_path, *extra, stdin=b""):
    rc, out, err = pydynamips(["-X", "-r", "64", *extra, str(FW / f"{name}.elf")], tmp_path,
                              stdin=stdin)
    assert "unimplemented" not in err, err
    return rc, out, err


def prid(npe):
    return f"PRId 0x{NPES[npe].prid:08x}"


@pytest.mark.parametrize("npe", ["npe-100", "npe-200", "npe-400"])
def test_hello(tmp_path, npe):
    rc, out, err = boot("hello", tmp_path, "-t", npe)
    assert rc == 0, out + err
    assert f"pydynamips ROM monitor (c7200, {npe}, 64 MB RAM)" in out
    assert "Launching IOS image at 0x80008000..." in out
    body = out[out.index("hello: pydynamips test firmware"):]
    assert body.splitlines()[:12] == [
        "hello: pydynamips test firmware",
        prid(npe),
        'crc32("123456789") 0xcbf43926',
        "crc32(pattern) 0x463b8ee9",
        "dmultu hi 0x000000000121fa00",
        "dmultu lo 0xacf13578ad05ebe8",
        "ddivu q 0x0000000001249249",
        "ddivu r 0x0000000024efe897",
        "daddu 0x0123456888888887",
        "dsll32/dsra 0xfdb9753000000000",
        "hello: returning to ROM",
        "",
    ]
    assert out.rstrip().endswith("Image returned to ROM.")


@pytest.mark.parametrize("npe", ["npe-100", "npe-200", "npe-400"])
def test_isa_all_groups_pass(tmp_path, npe):
    rc, out, err = boot("isa", tmp_path, "-t", npe)
    assert rc == 0, out + err
    groups = re.findall(r"^(PASS|FAIL) (\S+)", out, re.M)
    assert [g for g in groups if g[0] == "FAIL"] == [], out
    assert [g for _, g in groups] == ["alu64", "muldiv", "loadstore", "llsc", "branch",
                                      "movcond", "trap", "overflow", "addrerr", "syscall",
                                      "cp0", "tlb"]
    assert "isa: 12/12 groups passed" in out


@pytest.mark.parametrize("npe,timer", [("npe-200", "host"), ("npe-400", "deterministic")])
def test_irq_ticks(tmp_path, npe, timer):
    rc, out, err = boot("irq", tmp_path, "-t", npe, "--timer", timer)
    assert rc == 0, out + err
    assert [f"tick {i}" for i in range(1, 11)] == re.findall(r"^tick \d+$", out, re.M)
    assert "irq: 10 ticks, 0 other exceptions" in out
    assert "irq: PASS" in out


@pytest.mark.parametrize("npe", ["npe-100", "npe-400"])
def test_console_prompt_and_bigdata(tmp_path, npe):
    rc, out, err = boot("console", tmp_path, "-t", npe,
                        stdin=b"help\rversion\rticks\rbogus\rexit\r")
    assert rc == 0, out + err
    assert BIGDATA_SUM in out
    assert "RAM 64 MB" in out
    assert "router> help\ncommands: help version ticks reload exit\n" in out
    assert f"router> version\npydynamips test firmware, console 1.0\n{prid(npe)}\n" in out
    assert re.search(r"router> ticks\nticks \d+\n", out)
    assert "router> bogus\n% unknown command: bogus\n" in out
    assert "router> exit\nbye\n" in out
    assert out.rstrip().endswith("Image returned to ROM.")


def test_console_reload_stops_vm(tmp_path):
    rc, out, err = boot("console", tmp_path, stdin=b"reload\r")
    assert rc == 0, out + err
    assert "reloading" in out and "ROM: reload requested..." in out


def test_nvram_probe_with_startup_config(tmp_path):
    cfg = tmp_path / "startup.cfg"
    cfg.write_text("hostname R1\n!\nend\n")
    rc, out, err = boot("nvram_probe", tmp_path, "-C", str(cfg), "-i", "3")
    assert rc == 0, out + err
    assert "confreg 0x00002102" in out
    assert "iofpga ctrl 0x00000004" in out
    assert "nvram+0x080 IOS" in out and "nvram+0x200 BOOTLDR" in out
    assert "filesystem: magic 0xf0a5" in out
    assert re.search(r"checksum 0x[0-9a-f]{8} ok", out)
    assert "startup-config format 1 length 18\nhostname R1\n!\nend\n" in out
    assert (tmp_path / "c7200_i3_nvram").stat().st_size == 128 * 1024


def test_nvram_probe_blank_nvram_and_conf_reg(tmp_path):
    rc, out, err = boot("nvram_probe", tmp_path, "-n", "64")
    assert rc == 0, out + err
    assert "confreg 0x00002142" in out           # blank NVRAM: "ignore NVRAM" bit
    assert "filesystem: none" in out
    assert (tmp_path / "c7200_i0_nvram").stat().st_size == 64 * 1024
    rc, out, err = boot("nvram_probe", tmp_path, "-n", "64", "-c", "0x2100")
    assert "confreg 0x00002100" in out           # the ROM's strings made NVRAM non-blank


@pytest.mark.parametrize("npe,midplane,type_line", [
    ("npe-100", "std", "npe type 0x00000035 (npe-100)"),
    ("npe-200", "vxr", "npe type 0x00000069 (npe-200)"),
    ("npe-225", "vxr", "npe type 0x000000c2 (npe-175/225)"),
    ("npe-400", "vxr", "npe type 0x000001f8 (npe-400)"),
])
def test_eeprom_probe(tmp_path, npe, midplane, type_line):
    rc, out, err = boot("eeprom_probe", tmp_path, "-t", npe, "-M", midplane, "-i", "5")
    assert rc == 0, out + err
    assert type_line in out
    assert f"chassis type 06 midplane {midplane}" in out
    assert re.search(r"^chassis mac ca05\.[0-9a-f]{4}\.0000$", out, re.M), out
    assert "mac block 1024" in out
    assert "eeprom_probe: done" in out


@pytest.mark.parametrize("kind", ["elf64", "little", "truncated", "not-elf", "missing"])
def test_bad_images_refused(tmp_path, kind):
    from tests.platforms.elfwriter import Sec, build_elf
    path = tmp_path / f"{kind}.elf"
    good = build_elf([Sec(".text", 0x80008000, b"\0" * 64)])
    reason = {"elf64": "ELF64", "little": "little-endian", "truncated": "truncated",
              "not-elf": "not an ELF file", "missing": "No such file"}[kind]
    if kind == "elf64":
        path.write_bytes(build_elf([Sec(".text", 0x80008000, b"\0" * 64)], cls=2))
    elif kind == "little":
        path.write_bytes(build_elf([Sec(".text", 0x80008000, b"\0" * 64)], endian="<"))
    elif kind == "truncated":
        path.write_bytes(good[:40])
    elif kind == "not-elf":
        path.write_bytes(b"#!/bin/sh\necho not an image\n")
    rc, out, err = pydynamips(["-X", str(path)], tmp_path)
    assert rc != 0
    assert str(path) in err and reason in err, err


def test_unknown_platform_and_npe(tmp_path):
    rc, out, err = pydynamips(["-P", "none"], tmp_path)
    assert rc != 0 and out.startswith("Cisco Router Simulation Platform")
    assert "nknown platform" in err
    rc, out, err = pydynamips(["-t", "npe-999", str(FW / "hello.elf")], tmp_path)
    assert rc != 0 and "unknown NPE type 'npe-999'" in err
