"""`c3745` module: IO memory, MAC, system id, hardware, list."""
from ..platform_commands import build_platform_module

module = build_platform_module("c3745", chassis=False, iomem=True)
