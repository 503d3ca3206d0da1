"""The pydynamips hypervisor daemon: TCP server, command modules, object registry, CLI."""

__version__ = "0.1.0"
# The dynamips release whose protocol we speak; GNS3 keeps the text before the first '-'
# and enables features by it (>= 0.2.23: --console-binding-addr).
DYNAMIPS_COMPAT_VERSION = "0.2.24"
VERSION_STRING = f"{DYNAMIPS_COMPAT_VERSION}-pydynamips-{__version__}"
