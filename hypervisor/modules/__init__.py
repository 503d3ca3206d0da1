"""One file per protocol module, named as the module is (dynamips' hv_*.c map).

`build_table` registers them in dynamips' order, so `hypervisor module_list` (which answers
newest first) lists them exactly as dynamips does.
"""
from __future__ import annotations

from ..commands import CommandTable


def build_table() -> CommandTable:
    from . import (atm_bridge, atmsw, c1700, c2600, c2691, c3600, c3725, c3745, c7200,
                   ethsw, frsw, hypervisor, nio, nio_bridge, object_store, vm, vm_debug)
    return CommandTable([
        c7200.module, c3600.module, c3725.module, c3745.module, c2691.module,
        c2600.module, c1700.module,
        hypervisor.module, nio.module, nio_bridge.module, frsw.module, atmsw.module,
        atm_bridge.module, ethsw.module, vm.module, vm_debug.module, object_store.module,
    ])
