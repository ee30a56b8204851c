"""The BL602 as far as booting our image needs it: memory map, boot2 hand-over, hooks, run loop.

Memory (BL602 reference manual and the SDK's linker script): mask ROM 128 KiB at 0x21000000;
320 KiB of RAM at 0x42000000, the same bytes at 0x22000000 (instruction-bus alias); the running
image XIP-mapped at 0x23000000 straight from the flash model (so code, constants and the device
tree are the flash's own bytes); CLINT, CLIC and the peripheral blocks as plain memory, except the
APB page with UART0 and the watchdog, which is modelled (uart.py, watchdog.py). boot2 is not run:
its hand-over (partition table at 0x42049C00) is preloaded and the CPU starts at the image's entry,
as boot2 leaves it.

The SDK's flash driver programs SF_CTRL through ROM code; instead bl_flash_read/write/erase are
answered from the NOR model at their entry. The Wi-Fi firmware task is parked (no radio model): its
entry becomes vTaskDelay(forever).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from unicorn import (
    UC_ARCH_RISCV,
    UC_HOOK_BLOCK,
    UC_HOOK_CODE,
    UC_HOOK_INTR,
    UC_HOOK_MEM_INVALID,
    UC_MODE_RISCV32,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    Uc,
    UcError,
)
from unicorn import riscv_const as r

from . import partition_table
from .cpu_traps import CAUSES, MCAUSE_ECALL_M, MTIME_HZ, TrapModel
from .elf32 import Elf32
from .nor_flash import NorFlash
from .uart import UART0_BASE, UartCapture
from .watchdog import TIMER_BASE, Watchdog

ROM_BASE, ROM_SIZE = 0x21000000, 0x20000
RAM_BASE, RAM_SIZE = 0x42000000, 0x50000
RAM_ALIAS = 0x22000000
XIP_BASE = 0x23000000
BOOT2_HANDOVER = 0x42049C00
APB_PAGE = 0x4000A000  # UART0 ... TIMER/watchdog
PLAIN_MEMORY = (
    (0x40000000, 0x0000A000),  # GLB, ... up to UART0
    (0x4000B000, 0x00015000),  # the rest of the peripheral blocks
    (0x44000000, 0x01000000),  # Wi-Fi MAC/PHY registers (never served: the Wi-Fi task is parked)
    (0x02000000, 0x00010000),  # CLINT
    (0x02800000, 0x00010000),  # CLIC
)
SLICE = 16_000  # instructions between timer checks: 100 us of CPU time at 160 MHz
WFI = bytes.fromhex("73005010")
ECALL = bytes.fromhex("73000000")
# FreeRTOS vEnvironmentCall codes in a0: portYIELD, and portABORT (what configASSERT calls)
ECALL_YIELD, ECALL_ABORT = 1, 2
PARK_TICKS = 0xFFFFFFFF  # portMAX_DELAY
# FreeRTOS TCB_t: pxTopOfStack, two list items (20 B each), uxPriority, pxStack, then pcTaskName
TCB_NAME = 52

# Reaching one of these means the firmware failed (whichever of them the image links).
FAILURE_FUNCTIONS = (
    "exception_entry",
    "vApplicationStackOverflowHook",
    "__wrap_vApplicationStackOverflowHook",  # the port's own hook (names the task, resets)
    "vApplicationMallocFailedHook",
    "vAssertCalled",
    "__assert_func",
    "assert_err",
    "abort",
    "bl_sys_reset_por",
    "hal_reboot",
    "prvTaskExitError",
)


class BootFailure(RuntimeError):
    pass


@dataclass
class RunStats:
    slices: int = 0  # emulator runs that used their whole instruction budget (SLICE)
    short_slices: int = 0  # runs that ended early, at a wfi or a failure
    wfi: int = 0
    calls: dict[str, int] = field(default_factory=dict)


class Bl602:
    def __init__(self, elf: Elf32, flash: NorFlash, rom: bytes, *, echo: bool = False) -> None:
        self.elf = elf
        self.flash = flash
        self.uart = UartCapture(echo)
        self.wdt = Watchdog()
        self.stats = RunStats()
        self.failure: str | None = None
        self.counted = 0
        self._count_hook: int | None = None
        self._block_len: dict[tuple[int, int], int] = {}
        self.first_idle_slices: int | None = None  # full slices before the CPU first went idle
        uc = self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
        self.traps = TrapModel(uc, elf.addr("freertos_risc_v_trap_handler"))

        if len(rom) != ROM_SIZE:
            raise BootFailure(f"ROM dump is {len(rom)} B, expected {ROM_SIZE}")
        uc.mem_map(ROM_BASE, ROM_SIZE, UC_PROT_READ | UC_PROT_EXEC)
        uc.mem_write(ROM_BASE, rom)
        self._ram = (ctypes.c_uint8 * RAM_SIZE)()
        uc.mem_map_ptr(RAM_BASE, RAM_SIZE, UC_PROT_ALL, ctypes.addressof(self._ram))
        uc.mem_map_ptr(RAM_ALIAS, RAM_SIZE, UC_PROT_ALL, ctypes.addressof(self._ram))
        for base, size in PLAIN_MEMORY:
            uc.mem_map(base, size, UC_PROT_ALL)
        self._apb = bytearray(0x1000)
        uc.mmio_map(APB_PAGE, 0x1000, self._apb_read, None, self._apb_write, None)

        table = partition_table.active_table(flash)
        self.image_offset = table.fw_image_offset()
        xip_size = (flash.size - self.image_offset) & ~0xFFF
        uc.mem_map_ptr(
            XIP_BASE, xip_size, UC_PROT_READ | UC_PROT_EXEC, flash.address_of(self.image_offset)
        )
        self._check_image_matches_elf(xip_size)
        uc.mem_write(BOOT2_HANDOVER, partition_table.boot2_handover(table))
        self._wfi_addrs = self._find_wfi(rom)
        self._wfi_set = frozenset(self._wfi_addrs)

        uc.hook_add(UC_HOOK_INTR, self._on_exception)
        uc.hook_add(UC_HOOK_MEM_INVALID, self._on_bad_access)
        self.hook("bl_flash_init", lambda: 0)
        self.hook("bl_flash_read", self._flash_read)
        self.hook("bl_flash_write", self._flash_write)
        self.hook("bl_flash_erase", self._flash_erase)
        self.wifi_task: Callable[[], None] = self._park  # replaced by a client (http_client.py)
        self.hook("wifi_main", lambda: self.wifi_task())
        for name in FAILURE_FUNCTIONS:
            if name in elf.symbols:
                self.hook(name, self._failed(name))
        uc.reg_write(r.UC_RISCV_REG_PC, elf.entry)
        self.traps.publish_time()

    # ---- loading -------------------------------------------------------------------------------
    def _check_image_matches_elf(self, xip_size: int) -> None:
        """The flash must hold this ELF's image where boot2 maps it (else symbols would lie)."""
        for seg in self.elf.segments:
            # Code and constants run in place; .data is copied to RAM by the start-up code from its
            # load address (paddr) in flash: both must be this ELF's bytes.
            if XIP_BASE <= seg.paddr < XIP_BASE + xip_size and seg.data:
                got = bytes(self.uc.mem_read(seg.paddr, len(seg.data)))
                if got != seg.data:
                    raise BootFailure(
                        f"flash at 0x{self.image_offset:x} does not hold the ELF's segment "
                        f"0x{seg.vaddr:08x} (wrong factory image for this ELF?)"
                    )

    def _find_wfi(self, rom: bytes) -> list[int]:
        """Addresses of every `wfi` in the ROM and the image's code (RVC code is 2-byte aligned;
        a match inside another instruction is harmless: execution never starts there)."""
        code = [(ROM_BASE, rom)]
        code += [(s.vaddr, s.data) for s in self.elf.segments if s.vaddr >> 24 in (0x23, 0x42)]
        out = []
        for base, d in code:
            i = d.find(WFI)
            while i >= 0:
                if i % 2 == 0:
                    out.append(base + i)
                i = d.find(WFI, i + 1)
        return out

    # ---- peripherals ---------------------------------------------------------------------------
    def _apb_read(self, uc: Uc, offset: int, size: int, _ud: object) -> int:
        if UART0_BASE <= APB_PAGE + offset < UART0_BASE + 0x100:
            v = self.uart.read(offset)
            if v is not None:
                return v
        return int.from_bytes(self._apb[offset : offset + size], "little")

    def _apb_write(self, uc: Uc, offset: int, size: int, value: int, _ud: object) -> None:
        self._apb[offset : offset + size] = value.to_bytes(size, "little")
        addr = APB_PAGE + offset
        if UART0_BASE <= addr < UART0_BASE + 0x100:
            self.uart.write(offset, value)
        elif TIMER_BASE <= addr < TIMER_BASE + 0x100:
            self.wdt.write(addr - TIMER_BASE, value, self.traps.now_us)

    # ---- function hooks ------------------------------------------------------------------------
    def hook(self, name: str, fn: Callable[[], int | None]) -> None:
        """Call fn at the entry of function `name`; a value it returns is the function's result."""
        addr = self.elf.addr(name)
        self.stats.calls[name] = 0

        def cb(uc: Uc, address: int, _size: int, _ud: object) -> None:
            self.stats.calls[name] += 1
            ret = fn()
            if ret is not None:  # answered here: return to the caller
                uc.reg_write(r.UC_RISCV_REG_A0, ret & 0xFFFFFFFF)
                uc.reg_write(r.UC_RISCV_REG_PC, uc.reg_read(r.UC_RISCV_REG_RA))

        self.uc.hook_add(UC_HOOK_CODE, cb, None, addr, addr)

    def arg(self, n: int) -> int:
        return self.uc.reg_read(r.UC_RISCV_REG_A0 + n)

    def _flash_read(self) -> int:
        addr, buf, length = self.arg(0), self.arg(1), self.arg(2)
        self.uc.mem_write(buf, self.flash.read(addr, length))
        return 0

    def _flash_write(self) -> int:
        addr, buf, length = self.arg(0), self.arg(1), self.arg(2)
        self.flash.program(addr, bytes(self.uc.mem_read(buf, length)))
        return 0

    def _flash_erase(self) -> int:
        self.flash.erase(self.arg(0), self.arg(1))
        return 0

    def _park(self) -> None:
        """The Wi-Fi firmware task's entry becomes vTaskDelay(portMAX_DELAY)."""
        self.uc.reg_write(r.UC_RISCV_REG_A0, PARK_TICKS)
        self.uc.reg_write(r.UC_RISCV_REG_PC, self.elf.addr("vTaskDelay"))

    def _failed(self, name: str) -> Callable[[], None]:
        def fn() -> None:
            self.fail(f"reached {name} (called from 0x{self.uc.reg_read(r.UC_RISCV_REG_RA):08x})")

        return fn

    def fail(self, why: str) -> None:
        if self.failure is None:
            self.failure = f"{why} at {self.traps.now_us / 1e6:.3f} s in task {self.task_name()}"
        self.uc.emu_stop()

    # ---- traps ---------------------------------------------------------------------------------
    def _on_exception(self, uc: Uc, intno: int, _ud: object) -> None:
        pc = uc.reg_read(r.UC_RISCV_REG_PC)
        cause = (
            MCAUSE_ECALL_M if intno in (8, 11) else intno
        )  # QEMU reports ecall as the U-mode one
        if cause != MCAUSE_ECALL_M:
            self.fail(f"CPU exception {cause} ({CAUSES.get(cause, '?')}) at pc 0x{pc:08x}")
            return
        self.traps.ecalls += 1
        # Unicorn leaves pc after the ecall (4 bytes, no compressed form); mepc is the ecall.
        epc = pc - 4 if bytes(uc.mem_read(pc - 4, 4)) == ECALL else pc
        code = uc.reg_read(r.UC_RISCV_REG_A0)
        if code != ECALL_YIELD:
            what = "configASSERT (portABORT)" if code == ECALL_ABORT else f"ecall {code}"
            self.fail(f"{what} from 0x{uc.reg_read(r.UC_RISCV_REG_RA):08x}")
            return
        if not self.traps.enter(cause, epc):
            self.fail(f"ecall with the trap vector at 0x{self.traps.vector():08x}, not FreeRTOS's")

    def _on_bad_access(
        self, uc: Uc, access: int, address: int, size: int, value: int, _ud: object
    ) -> bool:
        pc = uc.reg_read(r.UC_RISCV_REG_PC)
        self.fail(f"unmapped access type {access} to 0x{address:08x} ({size} B) at pc 0x{pc:08x}")
        return False

    # ---- FreeRTOS view -------------------------------------------------------------------------
    def read_u32(self, addr: int) -> int:
        return int.from_bytes(self.uc.mem_read(addr, 4), "little")

    def task_name(self) -> str:
        try:
            tcb = self.read_u32(self.elf.addr("pxCurrentTCB"))
            if tcb == 0:
                return "(none: before the scheduler)"
            raw = bytes(self.uc.mem_read(tcb + TCB_NAME, 16))
            return raw.split(b"\0")[0].decode("ascii", "replace")
        except UcError:
            return "?"

    # ---- exact instruction counting (slow: only for a sample window) ---------------------------
    def count_instructions(self, on: bool) -> None:
        """While on, `counted` sums the instructions of every executed block."""
        if on and self._count_hook is None:
            self._count_hook = self.uc.hook_add(UC_HOOK_BLOCK, self._on_block)
        elif not on and self._count_hook is not None:
            self.uc.hook_del(self._count_hook)
            self._count_hook = None
        self.uc.ctl_flush_tb()  # hooks are compiled into translated blocks: retranslate

    def _on_block(self, uc: Uc, address: int, size: int, _ud: object) -> None:
        n = self._block_len.get((address, size))
        if n is None:
            code = bytes(uc.mem_read(address, size))
            n = i = 0
            while i < size:  # RV32C: low bits 11 = 4-byte instruction, else 2
                i += 4 if code[i] & 3 == 3 else 2
                n += 1
            self._block_len[(address, size)] = n
        self.counted += n

    # ---- running -------------------------------------------------------------------------------
    def run(self, until_s: float) -> None:
        uc, traps = self.uc, self.traps
        uc.ctl_exits_enabled(True)
        uc.ctl_set_exits(self._wfi_addrs)
        end = int(until_s * MTIME_HZ)
        while traps.mtime < end and self.failure is None:
            traps.publish_time()
            pc = uc.reg_read(r.UC_RISCV_REG_PC)
            try:
                uc.emu_start(pc, 0, count=SLICE)
            except UcError as e:
                if self.failure is None:
                    self.fail(f"emulator stopped: {e} at pc 0x{uc.reg_read(r.UC_RISCV_REG_PC):08x}")
                break
            pc = uc.reg_read(r.UC_RISCV_REG_PC)
            if pc in self._wfi_set:
                self.stats.short_slices += 1
                self.stats.wfi += 1
                if self.first_idle_slices is None:
                    self.first_idle_slices = self.stats.slices
                uc.reg_write(r.UC_RISCV_REG_PC, pc + 4)
                if not traps.wait_for_interrupt():
                    self.fail(
                        f"wfi at 0x{pc:08x} with the timer interrupt off: would sleep forever"
                    )
                    break
            elif self.failure is None:
                self.stats.slices += 1
                traps.advance_instructions(SLICE)
            if not self.wdt.check(traps.now_us):
                self.fail(f"watchdog expired ({self.wdt.timeout_us() / 1e3:.0f} ms without a feed)")
                break
            if not traps.take_timer_if_pending():
                self.fail(
                    f"tick due with the trap vector at 0x{traps.vector():08x}, not FreeRTOS's"
                )


def load(elf_path: Path, flash: NorFlash, rom_path: Path, *, echo: bool = False) -> Bl602:
    return Bl602(Elf32.load(elf_path), flash, rom_path.read_bytes(), echo=echo)
