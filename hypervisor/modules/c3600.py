"""`c3600` module: chassis, IO memory, MAC, system id, hardware, list."""
from ..platform_commands import build_platform_module

module = build_platform_module("c3600", chassis=True, iomem=True)
