"""2 MiB SPI NOR flash as the firmware sees it through bl_flash_read/write/erase.

NOR semantics: programming can only clear bits (new = old AND data), erase sets a whole 4 KiB
sector to 0xFF. The bytes live in one ctypes buffer so the emulator can also map them as the XIP
window: code and constants the CPU fetches are the same bytes the driver programs.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

FLASH_SIZE = 2 * 1024 * 1024
SECTOR = 4096


class FlashError(ValueError):
    pass


class NorFlash:
    def __init__(self, image: bytes = b"", size: int = FLASH_SIZE) -> None:
        if len(image) > size:
            raise FlashError(f"image of {len(image)} B does not fit {size} B of flash")
        self.size = size
        self.buf = (ctypes.c_uint8 * size).from_buffer(bytearray(b"\xff" * size))
        ctypes.memmove(self.buf, image, len(image))
        self.reads = 0
        self.writes = 0  # program calls
        self.erases = 0  # sector erases
        self.written: set[int] = set()  # sectors programmed or erased since power-up

    @classmethod
    def from_file(cls, path: Path) -> NorFlash:
        return cls(path.read_bytes())

    def copy(self) -> NorFlash:
        """The same chip after a power cycle: contents kept, counters cleared."""
        return type(self)(self.dump())

    def dump(self, addr: int = 0, length: int | None = None) -> bytes:
        length = self.size - addr if length is None else length
        self._check(addr, length)
        return ctypes.string_at(ctypes.addressof(self.buf) + addr, length)

    def address_of(self, addr: int) -> int:
        """Host address of flash byte `addr` (for mapping the XIP window)."""
        self._check(addr, 0)
        return ctypes.addressof(self.buf) + addr

    def _check(self, addr: int, length: int) -> None:
        if addr < 0 or length < 0 or addr + length > self.size:
            raise FlashError(f"flash access 0x{addr:06x}+{length} outside {self.size} B")

    def read(self, addr: int, length: int) -> bytes:
        self._check(addr, length)
        self.reads += 1
        return self.dump(addr, length)

    def program(self, addr: int, data: bytes) -> None:
        self._check(addr, len(data))
        self.writes += 1
        for i, b in enumerate(data):
            self.buf[addr + i] &= b
        self.written.update(range(addr // SECTOR, (addr + max(len(data), 1) - 1) // SECTOR + 1))

    def erase(self, addr: int, length: int) -> None:
        """Erases every sector that [addr, addr+length) touches, as the SDK's driver does."""
        self._check(addr, length)
        first = addr // SECTOR
        last = (addr + max(length, 1) - 1) // SECTOR
        for s in range(first, last + 1):
            ctypes.memset(ctypes.addressof(self.buf) + s * SECTOR, 0xFF, SECTOR)
            self.erases += 1
            self.written.add(s)
