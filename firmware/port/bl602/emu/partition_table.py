"""boot2's partition table in flash and the hand-over boot2 leaves in RAM.

Format (Bouffalo PtTable): a 16 B header {magic "BFPT", version u16, entry count u16, age u32,
CRC-32 of the first 12 bytes}, then 36 B entries {type, device, activeIndex u8, name[9],
address[2], maxLen[2], len, age u32} and a CRC-32 of the entries. Two copies (0xE000, 0xF000);
boot2 uses the valid one with the higher age and boots the FW entry's active slot, its image mapped
at 0x23000000 after the slot's 4 KiB boot header.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .nor_flash import NorFlash

TABLE_ADDRS = (0xE000, 0xF000)
MAGIC = 0x54504642  # "BFPT"
HEADER = 16
ENTRY = 36
MAX_ENTRIES = 16
BOOT_HEADER = 0x1000  # Bouffalo boot header in front of each FW slot's image
FW_TYPE = 0


class TableError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    type: int
    name: str
    active: int
    address: tuple[int, int]
    max_len: tuple[int, int]


@dataclass(frozen=True)
class Table:
    index: int  # which copy (0 = 0xE000, 1 = 0xF000)
    age: int
    raw: bytes  # header + entries + CRC, as stored
    entries: tuple[Entry, ...]

    def find(self, name: str) -> Entry:
        for e in self.entries:
            if e.name == name:
                return e
        raise TableError(f"no partition {name!r}")

    def fw_image_offset(self) -> int:
        """Flash offset of the running image's first byte (what boot2 maps at 0x23000000)."""
        fw = next((e for e in self.entries if e.type == FW_TYPE), None)
        if fw is None:
            raise TableError("no FW entry")
        if fw.active not in (0, 1):
            raise TableError(f"FW activeIndex {fw.active}")
        return fw.address[fw.active] + BOOT_HEADER


def parse(raw: bytes, index: int) -> Table | None:
    """A table copy, or None where boot2 would reject it."""
    magic, _version, count, age, crc = struct.unpack_from("<IHHII", raw, 0)
    if magic != MAGIC or count > MAX_ENTRIES or zlib.crc32(raw[:12]) != crc:
        return None
    body = raw[HEADER : HEADER + count * ENTRY]
    (body_crc,) = struct.unpack_from("<I", raw, HEADER + count * ENTRY)
    if zlib.crc32(body) != body_crc:
        return None
    entries = []
    for i in range(count):
        t, _dev, active, name, a0, a1, m0, m1, _len, _age = struct.unpack_from(
            "<BBB9sIIIIII", body, i * ENTRY
        )
        entries.append(
            Entry(t, name.split(b"\0")[0].decode("ascii", "replace"), active, (a0, a1), (m0, m1))
        )
    return Table(index, age, raw[: HEADER + count * ENTRY + 4], tuple(entries))


def active_table(flash: NorFlash) -> Table:
    """The copy boot2 would use: valid, and the higher age when both are."""
    size = HEADER + MAX_ENTRIES * ENTRY + 4
    tables = [parse(flash.dump(a, size), i) for i, a in enumerate(TABLE_ADDRS)]
    valid = [t for t in tables if t is not None]
    if not valid:
        raise TableError("no valid partition table at 0xE000 or 0xF000")
    return max(valid, key=lambda t: (t.age, -t.index))


def boot2_handover(table: Table) -> bytes:
    """What boot2 leaves at 0x42049C00: the active copy's index (u8 + 3 pad), then the table."""
    return struct.pack("<I", table.index) + table.raw
