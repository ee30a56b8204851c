"""The release manifest obl_image.py writes is what the client reads (docs/ota-image.md §6)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from custom_components.openbl602_plug.client.release import parse_release

from ..images import obli

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("obl_image", ROOT / "firmware/tools/obl_image.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["obl_image"] = module
    spec.loader.exec_module(module)
    return module


tool = _tool()


def _bl602_image(version: str) -> bytes:
    body = b"\xfd7zXZ\x00" + bytes(range(256)) * 4
    result: bytes = tool.build_bl60x(body, "sm-028-v1.3", version, unpacked_len=4096)
    return result


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    files = {
        "sm-028-v1.3": tmp_path / "fw-0.3.0-sm028.ota",
        "posix-sim": tmp_path / "fw-0.3.0-posix-sim.obli",
    }
    files["sm-028-v1.3"].write_bytes(_bl602_image("0.3.0"))
    files["posix-sim"].write_bytes(obli("posix-sim", "0.3.0"))
    return files


def test_cli_manifest_parses_with_the_client(images: dict[str, Path], tmp_path: Path) -> None:
    notes = tmp_path / "NOTES.md"
    notes.write_text("# 0.3.0\nfixes\n", encoding="utf-8")
    out = tmp_path / "manifest.json"
    argv = ["manifest", "--version", "0.3.0", "--notes", str(notes), "--out", str(out)]
    argv += ["--release-url", "https://example.org/r/0.3.0"]
    for board, path in images.items():
        argv += ["--image", f"{board}={path}"]
    assert tool.main(argv) == 0

    release = parse_release(json.loads(out.read_text(encoding="utf-8")))
    assert release.version == "0.3.0"
    assert release.release_notes == "# 0.3.0\nfixes\n"
    assert release.release_url == "https://example.org/r/0.3.0"
    for board, path in images.items():
        ref = release.image_for(board)
        assert ref is not None
        assert ref.url == path.name  # relative to the manifest
        assert ref.size == path.stat().st_size
        assert ref.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        ref.verify(path.read_bytes())
    # another spelling of the board still matches; an unknown board gets no image
    assert release.image_for("SM_028_V1.3") is not None
    assert release.image_for("other-board") is None


@pytest.mark.parametrize(
    ("version", "board", "problem"),
    [
        ("0.3.1", "posix-sim", "image version '0.3.0', release '0.3.1'"),
        ("0.3.0", "sm-028-v1.3", "OBLI board 'posix-sim', listed as 'sm-028-v1.3'"),
        ("three", "posix-sim", "not a semver version"),
    ],
)
def test_manifest_refuses_an_image_that_does_not_belong(
    images: dict[str, Path], version: str, board: str, problem: str
) -> None:
    with pytest.raises(tool.ImageError, match=problem.replace(".", r"\.")):
        tool.build_manifest(version, [(board, images["posix-sim"])])


def test_manifest_refuses_a_corrupt_image_and_a_board_listed_twice(
    images: dict[str, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.obli"
    data = bytearray(images["posix-sim"].read_bytes())
    data[70] ^= 1  # a payload byte: the SHA-256 TLV no longer matches
    bad.write_bytes(bytes(data))
    with pytest.raises(tool.ImageError, match="SHA-256 mismatch"):
        tool.build_manifest("0.3.0", [("posix-sim", bad)])
    twice = [("posix-sim", images["posix-sim"]), ("POSIX_SIM", images["posix-sim"])]
    with pytest.raises(tool.ImageError, match="listed twice"):
        tool.build_manifest("0.3.0", twice)
    with pytest.raises(tool.ImageError, match="at least one image"):
        tool.build_manifest("0.3.0", [])
