"""Firmware release manifest: which version is current and where each board's image lives.

A release publishes one JSON manifest (a URL, or a local file for people without internet):

    {"version": "0.2.0",
     "release_notes": "markdown text",            (optional)
     "release_url": "https://...",                  (optional)
     "images": [{"board": "sm-028-v1.3", "url": "openbl602-0.2.0-sm028.obli",
                 "sha256": "<hex>", "size": 524288, "rollback": true}]}

An image "url" may be relative to the manifest's own location.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .exceptions import BadPayload, OtaImageError
from .ota_image import board_matches

_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ReleaseImage:
    """One board's image in a release."""

    board: str
    url: str
    sha256: str | None
    size: int | None
    # Whether the plug can go back to its old image if this one fails; None: the manifest is silent
    rollback: bool | None = None

    def verify(self, data: bytes) -> None:
        """Raise OtaImageError when the download is not the published file."""
        if self.size is not None and len(data) != self.size:
            raise OtaImageError("size_mismatch", f"{len(data)} bytes, manifest says {self.size}")
        if self.sha256 is not None and hashlib.sha256(data).hexdigest() != self.sha256:
            raise OtaImageError("hash_mismatch", "download differs from the manifest's SHA-256")


@dataclass(frozen=True, slots=True)
class Release:
    """A firmware release."""

    version: str
    release_notes: str | None
    release_url: str | None
    images: tuple[ReleaseImage, ...]

    def image_for(self, board: str) -> ReleaseImage | None:
        """The image built for this board, if the release has one."""
        return next((img for img in self.images if board_matches(img.board, board)), None)


def parse_release(obj: Mapping[str, Any]) -> Release:
    """Parse a release manifest."""
    version = obj.get("version")
    if not isinstance(version, str) or not _SEMVER.fullmatch(version):
        raise BadPayload("manifest 'version' must be a semver string")
    images_raw = obj.get("images")
    if not isinstance(images_raw, list):
        raise BadPayload("manifest 'images' must be a list")
    images = []
    for item in images_raw:
        if not isinstance(item, Mapping):
            raise BadPayload("manifest image must be an object")
        board, url = item.get("board"), item.get("url")
        if not isinstance(board, str) or not isinstance(url, str) or not board or not url:
            raise BadPayload("manifest image needs 'board' and 'url'")
        sha = item.get("sha256")
        if sha is not None and (not isinstance(sha, str) or not _SHA256.fullmatch(sha.lower())):
            raise BadPayload("manifest image 'sha256' must be 64 hex digits")
        size = item.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise BadPayload("manifest image 'size' must be a positive integer")
        rollback = item.get("rollback")
        if rollback is not None and not isinstance(rollback, bool):
            raise BadPayload("manifest image 'rollback' must be true or false")
        images.append(ReleaseImage(board, url, sha.lower() if sha else None, size, rollback))
    notes, link = obj.get("release_notes"), obj.get("release_url")
    return Release(
        version=version,
        release_notes=notes if isinstance(notes, str) else None,
        release_url=link if isinstance(link, str) else None,
        images=tuple(images),
    )


def version_key(version: str) -> tuple[int, int, int, int, tuple[str, ...]]:
    """Sort key for semver: a pre-release sorts before its release."""
    match = _SEMVER.fullmatch(version.strip())
    if match is None:
        raise BadPayload(f"not a semver version: {version!r}")
    major, minor, patch, pre = match.groups()
    return (int(major), int(minor), int(patch), 0 if pre else 1, tuple((pre or "").split(".")))


def is_newer(candidate: str, installed: str) -> bool:
    """True when candidate is a later version than installed."""
    return version_key(candidate) > version_key(installed)
