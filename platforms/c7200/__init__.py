"""The Cisco 7200 platform: memory map, devices, ROM monitor and NVRAM format."""
