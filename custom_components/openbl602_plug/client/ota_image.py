"""Firmware image inspection (docs/ota-image.md): refuse a bad image before a byte is uploaded.

The plug checks every image again itself; checking here first gives the user a clear error
without a failed OTA on the plug, and keeps a wrong-board image off the network entirely.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Literal

from .exceptions import OtaImageError

OBLI_MAGIC = b"OBLI"
OBLI_HEADER_SIZE = 64
OBLI_TRAILER_MAGIC = 0x6907
TLV_SHA256 = 0x10
TLV_SIGNATURE = 0x22
BL60X_MAGIC = b"BL60X_OTA_Ver1.0"
BL60X_HEADER_SIZE = 512
XZ_MAGIC = b"\xfd7zXZ\x00"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What an image says about itself."""

    format: Literal["obli", "bl60x"]
    size: int
    board: str | None
    version: str | None
    signed: bool
    sha256: str
    # False for a BL60X XZ body, which boot2 unpacks over the running image (ota-image.md §2)
    rollback: bool = True


def _cstr(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("ascii", "replace")


def board_matches(image_board: str, plug_board: str) -> bool:
    """Compare board ids the way people write them (case, '_' vs '-' differ between docs)."""

    def norm(board: str) -> str:
        return board.strip().casefold().replace("_", "-")

    return norm(image_board) == norm(plug_board)


def inspect_image(data: bytes) -> ImageInfo:
    """Parse and verify an image's container; raises OtaImageError with the plug's error codes."""
    if data.startswith(OBLI_MAGIC):
        return _inspect_obli(data)
    if data.startswith(BL60X_MAGIC):
        return _inspect_bl60x(data)
    if len(data) < len(BL60X_MAGIC) and (
        OBLI_MAGIC.startswith(data) or BL60X_MAGIC.startswith(data)
    ):
        raise OtaImageError("truncated", f"{len(data)} bytes")
    raise OtaImageError("bad_magic", "neither an OBLI nor a BL60X_OTA_Ver1.0 image")


def _inspect_obli(data: bytes) -> ImageInfo:
    if len(data) < OBLI_HEADER_SIZE:
        raise OtaImageError("truncated", "shorter than the 64-byte header")
    header_size, fmt, payload_size, flags = struct.unpack_from("<HHII", data, 4)
    if header_size != OBLI_HEADER_SIZE or fmt != 1 or payload_size < 1:
        raise OtaImageError("bad_header", f"header_size {header_size}, format {fmt}")
    if flags != 0:
        raise OtaImageError("bad_header", f"unknown flags {flags:#x}")
    board = _cstr(data[16:32])
    version = _cstr(data[32:48])
    trailer_at = OBLI_HEADER_SIZE + payload_size
    if len(data) < trailer_at + 4:
        raise OtaImageError("truncated", f"{len(data)} bytes, payload needs {trailer_at + 4}")
    magic, trailer_size = struct.unpack_from("<HH", data, trailer_at)
    if magic != OBLI_TRAILER_MAGIC or not 4 <= trailer_size <= 256:
        raise OtaImageError("bad_header", "bad trailer")
    total = trailer_at + trailer_size
    if len(data) < total:
        raise OtaImageError("truncated", f"{len(data)} of {total} bytes")
    if len(data) > total:
        raise OtaImageError("size_mismatch", f"{len(data) - total} bytes after the trailer")
    digest: bytes | None = None
    signed = False
    pos = trailer_at + 4
    while pos < total:
        if pos + 4 > total:
            raise OtaImageError("bad_header", "TLV header past the trailer")
        kind, _reserved, length = struct.unpack_from("<BBH", data, pos)
        value = data[pos + 4 : pos + 4 + length]
        if len(value) != length or pos + 4 + length > total:
            raise OtaImageError("bad_header", "TLV value past the trailer")
        if kind == TLV_SHA256 and length == 32:
            digest = value
        elif kind == TLV_SIGNATURE and length == 64:
            signed = True
        pos += 4 + length
    if digest is None:
        raise OtaImageError("bad_header", "no SHA-256 entry")
    actual = hashlib.sha256(data[:trailer_at]).digest()
    if actual != digest:
        raise OtaImageError("hash_mismatch", "SHA-256 of header and payload differs")
    return ImageInfo("obli", len(data), board or None, version or None, signed, actual.hex())


def _inspect_bl60x(data: bytes) -> ImageInfo:
    if len(data) < BL60X_HEADER_SIZE:
        raise OtaImageError("truncated", "shorter than the 512-byte header")
    kind = data[16:20]
    if kind not in (b"XZ  ", b"RAW "):
        raise OtaImageError("bad_header", f"unknown body type {kind!r}")
    (body_length,) = struct.unpack_from("<I", data, 20)
    total = BL60X_HEADER_SIZE + body_length
    if len(data) < total:
        raise OtaImageError("truncated", f"{len(data)} of {total} bytes")
    if len(data) > total:
        raise OtaImageError("size_mismatch", f"{len(data) - total} bytes after the body")
    body = data[BL60X_HEADER_SIZE:]
    if kind == b"XZ  " and not body.startswith(XZ_MAGIC):
        raise OtaImageError("bad_header", "XZ body without the XZ stream magic")
    digest = hashlib.sha256(body).digest()
    if digest != data[64:96]:
        raise OtaImageError("hash_mismatch", "SHA-256 of the body differs")
    hw_version = _cstr(data[32:48]).strip("\xff")
    sw_version = _cstr(data[48:64]).strip("\xff")
    return ImageInfo(
        "bl60x",
        len(data),
        hw_version or None,
        sw_version or None,
        data[128:132] == b"OBLS",
        digest.hex(),
        rollback=kind == b"RAW ",
    )
