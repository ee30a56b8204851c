"""docs/protocol.md §11 with images built per docs/ota-image.md: streamed upload, progress events,
refusals that leave the running firmware in place, reboot into the new image."""

from __future__ import annotations

import hashlib
import socket
import struct
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from ..images import obli
from .plug import wait_until
from .test_sse import EventStream

OCTETS = {"Content-Type": "application/octet-stream"}


def alive_info(sim):
    try:
        return sim.info()
    except OSError:
        return None


def test_update_reboots_into_the_new_image_with_progress_events(sims):
    sim = sims("otaok")
    assert sim.info()["fw"] != "0.2.0"
    events = EventStream(sim.http_port)
    events.read_head()
    events.next_event("state")
    image = obli(version="0.2.0", payload=bytes(range(256)) * 800)  # ~200 KB
    r = sim.post("/api/v1/ota", image, headers=OCTETS, timeout=60)
    assert r.status == 200, r.body
    assert r.json()["state"] == "rebooting"
    assert r.json()["progress"] == 100
    seen = [d for e, d in events.events(3, until_closed=True) if e == "ota"]
    states = [d["state"] for d in seen]
    assert "receiving" in states
    assert "rebooting" in states
    progress = [d["progress"] for d in seen if d["state"] == "receiving"]
    assert progress == sorted(progress)
    events.close()
    info = wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "0.2.0" and i, 15, "new image")
    assert info["fw"] == "0.2.0"
    assert sim.state()["reset_reason"] == "software"


def test_wrong_board_is_refused_and_nothing_changes(sims):
    sim = sims("otaboard")
    fw = sim.info()["fw"]
    r = sim.post("/api/v1/ota", obli(board="sm-028-v1.3"), headers=OCTETS)
    assert r.status == 400
    err = r.json()["error"]
    assert err["code"] == "invalid_image"
    assert "wrong_board" in err["message"]
    status = sim.get("/api/v1/ota").json()
    assert status["state"] == "failed"
    assert status["error"] == "wrong_board"
    time.sleep(1.5)
    assert sim.info()["fw"] == fw
    assert sim.state()["uptime_s"] >= 1  # no reboot


def test_corrupt_image_is_refused_at_the_end(sims):
    sim = sims("otahash")
    image = bytearray(obli(payload=b"\x13" * 5000))
    image[100] ^= 0xFF  # payload byte: the SHA-256 no longer matches
    r = sim.post("/api/v1/ota", bytes(image), headers=OCTETS)
    assert r.status == 400
    assert "hash_mismatch" in r.json()["error"]["message"]
    assert sim.get("/api/v1/ota").json()["error"] == "hash_mismatch"


def test_garbage_and_oversize_and_missing_length(sims, raw):
    sim = sims("otabad")
    r = sim.post("/api/v1/ota", b"\x00" * 100, headers=OCTETS)
    assert r.status == 400
    assert "bad_magic" in r.json()["error"]["message"]
    head = (
        b"POST /api/v1/ota HTTP/1.1\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: 900000000\r\n\r\n"
    )
    answer = raw(sim.http_port, head, 5)
    assert answer.startswith(b"HTTP/1.1 413 ")
    answer = raw(sim.http_port, b"POST /api/v1/ota HTTP/1.1\r\n\r\n", 5)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"length_required" in answer


def test_upload_cut_midway_is_aborted(sims):
    sim = sims("otacut")
    image = obli(payload=b"\x13" * 100000)
    with socket.create_connection(("127.0.0.1", sim.http_port), 5) as s:
        s.sendall(
            b"POST /api/v1/ota HTTP/1.1\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % len(image)
        )
        s.sendall(image[:30000])
        wait_until(lambda: sim.get("/api/v1/ota").json()["state"] == "receiving", 5, "receiving")
    status = wait_until(
        lambda: (x := sim.get("/api/v1/ota").json())["state"] == "failed" and x, 5, "abort"
    )
    assert status["error"] == "aborted"
    r = sim.post("/api/v1/ota", obli(version="0.3.0"), headers=OCTETS)  # the next upload works
    assert r.status == 200


def signed_obli(key: ec.EllipticCurvePrivateKey, version: str = "0.5.0") -> bytes:
    """OBLI (docs/ota-image.md) with the SHA-256 TLV 0x10 and the ECDSA P-256 signature TLV 0x22."""
    payload = b"\x5a" * 4000
    header = struct.pack(
        "<4sHHII16s16s16s", b"OBLI", 64, 1, len(payload), 0, b"posix-sim", version.encode(), b""
    )
    digest = hashlib.sha256(header + payload).digest()
    der = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    r, s = utils.decode_dss_signature(der)
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    tlv = struct.pack("<BBH", 0x10, 0, 32) + digest + struct.pack("<BBH", 0x22, 0, 64) + sig
    return header + payload + struct.pack("<HH", 0x6907, 4 + len(tlv)) + tlv


def public_hex(key: ec.EllipticCurvePrivateKey) -> str:
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return raw.hex()


def test_with_a_public_key_only_signed_images_pass(sims):
    sim = sims("otasig")
    ours, theirs = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    r = sim.patch("/api/v1/config", {"ota_public_key": public_hex(ours)})
    assert r.status == 200
    assert r.json()["ota_public_key"] == public_hex(ours)
    r = sim.post("/api/v1/ota", obli(), headers=OCTETS)
    assert r.status == 400
    assert "unsigned" in r.json()["error"]["message"]
    r = sim.post("/api/v1/ota", signed_obli(theirs), headers=OCTETS)
    assert r.status == 400
    assert "bad_signature" in r.json()["error"]["message"]
    r = sim.post("/api/v1/ota", signed_obli(ours, "0.5.0"), headers=OCTETS)
    assert r.status == 200, r.body
    wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "0.5.0", 15, "signed image running")
    r = sim.patch("/api/v1/config", {"ota_public_key": "05" + "0" * 128})
    assert r.status == 400
    assert r.json()["error"]["field"] == "ota_public_key"
