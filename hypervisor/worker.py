"""A worker: one running VM in its own process (forked by the launcher).

It maps the VM's memory (RAM file, anonymous RAM or a ghost file copy-on-write; the NVRAM
file shared, so configs survive a killed worker), builds the platform's machine and runs
it in slices, serving its control channel between slices: stop, suspend, resume, console
input, status requests. Guest console output goes back over the same channel.

Single-threaded on purpose: a slice is short (well under a millisecond of guest time at
full speed), so a stop is served within one slice; when the guest idles the worker sleeps
in select() on its channel until the next timer tick, so input wakes it at once.
"""
from __future__ import annotations

import collections
import mmap
import os
import random
import resource
import select
import socket
import time

import numpy as np

from . import control, vm_inspect

SLICE_INSTRUCTIONS = 200_000
IDLE_SLEEP_MAX_S = 0.010        # never sleep past a 100 Hz timer tick
# A guest idle for IDLE_STREAK_FOR_BATCH wake-ups in a row is woken IDLE_BATCH_S apart and
# gets the timer ticks that fell due meanwhile delivered one by one (each late by < a
# batch); input, frames and requests still wake the worker at once.
IDLE_STREAK_FOR_BATCH = 8
IDLE_BATCH_S = 0.030
MIN_TICK_S = 0.0005
# Idle-PC proposals: the PC is sampled at the end of slices of random length, inside the
# CPU loop (never from another thread), like dynamips' 1000 samples but in seconds, not 10.
IDLE_SAMPLES = 1000
IDLE_SAMPLE_MAX_S = 3.0
IDLE_SAMPLE_SLICE = (500, 20_000)
IDLE_PROPOSALS = 10
IDLE_MIN_SHARE = 0.02           # a candidate must hold at least 2% of the samples


class IdlePcSampler:
    def __init__(self, request_id: int) -> None:
        self.request_id = request_id
        self.counts: collections.Counter[int] = collections.Counter()
        self.taken = 0
        self.deadline = time.monotonic() + IDLE_SAMPLE_MAX_S
        self.rng = random.Random(request_id)

    def budget(self) -> int:
        return self.rng.randint(*IDLE_SAMPLE_SLICE)

    def add(self, pc: int) -> bool:
        """Record one sample; True when sampling is complete."""
        self.counts[pc & 0xFFFFFFFF] += 1
        self.taken += 1
        return self.taken >= IDLE_SAMPLES or time.monotonic() >= self.deadline

    def proposals(self) -> list[list[int]]:
        floor = max(2, int(self.taken * IDLE_MIN_SHARE))
        return [[pc, n] for pc, n in self.counts.most_common(IDLE_PROPOSALS) if n >= floor]


