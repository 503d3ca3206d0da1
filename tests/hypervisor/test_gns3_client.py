"""GNS3's own client class drives a real pydynamips daemon process.

gns3-server pins aiohttp and many others that clash with the project's own dependencies, so
it lives in a virtual environment of its own, `.venv-gns3/` at the repository root, created
on first use and reused afterwards (a marker file records what was installed). Installing
needs the package registry; when that fails the test FAILS with pip's output, it does not
skip: CI has the same registry access as a developer machine.

The daemon is started the way GNS3 starts dynamips (`-N1 -l dynamips_i1_log.txt -H
host:port --console-binding-addr ...`, cwd = the project's dynamips directory); the driver
(`gns3_driver.py`, run with the GNS3 venv's python) talks to it through
`gns3server.compute.dynamips.dynamips_hypervisor.DynamipsHypervisor` and prints what GNS3's
class returned as JSON; the tests below assert on those values.

Environment knobs: PYDYNAMIPS_GNS3_VENV (venv path), PYDYNAMIPS_GNS3_SERVER_SPEC (pip
requirement, default ``gns3-server==2.2.*``).
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("gns3_driver.py")
GNS3_VENV = Path(os.environ.get("PYDYNAMIPS_GNS3_VENV", REPO / ".venv-gns3"))
GNS3_SPEC = os.environ.get("PYDYNAMIPS_GNS3_SERVER_SPEC", "gns3-server==2.2.*")
IMPORT_CHECK = ("from gns3server.compute.dynamips.dynamips_hypervisor import DynamipsHypervisor;"
                "from gns3server.version import __version__; print(__version__)")
PIP_TIMEOUT = 900          # seconds; a cold install downloads ~40 packages
READY = re.compile(r"Hypervisor TCP control server started \(IP \S+ port (\d+)\)")

# The first test pays for the venv install: give the module a generous per-test timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(PIP_TIMEOUT + 300)]


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    env.pop("PYTHONPATH", None)       # the GNS3 venv must not see the project
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def _installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    try:
        proc = _run([str(python), "-c", IMPORT_CHECK], timeout=120)
    except subprocess.TimeoutExpired:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


@pytest.fixture(scope="session")
def gns3_python() -> Path:
    """The GNS3 venv's python, creating the venv and installing gns3-server if needed."""
    python = GNS3_VENV / "bin" / "python"
    marker = GNS3_VENV / ".pydynamips-installed"
    GNS3_VENV.mkdir(parents=True, exist_ok=True)
    # One installer at a time (parallel test runs share the venv).
    with open(GNS3_VENV / ".pydynamips-install-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (marker.exists() and marker.read_text().strip() == GNS3_SPEC
                and _installed_version(python)):
            return python
        steps = [[sys.executable, "-m", "venv", str(GNS3_VENV)],
                 [str(python), "-m", "pip", "install", "-q", GNS3_SPEC]]
        for cmd in steps:
            try:
                proc = _run(cmd, timeout=PIP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pytest.fail(f"installing the GNS3 test venv timed out after {PIP_TIMEOUT}s: "
                            f"{' '.join(cmd)}", pytrace=False)
            if proc.returncode != 0:
                output = "\n".join(
                    line for line in (proc.stdout + proc.stderr).splitlines()
                    if "is ignored: it is neither a file nor a directory" not in line)[-4000:]
                pytest.fail(f"could not install the GNS3 client into {GNS3_VENV} "
                            f"(needs the package registry): {' '.join(cmd)} exited "
                            f"{proc.returncode}\n{output}", pytrace=False)
        version = _installed_version(python)
        if version is None:
            pytest.fail(f"{GNS3_SPEC} installed into {GNS3_VENV} but DynamipsHypervisor "
                        "does not import", pytrace=False)
        marker.write_text(GNS3_SPEC + "\n")
        return python


def _pydynamips() -> Path:
    exe = Path(sys.executable).parent / "pydynamips"
    if not exe.exists():
        pytest.fail(f"{exe} not found: install the project into this venv (make venv)",
                    pytrace=False)
    return exe


def _wait_ready(proc: subprocess.Popen, stdout_file: Path, timeout: float = 60) -> int:
    """The port from the daemon's startup line (we ask for port 0: no port race)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = READY.search(stdout_file.read_text(errors="replace"))
        if match:
            return int(match.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    pytest.fail(f"pydynamips did not start (exit {proc.poll()}):\n"
                f"{stdout_file.read_text(errors='replace')[-4000:]}", pytrace=False)


@pytest.fixture(scope="module")
def session_result(gns3_python, tmp_path_factory):
    """Run the daemon and the GNS3 driver once; every test checks part of the outcome."""
    # A space in the path: GNS3 quotes `hypervisor working_dir "<dir>"` for this.
    workdir = tmp_path_factory.mktemp("gns3") / "GNS3 projects" / "lab 1"
    dynamips_dir = workdir / "project-files" / "dynamips"
    dynamips_dir.mkdir(parents=True)
    stdout_file = dynamips_dir / "dynamips_i1_stdout.txt"
    cmd = [str(_pydynamips()), "-N1", "-l", "dynamips_i1_log.txt",
           "-H", "127.0.0.1:0", "--console-binding-addr", "127.0.0.1"]
    with open(stdout_file, "w") as out:
        daemon = subprocess.Popen(cmd, cwd=dynamips_dir, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    try:
        port = _wait_ready(daemon, stdout_file)
        try:
            drv = _run([str(gns3_python), str(DRIVER), "--port", str(port),
                        "--workdir", str(workdir)], timeout=180)
        except subprocess.TimeoutExpired:
            pytest.fail("the GNS3 driver did not finish in 180 s", pytrace=False)
        if drv.returncode != 0:
            log = dynamips_dir / "dynamips_i1_log.txt"
            pytest.fail(f"GNS3 driver failed (exit {drv.returncode}):\n{drv.stderr[-6000:]}\n"
                        f"--- daemon log tail:\n"
                        f"{log.read_text(errors='replace')[-3000:] if log.exists() else ''}",
                        pytrace=False)
        result = json.loads(drv.stdout.strip().splitlines()[-1])
        try:
            exit_code = daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            exit_code = None
        yield {"out": result, "daemon_exit": exit_code, "workdir": workdir,
               "dynamips_dir": dynamips_dir}
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)


def test_version_and_working_dirs(session_result):
    out = session_result["out"]
    assert out["gns3_version"].startswith("2.2.")
    # GNS3 keeps the text before the first '-' of `hypervisor version`, and gates features
    # on it (>= 0.2.23: --console-binding-addr).
    assert out["version"] == "0.2.24"
    dynamips_dir = session_result["dynamips_dir"]
    assert out["hv_working_dir"] == str(dynamips_dir)
    assert out["node_working_dir"] == str(dynamips_dir / "6f1c2a53-3a5e-4e4f-9a5c-0d7d2bd1e001")


def test_create_and_settings(session_result):
    out = session_result["out"]
    assert out["create"] == ["VM 'R1' created"]
    # -N1 (as GNS3 starts dynamips): files named by instance id, in the node's directory.
    assert out["lock_files"] == ["c7200_i1_lock"]
    assert re.fullmatch(r"ca01\.[0-9a-f]{4}\.0000", out["mac"]), out["mac"]
    assert out["status_created"] == ["0"]
    assert out["status_idle_pc"] == ["0"]
    assert out["status_slot1"] == ["0"]
    assert out["set_ios"] == ["IOS image set for 'R1'"]
    # A plain `100-OK` reaches GNS3 as an empty list (its send() drops a final "OK").
    for key in ("set_con_tcp_port", "set_aux_tcp_port", "set_npe", "slot0", "set_ram",
                "set_nvram", "set_disk0", "set_exec_area", "set_idle_pc", "set_midplane",
                "set_temp_sensor", "set_power_supply", "set_mac_addr", "set_system_id",
                "slot1", "set_ram_mmap", "set_sparse_mem"):
        assert out[key] == [], key
    assert out["mac_after_set"] == "ca01.1f2e.0001"
    assert out["slot_bindings"] == ["0/0: C7200-IO-FE", "1/0: PA-FE-TX"]


def test_list_and_rename(session_result):
    out = session_result["out"]
    assert out["create_r2"] == ["VM 'R2' created"]
    assert out["list"] == ["R2 (c7200)", "R1 (c7200)"]          # newest first, as dynamips
    assert out["rename"] == ["VM 'R1' renamed to 'R1-renamed'"]
    assert out["list_after_rename"] == ["R2 (c7200)", "R1-renamed (c7200)"]
    assert out["status_renamed"] == ["0"]
    # Named by id: a rename leaves the files alone.
    assert out["lock_files_after_rename"] == ["c7200_i1_lock", "c7200_i2_lock"]


def test_long_reply_spans_several_gns3_reads(session_result):
    out = session_result["out"]
    # 42 lines of ~40 bytes: GNS3 reads 1024-byte chunks and must reassemble them.
    assert out["bulk_list_len"] == 42
    assert out["bulk_list_first"] == "bulk-router-with-a-long-name-039 (c7200)"
    assert out["bulk_list_last"] == "R1-renamed (c7200)"


def test_errors_raise_dynamips_error_with_our_text(session_result):
    out = session_result["out"]
    expected = {
        "error_unknown_vm": ('vm get_status "nosuch"', "unable to find object 'nosuch'"),
        "error_unknown_command": ('vm nosuch "R1-renamed"', "Unknown command 'nosuch'"),
        "error_bad_params": ('vm create "R3"',
                             "Bad number of parameters (1 with min/max=3/3)"),
        "error_duplicate": ('vm create "R2" 3 c7200', "unable to create VM instance 'R2'"),
    }
    for key, (command, text) in expected.items():
        # DynamipsError("Dynamips error when running command '<cmd>\n': <text after NNN->")
        assert out[key] == {"error": f"Dynamips error when running command '{command}\n': "
                                     f"{text}"}, key
    assert out["start"]["error"].endswith("unable to start VM instance 'R1-renamed': "
                                          "RAM size 512 MB is out of range for npe-200 (1..256 MB)")
    assert out["status_after_errors"] == ["0"]


def test_stop_extract_delete(session_result):
    out = session_result["out"]
    assert out["status_before_delete"] == ["0"]
    assert out["stop"] == ["VM 'R1-renamed' stopped"]
    # GNS3 ignores extract_config's error for a router that never ran.
    assert "error" in out["extract_config"]
    assert out["delete"] == ["VM 'R1-renamed' deleted"]
    assert out["delete_r2"] == ["VM 'R2' deleted"]
    assert out["list_after_delete"] == []
    assert out["lock_files_after_delete"] == []


def test_hypervisor_stop_exits_zero(session_result):
    assert session_result["out"]["hypervisor_stop"] == []
    assert session_result["daemon_exit"] == 0
    stdout = (session_result["dynamips_dir"] / "dynamips_i1_stdout.txt").read_text()
    # GNS3 accepts a dynamips binary by this banner.
    assert stdout.startswith("Cisco Router Simulation Platform (version 0.2.24-")


def test_gns3_hypervisor_class_starts_and_stops_the_daemon(gns3_python, tmp_path):
    """GNS3's `Hypervisor` runs `pydynamips -P none` for the version, starts the daemon with
    its own command line, connects, and `stop()` sees it exit by itself (no kill)."""
    workdir = tmp_path / "GNS3 projects" / "lab 2" / "project-files" / "dynamips"
    try:
        drv = _run([str(gns3_python), str(DRIVER), "--launch", str(_pydynamips()),
                    "--workdir", str(workdir)], timeout=180)
    except subprocess.TimeoutExpired:
        pytest.fail("the GNS3 driver did not finish in 180 s", pytrace=False)
    assert drv.returncode == 0, drv.stderr[-6000:]
    out = json.loads(drv.stdout.strip().splitlines()[-1])
    assert out["probed_version"] == "0.2.24"
    assert out["command"][:3] == ["-N1", "-l", "dynamips_i1_log.txt"]
    assert out["version"] == "0.2.24"
    assert out["running_after_connect"] is True
    assert out["create"] == ["VM 'R1' created"]
    assert out["list"] == ["R1 (c7200)"]
    assert out["running_after_stop"] is False
    assert out["returncode"] == 0
    assert out["stdout_file_removed"] is True
    assert (workdir / "dynamips_i1_log.txt").exists()


def test_builtin_slot0_adapters_and_wics(session_result):
    """dynamips binds the motherboard adapter itself: GT96100-FE on c2691/c3725/c3745 at
    create, the chassis' mainboard card on c2600/c1700 (default 2610/1720, replaced by
    `set_chassis`), Leopard-2FE on a c3600 set to 3660. GNS3 relies on it: it never binds
    slot 0 on these platforms but installs WICs on it."""
    out = session_result["out"]
    for platform in ("c2691", "c2600", "c1700"):
        assert out[f"wic_{platform}"] == {"reply": []}, platform
    assert out["bindings_c2691"][0] == "0/0: GT96100-FE"
    assert out["bindings_c2600"][0] == "0/0: CISCO2600-MB-2FE"
    assert out["bindings_c1700"][0] == "0/0: C1700-MB-1ETH"
    assert out["bindings_c3600"] == ["0/0: Leopard-2FE"]


def test_gns3_runs_a_router_with_ghost_ios(gns3_python, tmp_path):
    """GNS3's start flow with ghost IOS on our console firmware: the ghost VM ends in status
    1, the router boots from the ghost, answers on its console, suspends, stops, and its
    startup-config comes back from NVRAM through `vm extract_config`."""
    import base64
    image = Path(__file__).resolve().parents[1] / "firmware" / "console.elf"
    workdir = tmp_path / "GNS3 projects" / "run"
    dynamips_dir = workdir / "project-files" / "dynamips"
    dynamips_dir.mkdir(parents=True)
    stdout_file = dynamips_dir / "dynamips_i1_stdout.txt"
    with open(stdout_file, "w") as out:
        daemon = subprocess.Popen([str(_pydynamips()), "-N1", "-l", "dynamips_i1_log.txt",
                                   "-H", "127.0.0.1:0"], cwd=dynamips_dir, stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        port = _wait_ready(daemon, stdout_file)
        drv = _run([str(gns3_python), str(DRIVER), "--port", str(port), "--workdir",
                    str(workdir), "--run-image", str(image)], timeout=180)
        assert drv.returncode == 0, drv.stderr[-4000:]
        out = json.loads(drv.stdout.strip().splitlines()[-1])
        assert daemon.wait(timeout=20) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
    assert out["ghost_status"] == ["1"] and out["ghost_size"] == 64 << 20
    assert "error" in out["ghost_extract"]                 # GNS3 ignores this one
    assert out["status_before"] == ["0"] and out["status_running"] == ["2"]
    assert "VM 'R1' started" in out["start"]
    assert "bigdata 25165824 bytes" in out["console_boot"]
    assert "PRId 0x00002721" in out["console_version"]
    assert out["idle_pc_prop"][0].startswith("0x8000")
    assert out["cpu_usage"][0].isdigit()
    assert out["status_suspended"] == ["3"]
    assert out["stop"] == ["VM 'R1' stopped"] and out["status_stopped"] == ["0"]
    # GNS3 parses extract_config with rsplit(" ", 2) and strips the quotes
    _, startup, _ = out["extract"][0].rsplit(" ", 2)
    assert base64.b64decode(startup.strip("'")) == b"hostname R1\n!\nend\n"
