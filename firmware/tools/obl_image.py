#!/usr/bin/env python3
"""Build, sign and inspect openbl602_plug OTA images (byte formats: docs/ota-image.md).

    obl_image.py keygen  --out ota-key.pem      # prints the public key for the plug's config
    obl_image.py pubkey  --key ota-key.pem
    obl_image.py build   --board posix-sim --version 1.2.3 --payload fw.bin --out fw.obli [--key K]
    obl_image.py bl60x   --body FW_OTA.bin.xz --hw BL602 --sw 1.2.3 --out fw.bin.xz.ota [--key K]
    obl_image.py inspect fw.obli [--pubkey HEX]        # exit 1 if the hash or signature is bad
    obl_image.py manifest --version 1.2.3 --image sm-028-v1.3=fw.ota --image posix-sim=sim.obli \
                 [--notes NOTES.md] [--release-url URL] --out manifest.json

Signatures are ECDSA P-256 over the SHA-256 digest the plug checks, stored as r||s (64 bytes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

OBLI_MAGIC = b"OBLI"
OBLI_HEADER_SIZE = 64
OBLI_FORMAT = 1
TRAILER_MAGIC = 0x6907
TRAILER_MAX = 256
TLV_SHA256 = 0x10
TLV_ECDSA_P256 = 0x22

BL60X_MAGIC = b"BL60X_OTA_Ver1.0"
BL60X_HEADER_SIZE = 512
BL60X_SIGNED_SPAN = 128
BL60X_SIG_MAGIC = b"OBLS"
XZ_MAGIC = bytes([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
UNKNOWN_LENGTH = 0xFFFFFFFF
SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")


class ImageError(Exception):
    """The file is not a valid image."""


def _text(value: str, size: int = 16) -> bytes:
    raw = value.encode("ascii")
    if len(raw) > size or any(b < 0x20 or b > 0x7E for b in raw):
        raise ImageError(f"{value!r}: up to {size} printable ASCII characters")
    return raw.ljust(size, b"\0")


def _untext(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].split(b"\xff", 1)[0].decode("ascii", "replace")


def sign_digest(key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    der = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_digest(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
    except ValueError:
        return False
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return False
    return True


def public_key_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ImageError(f"{path}: not a P-256 private key")
    return key


def build_obli(
    payload: bytes,
    board: str,
    version: str,
    key: ec.EllipticCurvePrivateKey | None = None,
    security_counter: int = 0,
) -> bytes:
    if not payload:
        raise ImageError("empty payload")
    if not board:
        raise ImageError("board id required")
    if not 0 <= security_counter <= 0xFFFFFFFE:
        raise ImageError("security counter must be 0..4294967294")
    header = struct.pack(
        "<4sHHII16s16sI12s",
        OBLI_MAGIC,
        OBLI_HEADER_SIZE,
        OBLI_FORMAT,
        len(payload),
        0,
        _text(board),
        _text(version),
        security_counter,
        b"\0" * 12,
    )
    digest = hashlib.sha256(header + payload).digest()
    tlvs = struct.pack("<BBH", TLV_SHA256, 0, 32) + digest
    if key is not None:
        tlvs += struct.pack("<BBH", TLV_ECDSA_P256, 0, 64) + sign_digest(key, digest)
    trailer = struct.pack("<HH", TRAILER_MAGIC, 4 + len(tlvs)) + tlvs
    return header + payload + trailer


def build_bl60x(
    body: bytes,
    hw: str,
    sw: str,
    *,
    xz: bool | None = None,
    unpacked_len: int = UNKNOWN_LENGTH,
    key: ec.EllipticCurvePrivateKey | None = None,
    security_counter: int = 0,
) -> bytes:
    if not body:
        raise ImageError("empty body")
    if not hw:
        raise ImageError(
            "hw (the plug's OTA board id) required: the plug refuses images without it"
        )
    if not 0 <= security_counter <= 0xFFFFFFFE:
        raise ImageError("security counter must be 0..4294967294")
    if xz is None:
        xz = body.startswith(XZ_MAGIC)
    if xz and not body.startswith(XZ_MAGIC):
        raise ImageError("type XZ but the body is not an XZ stream")
    header = bytearray(b"\xff" * BL60X_HEADER_SIZE)
    header[0:16] = BL60X_MAGIC
    header[16:20] = b"XZ  " if xz else b"RAW "
    header[20:24] = struct.pack("<I", len(body))
    header[24:32] = bytes(range(1, 9))
    header[32:48] = _text(hw)
    header[48:64] = _text(sw)
    header[64:96] = hashlib.sha256(body).digest()
    header[96:100] = struct.pack("<I", unpacked_len)
    if security_counter:  # our extension in the signed span; 0xFFFFFFFF (padding) = none
        header[100:104] = struct.pack("<I", security_counter)
    if key is not None:
        header[128:132] = BL60X_SIG_MAGIC
        digest = hashlib.sha256(bytes(header[:BL60X_SIGNED_SPAN])).digest()
        header[132:196] = sign_digest(key, digest)
    return bytes(header) + body


@dataclass
class Inspection:
    """What inspect() found; problems is empty for a good image."""

    fmt: str
    fields: dict[str, str | int] = field(default_factory=dict)
    signature: bytes | None = None
    signed_digest: bytes = b""
    problems: list[str] = field(default_factory=list)

    def check_signature(self, public_key: bytes | None) -> None:
        if public_key is None:
            return
        if self.signature is None:
            self.problems.append("unsigned (a public key was given)")
        elif not verify_digest(public_key, self.signed_digest, self.signature):
            self.problems.append("bad signature")


def _inspect_obli(data: bytes) -> Inspection:
    if len(data) < OBLI_HEADER_SIZE + 4:
        raise ImageError("truncated header")
    _, hsize, fmt, payload_size, flags, board, version, counter, _ = struct.unpack_from(
        "<4sHHII16s16sI12s", data
    )
    res = Inspection("OBLI")
    res.fields = {
        "header_size": hsize,
        "format_version": fmt,
        "payload_size": payload_size,
        "flags": flags,
        "board": _untext(board),
        "version": _untext(version),
        "security_counter": counter,
    }
    if hsize != OBLI_HEADER_SIZE or fmt != OBLI_FORMAT or flags != 0:
        res.problems.append("unsupported header")
    end = OBLI_HEADER_SIZE + payload_size
    trailer = data[end:]
    if len(trailer) < 4:
        raise ImageError("truncated: no trailer")
    magic, tsize = struct.unpack_from("<HH", trailer)
    if magic != TRAILER_MAGIC or tsize != len(trailer) or tsize > TRAILER_MAX:
        res.problems.append("bad trailer (or bytes after it)")
        return res
    digest = hashlib.sha256(data[:end]).digest()
    res.signed_digest = digest
    sha = None
    off = 4
    while off + 4 <= tsize:
        ttype, _, tlen = struct.unpack_from("<BBH", trailer, off)
        value = trailer[off + 4 : off + 4 + tlen]
        if ttype == TLV_SHA256:
            sha = value
        elif ttype == TLV_ECDSA_P256:
            res.signature = value
        off += 4 + tlen
    res.fields["sha256"] = sha.hex() if sha else "(missing)"
    if sha != digest:
        res.problems.append("SHA-256 mismatch")
    return res


def _bl60x_counter(header: bytes) -> int:
    value: int = struct.unpack_from("<I", header, 100)[0]
    return 0 if value == UNKNOWN_LENGTH else value


def _inspect_bl60x(data: bytes) -> Inspection:
    if len(data) < BL60X_HEADER_SIZE:
        raise ImageError("truncated header")
    body_len = struct.unpack_from("<I", data, 20)[0]
    body = data[BL60X_HEADER_SIZE:]
    res = Inspection("BL60X_OTA_Ver1.0")
    res.fields = {
        "type": data[16:20].decode("ascii", "replace").strip(),
        "body_length": body_len,
        "hw_version": _untext(data[32:48]),
        "sw_version": _untext(data[48:64]),
        "sha256": data[64:96].hex(),
        "unpacked_length": struct.unpack_from("<I", data, 96)[0],
        "security_counter": _bl60x_counter(data),
    }
    if len(body) != body_len:
        res.problems.append(f"body is {len(body)} bytes, header says {body_len}")
    if hashlib.sha256(body).digest() != data[64:96]:
        res.problems.append("SHA-256 mismatch")
    if data[16:20] == b"XZ  " and not body.startswith(XZ_MAGIC):
        res.problems.append("type XZ but the body is not an XZ stream")
    if data[128:132] == BL60X_SIG_MAGIC:
        res.signature = data[132:196]
    res.signed_digest = hashlib.sha256(data[:BL60X_SIGNED_SPAN]).digest()
    return res


def inspect(data: bytes, public_key: bytes | None = None) -> Inspection:
    if data.startswith(OBLI_MAGIC):
        res = _inspect_obli(data)
    elif data.startswith(BL60X_MAGIC):
        res = _inspect_bl60x(data)
    else:
        raise ImageError("neither an OBLI nor a BL60X_OTA_Ver1.0 image")
    res.fields["signed"] = "yes" if res.signature is not None else "no"
    res.check_signature(public_key)
    return res


def _board_key(board: str) -> str:
    # as the integration compares them: case and '_' vs '-' differ between documents
    return board.strip().casefold().replace("_", "-")


def build_manifest(
    version: str,
    images: list[tuple[str, Path]],
    release_notes: str | None = None,
    release_url: str | None = None,
) -> dict[str, object]:
    """The release manifest HA's update entity reads (docs/ota-image.md section 6).

    Each image must be a valid OBLI or BL60X container of this version; an OBLI image must name the
    board it is listed under. URLs are the file names: relative to the manifest's own location.
    """
    if not SEMVER.fullmatch(version):
        raise ImageError(f"{version!r}: not a semver version")
    if not images:
        raise ImageError("a release needs at least one image")
    entries: list[dict[str, object]] = []
    seen: set[str] = set()
    for board, path in images:
        if not board:
            raise ImageError(f"{path}: board id required")
        if _board_key(board) in seen:
            raise ImageError(f"{board}: listed twice")
        seen.add(_board_key(board))
        data = path.read_bytes()
        res = inspect(data)
        if res.problems:
            raise ImageError(f"{path}: {'; '.join(res.problems)}")
        image_version = res.fields["version" if res.fmt == "OBLI" else "sw_version"]
        if image_version != version:
            raise ImageError(f"{path}: image version {image_version!r}, release {version!r}")
        named = str(res.fields["board" if res.fmt == "OBLI" else "hw_version"])
        if _board_key(named) != _board_key(board):
            raise ImageError(f"{path}: {res.fmt} board {named!r}, listed as {board!r}")
        entries.append(
            {
                "board": board,
                "url": path.name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                # HA shows this before Install: boot2 unpacks an XZ body over the running image
                "rollback": res.fmt == "OBLI" or res.fields["type"] == "RAW",
            }
        )
    manifest: dict[str, object] = {"version": version}
    if release_notes is not None:
        manifest["release_notes"] = release_notes
    if release_url is not None:
        manifest["release_url"] = release_url
    manifest["images"] = entries
    return manifest


def _cmd_manifest(args: argparse.Namespace) -> int:
    images = []
    for spec in args.image:
        board, sep, path = spec.partition("=")
        if not sep:
            raise ImageError(f"--image {spec!r}: expected BOARD=FILE")
        images.append((board, Path(path)))
    notes = Path(args.notes).read_text(encoding="utf-8") if args.notes else None
    manifest = build_manifest(args.version, images, notes, args.release_url)
    Path(args.out).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{args.out}: {args.version}, {len(images)} image(s)")
    return 0


def _cmd_keygen(args: argparse.Namespace) -> int:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    out = Path(args.out)
    out.write_bytes(pem)
    out.chmod(0o600)
    print(public_key_bytes(key).hex())
    return 0


def _cmd_pubkey(args: argparse.Namespace) -> int:
    print(public_key_bytes(load_key(Path(args.key))).hex())
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    key = load_key(Path(args.key)) if args.key else None
    image = build_obli(
        Path(args.payload).read_bytes(),
        args.board,
        args.version,
        key,
        security_counter=args.security_counter,
    )
    Path(args.out).write_bytes(image)
    print(f"{args.out}: {len(image)} bytes, OBLI {args.board} {args.version}")
    return 0


def _cmd_bl60x(args: argparse.Namespace) -> int:
    key = load_key(Path(args.key)) if args.key else None
    xz = None if args.type == "auto" else args.type == "xz"
    unpacked = args.unpacked_len if args.unpacked_len is not None else UNKNOWN_LENGTH
    image = build_bl60x(
        Path(args.body).read_bytes(),
        args.hw,
        args.sw,
        xz=xz,
        unpacked_len=unpacked,
        key=key,
        security_counter=args.security_counter,
    )
    Path(args.out).write_bytes(image)
    print(f"{args.out}: {len(image)} bytes, BL60X_OTA_Ver1.0")
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    public_key = bytes.fromhex(args.pubkey) if args.pubkey else None
    res = inspect(Path(args.image).read_bytes(), public_key)
    print(f"format: {res.fmt}")
    for name, value in res.fields.items():
        print(f"{name}: {value}")
    for problem in res.problems:
        print(f"PROBLEM: {problem}")
    print("result: " + ("bad" if res.problems else "ok"))
    return 1 if res.problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("keygen", help="new P-256 signing key (PEM); prints the public key hex")
    p.add_argument("--out", required=True)
    p.set_defaults(fn=_cmd_keygen)
    p = sub.add_parser("pubkey", help="print the public key hex of a PEM private key")
    p.add_argument("--key", required=True)
    p.set_defaults(fn=_cmd_pubkey)
    p = sub.add_parser("build", help="OBLI envelope around a payload")
    p.add_argument("--board", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--payload", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--key", help="PEM P-256 private key to sign with")
    p.add_argument(
        "--security-counter", type=int, default=0, help="anti-rollback counter (0 = none)"
    )
    p.set_defaults(fn=_cmd_build)
    p = sub.add_parser("bl60x", help="BL60X_OTA_Ver1.0 container around a FW_OTA body")
    p.add_argument("--body", required=True)
    p.add_argument("--hw", required=True, help="the plug's OTA board id (info ota_board)")
    p.add_argument("--sw", default="")
    p.add_argument("--type", choices=["auto", "xz", "raw"], default="auto")
    p.add_argument("--unpacked-len", type=int)
    p.add_argument("--out", required=True)
    p.add_argument("--key", help="PEM P-256 private key to sign with (our header extension)")
    p.add_argument(
        "--security-counter", type=int, default=0, help="anti-rollback counter (0 = none)"
    )
    p.set_defaults(fn=_cmd_bl60x)
    p = sub.add_parser("inspect", help="print an image's fields and check hash and signature")
    p.add_argument("image")
    p.add_argument("--pubkey", help="public key hex (04...) to check the signature against")
    p.set_defaults(fn=_cmd_inspect)
    p = sub.add_parser("manifest", help="release manifest (JSON) over built images")
    p.add_argument("--version", required=True)
    p.add_argument("--image", action="append", default=[], metavar="BOARD=FILE")
    p.add_argument("--notes", help="release notes (markdown file)")
    p.add_argument("--release-url")
    p.add_argument("--out", required=True)
    p.set_defaults(fn=_cmd_manifest)
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args))
    except (ImageError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