class GuestMemory:
    """A VM's RAM and NVRAM mappings; `close` flushes NVRAM and deletes a per-run RAM file.

    `ram` is {"kind": "anonymous" | "file" | "ghost", "size": bytes, "path": ...} and
    `nvram` is {"path": ..., "size": bytes}: the worker gets them from the daemon, the
    single-router command line builds them itself.
    """

    def __init__(self, ram: dict, nvram: dict) -> None:
        size = ram["size"]
        self._delete_on_close: str | None = None
        if ram["kind"] == "anonymous":
            self.ram_map = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        elif ram["kind"] == "file":          # dynamips' default: c7200_<name>_ram, shared
            fd = os.open(ram["path"], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.ftruncate(fd, size)
                self.ram_map = mmap.mmap(fd, size, flags=mmap.MAP_SHARED)
            finally:
                os.close(fd)
            self._delete_on_close = ram["path"]
        elif ram["kind"] == "ghost":         # copy-on-write: the file is never written
            fd = os.open(ram["path"], os.O_RDONLY)
            try:
                self.ram_map = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE,
                                         prot=mmap.PROT_READ | mmap.PROT_WRITE)
            finally:
                os.close(fd)
        else:
            raise ValueError(f"unknown RAM kind {ram['kind']!r}")
        self.ram = np.frombuffer(self.ram_map, dtype=np.uint8)
        nv = nvram
        fd = os.open(nv["path"], os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < nv["size"]:
                os.ftruncate(fd, nv["size"])
            self.nvram_map = mmap.mmap(fd, nv["size"], flags=mmap.MAP_SHARED)
        finally:
            os.close(fd)
        self.nvram = np.frombuffer(self.nvram_map, dtype=np.uint8)

    def close(self) -> None:
        self.nvram_map.flush()
        if self._delete_on_close:
            try:
                os.unlink(self._delete_on_close)
            except FileNotFoundError:
                pass


class PortLink:
    """A NIO socket handed over by the daemon (SCM_RIGHTS), wired to one NIC port.

    Frames the guest sends go straight to the socket; datagrams read from it go into the
    NIC's RX ring between run slices. The daemon never sees these frames.
    """

    DRAIN = 64                              # datagrams taken per wake-up

    def __init__(self, slot: int, port: int, sock: socket.socket, nic) -> None:
        self.slot, self.port, self.sock, self.nic = slot, port, sock, nic
        sock.setblocking(False)
        nic.on_transmit(self.transmit)

    def transmit(self, frame: bytes) -> None:
        try:
            self.sock.send(frame)
        except OSError:                     # peer not there yet, buffer full: a lost frame
            pass

    def drain(self) -> None:
        for _ in range(self.DRAIN):
            try:
                frame = self.sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:                 # e.g. ECONNREFUSED from an earlier send
                continue
            self.nic.receive(frame)

    def close(self) -> None:
        self.nic.on_transmit(None)
        self.sock.close()


class Worker:
    def __init__(self, channel: socket.socket, config: dict) -> None:
        self.channel = channel
        self.config = config
        self.suspended = False
        self.stop_requested = False
        self.sampler: IdlePcSampler | None = None
        self.idle_max = config["idle_max"]
        self.idle_sleep_s = config["idle_sleep_ms"] / 1000
        self.idle_streak = 0                    # consecutive idle results
        self.batched = False                    # timer ticks delivered in batches
        self.tick_s = IDLE_SLEEP_MAX_S
        self.links: dict[tuple[int, int], PortLink] = {}
        self.memory = GuestMemory(config["ram"], config["nvram"])
        self.machine = self._build_machine()

    def _emulated_slots(self, cards: dict) -> dict[int, str]:
        """The adapters the platform models; others are left out (the guest sees an empty
        bay) with a warning, so a lab with, say, a serial PA still boots."""
        from platforms.c7200.machine import CARDS
        slots = {}
        for slot, card in cards.items():
            if card in CARDS and int(slot) in CARDS[card][0]:
                slots[int(slot)] = card
            else:
                self.send("warning", reason=f"slot {slot}: {card} is not emulated yet; "
                                            "the bay looks empty to the guest")
        return slots

    def _build_machine(self):
        from platforms.c7200.machine import C7200Machine, MachineConfig
        c = self.config
        machine_config = MachineConfig(
            image=c["image"], ram=self.memory.ram, nvram=self.memory.nvram,
            load_image=c["load_image"], npe=c["npe"], midplane=c["midplane"],
            mac=bytes.fromhex(c["mac"]), system_id=c["system_id"], conf_reg=c["conf_reg"],
            clock_divisor=c["clock_divisor"], idle_pc=c["idle_pc"],
            instance_id=c["instance_id"], auto_idle=c["auto_idle"],
            slots=self._emulated_slots(c["slots"]),
            console_out=lambda data: self.send_data(control.KIND_CONSOLE, data),
            aux_out=lambda data: self.send_data(control.KIND_AUX, data))
        return C7200Machine(machine_config)

    # -- channel ------------------------------------------------------------------------
    def send(self, op: str, **fields) -> None:
        self.channel.send(control.encode_json(op, **fields))

    def send_data(self, kind: bytes, data: bytes) -> None:
        for message in control.encode_data(kind, data):
            self.channel.send(message)

    def serve(self, timeout: float | None) -> bool:
        """Handle every waiting message and frame (waiting up to `timeout` for the first).
        False when the daemon is gone."""
        while True:
            links = {link.sock: link for link in self.links.values()}
            readable, _, _ = select.select([self.channel, *links], [], [], timeout)
            if not readable:
                return True
            for sock in readable:
                if sock in links:
                    links[sock].drain()
            if self.channel in readable:
                message, fds, _, _ = socket.recv_fds(self.channel, control.MAX_MESSAGE, 1)
                if not message:
                    return False
                self.handle(*control.decode(message), fds=fds)
            timeout = 0

    def handle(self, kind: bytes, payload, fds: list[int] = ()) -> None:
        if kind == control.KIND_CONSOLE:
            self.machine.console_input(payload)
        elif kind == control.KIND_AUX:
            self.machine.aux_input(payload)
        else:
            op = payload["op"]
            if op == "stop":
                self.stop_requested = True
            elif op == "suspend":
                self.suspended = True
            elif op == "resume":
                self.suspended = False
            elif op == "nio_attach":
                self.attach_port(payload, fds)
            elif op == "nio_detach":
                link = self.links.pop((payload["slot"], payload["port"]), None)
                if link is not None:
                    link.close()
            elif op == "request" and payload["what"] == "idle_pc_prop":
                self.sampler = IdlePcSampler(payload["id"])   # answered when sampling ends
            elif op == "request":
                self.send("reply", id=payload["id"], **self.answer(payload))

    def attach_port(self, payload: dict, fds: list[int]) -> None:
        key = (payload["slot"], payload["port"])
        sock = socket.socket(fileno=fds[0]) if fds else None
        nic = self.machine.nics.get(key)
        if sock is None or nic is None:
            if sock is not None:
                sock.close()
            self.send("warning", reason=f"slot {key[0]} port {key[1]}: no Ethernet port there "
                                        f"for NIO '{payload['spec']['name']}'")
            return
        old = self.links.pop(key, None)
        if old is not None:
            old.close()
        self.links[key] = PortLink(key[0], key[1], sock, nic)

    def answer(self, request: dict) -> dict:
        what = request["what"]
        if what == "cpu_usage":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return {"seconds": usage.ru_utime + usage.ru_stime}
        if what == "status":
            return {"pc": self.machine.pc, "instructions": self.machine.instruction_count}
        if what == "set_idle_pc":
            self.machine.cpu.idle_pc = request["pc"] or None
            return {}
        if what == "set_idle_max":
            self.idle_max = request["value"]
            return {}
        if what == "set_idle_sleep_time":
            self.idle_sleep_s = request["value"] / 1000
            return {}
        answer = vm_inspect.serve(self.machine, request)
        return answer if answer is not None else {"error": f"unknown request {what!r}"}

    # -- the run loop ------------------------------------------------------------------------
    def run(self) -> int:
        self.send("ready", pid=os.getpid())
        last = time.monotonic()
        pending = None                          # a result met while catching up on time
        while not self.stop_requested:
            if self.suspended:
                if not self.serve(None):
                    return 0
                last = time.monotonic()
                continue
            now = time.monotonic()
            elapsed, last = now - last, now
            if pending is None and self.batched:
                elapsed, pending = self.catch_up(elapsed)
            self.machine.advance_time(elapsed)
            sampler = self.sampler
            if pending is not None:
                result, pending = pending, None
            else:
                result = self.machine.run(sampler.budget() if sampler else SLICE_INSTRUCTIONS)
            kind = result.kind.value
            if kind == "stopped":
                self.send("stopped", reason=result.message)
                return 0
            if kind == "error":
                self.send("error", reason=result.message)
                return 3
            if kind == "breakpoint":           # dynamips: the CPU stops there until resumed
                self.suspended = True
                self.send("breakpoint", pc=self.machine.pc)
                continue
            if sampler is not None and sampler.add(self.machine.pc):
                self.send("reply", id=sampler.request_id, proposals=sampler.proposals(),
                          samples=sampler.taken)
                self.sampler = None
            if not self.serve(self.idle_sleep(result)):
                return 0
        return 0

    def idle_sleep(self, result) -> float:
        """How long to wait for input before the next slice.

        An IDLE result (the idle PC, WAIT, or the machine's detection of a polling loop)
        sleeps at once, at most idle_sleep at the idle PC. dynamips counts idle_max passes
        of the idle PC before sleeping because its check is free; here every pass already
        left the compiled loop, so the first one sleeps (idle_max is kept, not applied). A
        guest that stays idle gets its timer ticks in batches (`catch_up`), so the worker
        wakes IDLE_BATCH_S apart instead of at every tick.
        """
        if result.kind.value != "idle":
            self.idle_streak = 0
            self.batched = False
            return 0
        sleep = result.sleep
        idle_pc = self.machine.cpu.idle_pc
        if idle_pc is not None and self.machine.pc == idle_pc:
            sleep = min(sleep, self.idle_sleep_s)
        self.tick_s = max(result.sleep, MIN_TICK_S)
        self.idle_streak += 1
        self.batched = self.idle_streak >= IDLE_STREAK_FOR_BATCH
        return IDLE_BATCH_S if self.batched else min(sleep, IDLE_SLEEP_MAX_S)

    def catch_up(self, elapsed: float):
        """Deliver `elapsed` seconds of guest time tick by tick, running the guest after each
        tick, so it takes every timer interrupt that fell due. Returns the time left to
        deliver and the first result that is not IDLE (the guest woke up), if any."""
        step = self.tick_s
        while elapsed > step:
            self.machine.advance_time(step)
            elapsed -= step
            result = self.machine.run(SLICE_INSTRUCTIONS)
            if result.kind.value != "idle":
                self.batched = False
                self.idle_streak = 0
                return elapsed, result
            step = max(result.sleep, MIN_TICK_S)
        return elapsed, None

    def close(self) -> None:
        for link in self.links.values():
            link.close()
        self.memory.close()


def run_worker(channel: socket.socket, config: dict) -> int:
    """The worker process's body; returns its exit code."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        worker = Worker(channel, config)
    except Exception as exc:                 # bad image, memory, device set-up
        channel.send(control.encode_json("failed", reason=str(exc)))
        return 2
    try:
        return worker.run()
    except BrokenPipeError:
        return 0
    finally:
        worker.close()
