"""Counts sector erases of the settings store in a simulated plug's flash file.

The record store erases a sector only to compact into it, and then writes that sector's header with
a
sequence number one higher than the last (docs/storage.md); the highest valid sequence number
therefore
counts the erases since the store was created."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SECTOR = 4096
SETTINGS_SECTORS = 8
MAGIC_OFFSET = 0


def store_seq(flash: Path) -> int:
    data = flash.read_bytes()[: SECTOR * SETTINGS_SECTORS]
    best = 0
    for i in range(SETTINGS_SECTORS):
        h = data[i * SECTOR : i * SECTOR + 16]
        if len(h) < 16 or h[:4] == b"\xff\xff\xff\xff":
            continue
        seq = struct.unpack_from("<I", h, 8)[0]
        crc = struct.unpack_from("<I", h, 12)[0]
        if zlib.crc32(h[:12]) == crc:
            best = max(best, seq)
    return best
