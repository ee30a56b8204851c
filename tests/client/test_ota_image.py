"""OTA image inspection refuses every bad image docs/ota-image.md lists, before upload."""

from __future__ import annotations

import hashlib

import pytest

from custom_components.openbl602_plug.client import OtaImageError
from custom_components.openbl602_plug.client.ota_image import board_matches, inspect_image
from custom_components.openbl602_plug.client.release import (
    ReleaseImage,
    is_newer,
    parse_release,
    version_key,
)

from ..images import bl60x, obli


def _reason(data: bytes) -> str:
    with pytest.raises(OtaImageError) as err:
        inspect_image(data)
    return err.value.reason


def test_obli_image_reports_board_version_and_hash() -> None:
    image = obli("posix-sim", "1.2.3")
    info = inspect_image(image)
    assert (info.format, info.board, info.version, info.size) == (
        "obli",
        "posix-sim",
        "1.2.3",
        len(image),
    )
    assert not info.signed
    assert info.sha256 == hashlib.sha256(image[: 64 + 1000]).hexdigest()


def test_obli_signature_tlv_marks_the_image_signed() -> None:
    image = bytearray(obli())
    # append a signature TLV and fix the trailer size
    trailer_at = 64 + 1000
    image += bytes([0x22, 0, 64, 0]) + b"\x01" * 64
    size = int.from_bytes(image[trailer_at + 2 : trailer_at + 4], "little") + 68
    image[trailer_at + 2 : trailer_at + 4] = size.to_bytes(2, "little")
    assert inspect_image(bytes(image)).signed


def test_obli_corrupt_payload_is_a_hash_mismatch() -> None:
    image = bytearray(obli())
    image[100] ^= 0xFF
    assert _reason(bytes(image)) == "hash_mismatch"


def test_obli_truncated_and_oversized_images() -> None:
    image = obli()
    assert _reason(image[:-1]) == "truncated"
    assert _reason(image[:40]) == "truncated"
    assert _reason(image[: 64 + 500]) == "truncated"
    assert _reason(image + b"\x00") == "size_mismatch"
    assert _reason(b"OB") == "truncated"


@pytest.mark.parametrize(
    ("offset", "value"),
    [(4, 65), (6, 2), (12, 1), (64 + 1000, 0)],
    ids=["header_size", "format_version", "flags", "trailer_magic"],
)
def test_obli_bad_header_fields(offset: int, value: int) -> None:
    image = bytearray(obli())
    image[offset] = value
    assert _reason(bytes(image)) == "bad_header"


def test_obli_without_hash_tlv_is_refused() -> None:
    image = bytearray(obli())
    trailer_at = 64 + 1000
    image[trailer_at + 4] = 0x30  # the hash TLV becomes an unknown type, which is skipped
    assert _reason(bytes(image)) == "bad_header"


def test_obli_tlv_running_past_the_trailer_is_refused() -> None:
    image = bytearray(obli())
    trailer_at = 64 + 1000
    image[trailer_at + 6] = 40  # TLV length 40 > the 32 bytes left
    assert _reason(bytes(image)) == "bad_header"


def test_bl60x_container_checks() -> None:
    image = bl60x()
    info = inspect_image(image)
    assert (info.format, info.board, info.version) == ("bl60x", "BL602", "1.18.0")
    assert _reason(image[:-1]) == "truncated"
    assert _reason(image[:100]) == "truncated"
    assert _reason(image + b"\x00") == "size_mismatch"
    broken = bytearray(image)
    broken[600] ^= 1
    assert _reason(bytes(broken)) == "hash_mismatch"
    assert _reason(bl60x(kind=b"LZMA")) == "bad_header"
    assert _reason(bl60x(body=b"not xz at all")) == "bad_header"
    assert inspect_image(bl60x(body=b"raw firmware", kind=b"RAW ")).format == "bl60x"


def test_unknown_container_is_bad_magic() -> None:
    assert _reason(b"\x7fELF" + b"\x00" * 100) == "bad_magic"


def test_board_ids_compare_as_people_write_them() -> None:
    assert board_matches("sm-028-v1.3", "SM-028_V1.3")
    assert not board_matches("posix-sim", "SM-028_V1.3")


def test_release_manifest_selects_the_board_image_and_verifies_downloads() -> None:
    image = obli()
    release = parse_release(
        {
            "version": "0.2.0",
            "release_notes": "notes",
            "images": [
                {
                    "board": "posix-sim",
                    "url": "sim.obli",
                    "sha256": hashlib.sha256(image).hexdigest(),
                    "size": len(image),
                }
            ],
        }
    )
    chosen = release.image_for("POSIX_SIM")
    assert chosen is not None
    chosen.verify(image)
    assert release.image_for("sm-028-v1.3") is None
    with pytest.raises(OtaImageError, match="size_mismatch"):
        chosen.verify(image + b"x")
    with pytest.raises(OtaImageError, match="hash_mismatch"):
        ReleaseImage("b", "u", "0" * 64, None).verify(image)


@pytest.mark.parametrize(
    "manifest",
    [
        {"version": "latest", "images": []},
        {"version": "1.0.0"},
        {"version": "1.0.0", "images": ["x"]},
        {"version": "1.0.0", "images": [{"board": "b"}]},
        {"version": "1.0.0", "images": [{"board": "b", "url": "u", "sha256": "zz"}]},
        {"version": "1.0.0", "images": [{"board": "b", "url": "u", "size": True}]},
    ],
)
def test_release_manifest_rejects_malformed_documents(manifest: dict) -> None:
    from custom_components.openbl602_plug.client import BadPayload

    with pytest.raises(BadPayload):
        parse_release(manifest)


def test_semver_ordering() -> None:
    assert is_newer("0.2.0", "0.1.9")
    assert is_newer("1.0.0", "1.0.0-rc.1")
    assert not is_newer("0.1.0", "0.1.0")
    assert version_key("v1.2.3") == version_key("1.2.3")
    from custom_components.openbl602_plug.client import BadPayload

    with pytest.raises(BadPayload):
        version_key("one")
