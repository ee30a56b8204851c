"""Builds OTA images byte by byte from docs/ota-image.md, independent of the code under test."""

from __future__ import annotations

import hashlib
import struct


def obli(
    board: str = "posix-sim", version: str = "0.2.0", payload: bytes = b"\x13" * 1000
) -> bytes:
    """An OBLI envelope with its SHA-256 TLV."""
    header = struct.pack(
        "<4sHHII16s16s16s",
        b"OBLI",
        64,
        1,
        len(payload),
        0,
        board.encode(),
        version.encode(),
        b"",
    )
    digest = hashlib.sha256(header + payload).digest()
    tlv = struct.pack("<BBH", 0x10, 0, 32) + digest
    trailer = struct.pack("<HH", 0x6907, 4 + len(tlv)) + tlv
    return header + payload + trailer


def bl60x(
    body: bytes = b"\xfd7zXZ\x00" + b"\x01" * 300, kind: bytes = b"XZ  ", hw: str = "BL602"
) -> bytes:
    """A vendor BL60X_OTA_Ver1.0 container; hw_version names the OTA board."""
    head = b"BL60X_OTA_Ver1.0" + kind + struct.pack("<I", len(body)) + bytes(range(1, 9))
    head += hw.encode().ljust(16, b"\x00") + b"1.18.0".ljust(16, b"\x00")
    head += hashlib.sha256(body).digest() + b"\xff" * 4 + b"\xff" * 28
    head = head.ljust(512, b"\xff")
    assert len(head) == 512
    return head + body
