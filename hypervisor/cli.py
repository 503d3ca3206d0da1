"""`pydynamips` command line, with dynamips' option names.

    pydynamips -H [addr:]port [-l logfile] [--log-level LEVEL] [-N1]
               [--console-binding-addr ADDR] [--strict-paths] [--max-clients N]

The first line printed is dynamips' banner, ``Cisco Router Simulation Platform (version
0.2.24-pydynamips-…)``: GNS3 runs ``dynamips -P none`` and parses that line to accept a
binary, so `pydynamips` can be set as GNS3's dynamips path. stdout is free text (as with
dynamips); the protocol only ever travels over TCP.
"""
from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from . import VERSION_STRING
from .daemon import Hypervisor, Options
from .launcher import Launcher
from .log import LEVELS, configure, get_logger
from .server import HypervisorServer

BANNER = f"Cisco Router Simulation Platform (version {VERSION_STRING})"
DEFAULT_PORT = 7200


def parse_listen(text: str) -> tuple[str, int]:
    """``7200`` → (127.0.0.1, 7200); ``0.0.0.0:7200``; ``[::1]:7200``."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad port in -H {text!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range in -H {text!r}")
    return host, number


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pydynamips", add_help=False,
                                description="A dynamips-compatible router hypervisor.")
    p.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    p.add_argument("-H", dest="listen", type=parse_listen, metavar="[ADDR:]PORT",
                   help="run as hypervisor on this TCP port (a bare port binds 127.0.0.1)")
    p.add_argument("-l", dest="logfile", metavar="FILE", help="log file (default: stderr)")
    p.add_argument("--log-level", choices=LEVELS, default="info")
    p.add_argument("-N", dest="naming", metavar="N",
                   help="-N1: name VM files by instance id (c7200_i1_nvram), as GNS3 asks")
    p.add_argument("--console-binding-addr", default="127.0.0.1", metavar="ADDR",
                   help="address the VM console TCP ports bind to")
    p.add_argument("--strict-paths", action="store_true",
                   help="refuse file names outside the working directory")
    p.add_argument("--max-clients", type=int, default=256, metavar="N",
                   help="simultaneous hypervisor connections (default 256)")
    p.add_argument("--no-auto-idle", dest="auto_idle", action="store_false",
                   help="do not treat a guest polling an empty console as idle (dynamips "
                        "behaviour: only the idle PC saves CPU)")
    p.add_argument("-P", dest="platform", metavar="PLATFORM",
                   help="router platform for single-router mode (7200)")
    # single-router mode (dynamips' option names)
    p.add_argument("-t", dest="npe", default="npe-400", metavar="NPE",
                   help="NPE type (npe-100 ... npe-400, default npe-400)")
    p.add_argument("-M", dest="midplane", default="vxr", metavar="MIDPLANE",
                   help="midplane: std or vxr (default vxr)")
    p.add_argument("-r", dest="ram_mb", type=int, default=256, metavar="MB",
                   help="RAM size in MB (default 256)")
    p.add_argument("-n", dest="nvram_kb", type=int, default=128, metavar="KB",
                   help="NVRAM size in KB (default 128)")
    p.add_argument("-c", dest="conf_reg", type=lambda t: int(t, 0), default=0x2102,
                   metavar="CONFREG", help="configuration register (default 0x2102)")
    p.add_argument("-i", dest="instance_id", type=int, default=0, metavar="ID",
                   help="instance id (file names c7200_i<ID>_nvram, _ram)")
    p.add_argument("-X", dest="anonymous_ram", action="store_true",
                   help="anonymous RAM instead of a c7200_i<ID>_ram file")
    p.add_argument("-T", dest="console_port", type=int, metavar="PORT",
                   help="console on this TCP port (telnet) instead of the terminal")
    p.add_argument("-A", dest="aux_port", type=int, metavar="PORT",
                   help="AUX port on this TCP port (telnet)")
    p.add_argument("--idle-pc", dest="idle_pc", type=lambda t: int(t, 0), default=0,
                   metavar="PC", help="idle PC (the CPU sleeps when it loops there)")
    ghost = p.add_mutually_exclusive_group()
    ghost.add_argument("-g", dest="ghost_generate", metavar="FILE",
                       help="generate the ghost RAM file FILE from the image, then exit")
    ghost.add_argument("-G", dest="ghost_use", metavar="FILE",
                       help="boot with RAM mapped copy-on-write from the ghost file FILE")
    p.add_argument("-C", dest="startup_config", metavar="FILE",
                   help="import this startup-config into NVRAM before boot")
    p.add_argument("--timer", choices=("host", "deterministic"), default="host",
                   help="CPU timer: host clock (default) or one Count per instructions/4 "
                        "(reproducible runs)")
    p.add_argument("image", nargs="?", help="image to run in single-router mode")
    return p


async def run_hypervisor(host: str, port: int, options: Options, launcher) -> int:
    hypervisor = Hypervisor(options, launcher=launcher)
    server = HypervisorServer(hypervisor, host, port)
    try:
        await server.start()
    except OSError as exc:
        print(f"Unable to start the hypervisor on {host}:{port}: {exc.strerror}",
              file=sys.stderr)
        return 1
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, hypervisor.request_stop)
    print(f"Hypervisor TCP control server started (IP {host} port {server.bound_port}).",
          flush=True)
    await server.serve_until_stopped()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(BANNER, flush=True)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:        # argparse already printed the cause
        return int(exc.code or 0)
    if args.help:
        parser.print_help()
        return 0
    configure(args.log_level, args.logfile)
    if args.listen is None:
        if args.platform not in (None, "7200", "c7200"):
            print(f"Unknown platform '{args.platform}' (this build runs: 7200)", file=sys.stderr)
            return 1
        if args.image is None:
            parser.print_usage(sys.stderr)
            print("pydynamips: give -H [ADDR:]PORT (hypervisor) or an image", file=sys.stderr)
            return 1
        from .single_router import RouterOptions, run as run_router
        return run_router(RouterOptions(
            image=args.image, npe=args.npe.lower(), midplane=args.midplane.lower(),
            ram_mb=args.ram_mb, nvram_kb=args.nvram_kb, conf_reg=args.conf_reg,
            instance_id=args.instance_id, anonymous_ram=args.anonymous_ram,
            console_port=args.console_port, aux_port=args.aux_port, idle_pc=args.idle_pc,
            startup_config=args.startup_config, timer=args.timer,
            bind=args.console_binding_addr,
            ghost_file=args.ghost_generate or args.ghost_use,
            ghost_generate=args.ghost_generate is not None, auto_idle=args.auto_idle))
    options = Options(name_by_id=args.naming == "1", strict_paths=args.strict_paths,
                      console_binding_addr=args.console_binding_addr,
                      max_clients=max(1, args.max_clients), auto_idle=args.auto_idle)
    host, port = args.listen
    get_logger().info("hypervisor.start", host=host, port=port, version=VERSION_STRING,
                      name_by_id=options.name_by_id, strict_paths=options.strict_paths)
    # The launcher first: it warms the CPU core while the daemon starts, so the first
    # `vm start` finds it ready.
    launcher = Launcher()
    launcher.spawn()
    try:
        return asyncio.run(run_hypervisor(host, port, options, launcher))
    finally:
        launcher.close()


if __name__ == "__main__":
    sys.exit(main())
