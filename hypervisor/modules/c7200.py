"""`c7200` module: NPE, midplane, MAC, system id, temperature sensors, power supplies."""
from __future__ import annotations

from protocol.status import Status

from platforms.catalog import (C7200_MIDPLANES, C7200_NPE_TYPES, C7200_POWER_SUPPLIES,
                               C7200_TEMP_SENSORS)

from ..cnum import atoi
from ..commands import CommandError
from ..platform_commands import build_platform_module


def head(module, find):
    @module.command("set_npe", 2, 2)
    async def set_npe(session, args):
        vm = find(session, args[0])
        if args[1] not in C7200_NPE_TYPES or not vm.is_halted:
            raise CommandError(Status.ERR_CREATE, f"unable to set NPE type for router '{vm.name}'")
        vm.settings.npe = args[1]

    @module.command("set_midplane", 2, 2)
    async def set_midplane(session, args):
        vm = find(session, args[0])
        if args[1] not in C7200_MIDPLANES or not vm.is_halted:
            raise CommandError(Status.ERR_CREATE,
                               f"unable to set Midplane type for router '{vm.name}'")
        vm.settings.midplane = args[1]


def middle(module, find):
    @module.command("set_temp_sensor", 3, 3)
    async def set_temp_sensor(session, args):
        vm = find(session, args[0])
        index = atoi(args[1])
        if 0 <= index < C7200_TEMP_SENSORS:       # dynamips ignores other indexes
            vm.settings.temperatures_c[index] = atoi(args[2])

    @module.command("set_power_supply", 3, 3)
    async def set_power_supply(session, args):
        vm = find(session, args[0])
        index = atoi(args[1])
        if 0 <= index < C7200_POWER_SUPPLIES:
            vm.settings.power_supplies[index] = atoi(args[2]) != 0


module = build_platform_module("c7200", chassis=False, iomem=False, head=head, middle=middle)
