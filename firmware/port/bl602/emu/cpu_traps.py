"""Machine-mode traps and the FreeRTOS tick, the way the BL602 core (E24, CLIC) delivers them.

Unicorn reports an exception to a hook instead of taking it, and knows nothing of the CLINT timer
or the CLIC, so both are done here: set mepc/mcause/mstatus as the hardware would and jump to the
trap handler FreeRTOS installs (freertos_risc_v_trap_handler). Its `mret` then runs in the emulator
as usual. Time is the CLINT's mtime (10 MHz): it advances with executed instructions (CPU_HZ), and
jumps to the next timer compare when the CPU waits in `wfi` (the idle task), which is what makes
20 s cheap.
"""

from __future__ import annotations

from unicorn import Uc
from unicorn import riscv_const as r

CLINT_MTIMECMP = 0x02004000
CLINT_MTIME = 0x0200BFF8
CLIC_TIMER_IE = 0x02800407  # clicintie[7]: machine timer interrupt enable
MTIME_HZ = 10_000_000
CPU_HZ = 160_000_000
SLICE_MTIME = 1000  # 100 us: the least a wfi waits

MCAUSE_TIMER = 0x80000007
MCAUSE_ECALL_M = 11
MSTATUS_MIE = 1 << 3
MSTATUS_MPIE = 1 << 7
MSTATUS_MPP = 3 << 11

CAUSES = {
    0: "instruction address misaligned",
    1: "instruction access fault",
    2: "illegal instruction",
    3: "breakpoint",
    4: "load address misaligned",
    5: "load access fault",
    6: "store address misaligned",
    7: "store access fault",
    8: "ecall from U-mode",
    11: "ecall from M-mode",
}


class TrapModel:
    def __init__(self, uc: Uc, handler: int) -> None:
        self.uc = uc
        self.handler = handler
        self.mtime = 0
        self.ticks = 0  # timer interrupts delivered
        self.ecalls = 0

    @property
    def now_us(self) -> float:
        return self.mtime / (MTIME_HZ / 1e6)

    def publish_time(self) -> None:
        self.uc.mem_write(CLINT_MTIME, self.mtime.to_bytes(8, "little"))

    def advance_instructions(self, count: int) -> None:
        self.mtime += count * MTIME_HZ // CPU_HZ

    def mtimecmp(self) -> int:
        return int.from_bytes(self.uc.mem_read(CLINT_MTIMECMP, 8), "little")

    def timer_enabled(self) -> bool:
        return self.uc.mem_read(CLIC_TIMER_IE, 1)[0] != 0

    def interrupts_on(self) -> bool:
        return bool(self.uc.reg_read(r.UC_RISCV_REG_MSTATUS) & MSTATUS_MIE)

    def vector(self) -> int:
        """Where the hardware jumps: mtvec's base (in CLIC mode the low 6 bits are not address)."""
        return self.uc.reg_read(r.UC_RISCV_REG_MTVEC) & ~0x3F

    def enter(self, cause: int, epc: int) -> bool:
        """Trap entry: MPIE <- MIE, MIE <- 0, MPP <- M, mepc, mcause, pc <- handler.

        False (and nothing done) when mtvec does not point at FreeRTOS's handler: the image set up
        another trap entry, which this model does not follow."""
        uc = self.uc
        if self.vector() != self.handler:
            return False
        st = uc.reg_read(r.UC_RISCV_REG_MSTATUS)
        mpie = MSTATUS_MPIE if st & MSTATUS_MIE else 0
        st = (st & ~(MSTATUS_MIE | MSTATUS_MPIE)) | mpie | MSTATUS_MPP
        uc.reg_write(r.UC_RISCV_REG_MSTATUS, st)
        uc.reg_write(r.UC_RISCV_REG_MEPC, epc)
        uc.reg_write(r.UC_RISCV_REG_MCAUSE, cause)
        uc.reg_write(r.UC_RISCV_REG_PC, self.handler)
        return True

    def timer_pending(self) -> bool:
        return self.timer_enabled() and self.mtime >= self.mtimecmp()

    def take_timer_if_pending(self) -> bool:
        """Delivers a due tick if interrupts are on. False if it was due and could not be taken."""
        if self.timer_pending() and self.interrupts_on():
            if not self.enter(MCAUSE_TIMER, self.uc.reg_read(r.UC_RISCV_REG_PC)):
                return False
            self.ticks += 1
        return True

    def wait_for_interrupt(self) -> bool:
        """`wfi` with only the timer to wake it: jump to its compare. False if it never fires."""
        if not self.timer_enabled():
            return False
        cmp = self.mtimecmp()
        # Already due but masked (wfi with interrupts off wakes and goes on): let time pass anyway,
        # so a loop around such a wfi still ends in the watchdog instead of stopping the clock.
        self.mtime = cmp if cmp > self.mtime else self.mtime + SLICE_MTIME
        return True
