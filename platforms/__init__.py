"""Router platforms (c7200, then c3600/c2691/c3725/c3745): memory maps, devices, ROM, ELF loading."""
