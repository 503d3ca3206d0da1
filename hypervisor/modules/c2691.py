"""`c2691` module: IO memory, MAC, system id, hardware, list."""
from ..platform_commands import build_platform_module

module = build_platform_module("c2691", chassis=False, iomem=True)
