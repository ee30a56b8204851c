"""FreeRTOS memory as the running image left it: heap low-water mark, deepest stack use per task.

Tasks are recorded as FreeRTOS creates them (prvAddNewTaskToReadyList gets the new TCB) and their
stack measured on deletion and at the end: FreeRTOS fills every new stack with 0xa5 (the image
checks stack overflow, method 2), so the untouched bytes from the low end are what the task never
used. The interrupt stack (the 2 KiB start-up stack, which FreeRTOS's trap handler switches to) is
filled the same way when the first task starts: the start-up code's frames on it are dead by then,
so what is touched afterwards is the interrupt handlers' use. Stack sizes: a static stack is an ELF
symbol (its size is in the symbol table); a dynamic one is a heap_5 block, whose header just before
it holds the block size.
"""

from __future__ import annotations

from dataclasses import dataclass

from .machine import TCB_NAME, Bl602

TCB_STACK = 48  # TCB_t.pxStack (after pxTopOfStack, xStateListItem, xEventListItem, uxPriority)
FILL = 0xA5
HEAP_BLOCK_HEADER = 8  # heap_5 BlockLink_t {next, size}; size has the top bit set while allocated
HEAP_ALLOCATED = 0x80000000
ISR_STACK = "(interrupts)"


@dataclass
class TaskStack:
    name: str
    base: int
    size: int
    used: int | None = None  # bytes ever used, measured at deletion or at the end
    deleted: bool = False

    @property
    def margin(self) -> float:
        return 1.0 - (self.used or 0) / self.size


class FreeRtosStats:
    def __init__(self, m: Bl602) -> None:
        self.m = m
        self.tasks: dict[int, TaskStack] = {}  # by TCB address
        m.hook("prvAddNewTaskToReadyList", self._created)
        m.hook("vTaskDelete", self._deleted)
        m.hook("xPortStartFirstTask", self._scheduler_starts)

    def _scheduler_starts(self) -> None:
        top = self.m.elf.addr("__freertos_irq_stack_top")
        size = self.m.elf.addr("__stack_size")
        self.m.uc.mem_write(top - size, bytes([FILL]) * size)
        self.tasks[0] = TaskStack(ISR_STACK, top - size, size)

    def _created(self) -> None:
        tcb = self.m.arg(0)
        base = self.m.read_u32(tcb + TCB_STACK)
        name = (
            bytes(self.m.uc.mem_read(tcb + TCB_NAME, 16)).split(b"\0")[0].decode("ascii", "replace")
        )
        self.tasks[tcb] = TaskStack(name, base, self._stack_size(base))

    def _deleted(self) -> None:
        handle = self.m.arg(0) or self.m.read_u32(self.m.elf.addr("pxCurrentTCB"))
        t = self.tasks.get(handle)
        if t is not None and not t.deleted:
            t.used = self._used(t)  # before the idle task frees the stack
            t.deleted = True

    def _stack_size(self, base: int) -> int:
        for s in self.m.elf.symbols.values():
            if s.size and s.value <= base < s.value + s.size:
                return s.value + s.size - base
        header = self.m.read_u32(base - HEAP_BLOCK_HEADER + 4)
        if header & HEAP_ALLOCATED:
            return (header & ~HEAP_ALLOCATED) - HEAP_BLOCK_HEADER
        raise ValueError(f"stack at 0x{base:08x}: neither a static buffer nor a heap block")

    def _used(self, t: TaskStack) -> int:
        data = bytes(self.m.uc.mem_read(t.base, t.size))
        untouched = len(data) - len(data.lstrip(bytes([FILL])))
        return t.size - untouched

    def stacks(self) -> list[TaskStack]:
        for t in self.tasks.values():
            if not t.deleted:
                t.used = self._used(t)
        return sorted(self.tasks.values(), key=lambda t: t.name)

    def task(self, name: str) -> TaskStack:
        found = [t for t in self.stacks() if t.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} tasks named {name!r}")
        return found[0]

    def heap(self) -> tuple[int, int, int]:
        """(total, free now, minimum ever free) of the FreeRTOS heap (heap_5: both regions)."""
        elf = self.m.elf
        total = elf.addr("_heap_size") + elf.addr("_heap_wifi_size")
        free = self.m.read_u32(elf.addr("xFreeBytesRemaining"))
        low = self.m.read_u32(elf.addr("xMinimumEverFreeBytesRemaining"))
        return total, free, low
