"""Fault injection around OTA, trust, DNS and the record store, through the simulated plug
(issue #12).

Every test is one row of a table "fault → outcome": the plug must never be bricked (it always comes
back and answers its API) and never lose a setting. `pytest -s tests/e2e/test_ota_faults.py` prints
the table; the rows also go to the terminal summary (tests/e2e/conftest.py), also under xdist.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from ..images import obli
from .plug import Broker, Recorder, Sim, wait_until

OCTETS = {"Content-Type": "application/octet-stream"}
TABLE_ENV = (
    "OBL_FAULT_TABLE_DIR"  # set by tests/e2e/conftest.py for the whole run (xdist workers too)
)
SCALE = 5.0  # plug seconds per real second: the 30 s good-boot mark takes 6 s


def record(fault: str, outcome: str, bricked: bool = False, lost: int = 0) -> None:
    """One row of the fault table: printed now (-s) and kept for the summary."""
    row = f"{fault:<44} | {outcome:<58} | bricked {int(bricked)} | settings lost {lost}"
    print("\nFAULT " + row)
    table = os.environ.get(TABLE_ENV)
    if table:
        with (Path(table) / f"{os.getpid()}.rows").open("a") as f:
            f.write(row + "\n")


def alive_info(sim: Sim) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = sim.info()
    except (OSError, AssertionError):
        return None
    return info


def alive_state(sim: Sim) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = sim.state()
    except (OSError, AssertionError):
        return None
    return state


def back_up(sim: Sim, timeout: float = 30.0) -> dict[str, Any]:
    info: dict[str, Any] = wait_until(lambda: alive_info(sim), timeout, "plug answering again")
    return info


def upload(sim: Sim, image: bytes) -> Any:
    return sim.post("/api/v1/ota", image, headers=OCTETS, timeout=60)


@pytest.fixture
def crashing_sims(sims: Callable[..., Sim], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Sim]:
    """Sims whose crash signals reset the plug (docs/protocol.md §12 OBL_CRASH_RESETS)."""
    monkeypatch.setenv("OBL_CRASH_RESETS", "1")
    return sims


def crash(sim: Sim) -> None:
    assert sim.proc is not None
    os.kill(sim.proc.pid, signal.SIGABRT)  # the same pid across the plug's re-exec resets


@pytest.mark.parametrize("crash_at_s", [5, 20, 40])
def test_crash_after_first_boot(crashing_sims: Callable[..., Sim], crash_at_s: int) -> None:
    """A new image that crashes before it proved itself (30 s up, reached over the network) is
    rolled back; one that crashes later was confirmed and stays."""
    sim = crashing_sims(f"crash{crash_at_s}", time_scale=SCALE)
    old_fw = sim.info()["fw"]
    sim.patch("/api/v1/config", {"name": "kept-name"})
    r = upload(sim, obli(version="0.9.0"))
    assert r.status == 200, r.body
    wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "0.9.0", 20, "trial image up")
    wait_until(lambda: (s := alive_state(sim)) and s["uptime_s"] >= crash_at_s, 30, "crash time")
    crash(sim)
    time.sleep(0.5)
    info = back_up(sim)
    # a rollback happens at the port's next boot: the image is final once the plug answers
    ota = sim.get("/api/v1/ota").json()
    kept = info["fw"] == "0.9.0"
    lost = int(sim.get("/api/v1/config").json()["name"] != "kept-name")
    record(
        f"crash {crash_at_s} s after the first boot",
        f"fw {info['fw']} ({'kept' if kept else 'rolled back'}), ota error {ota['error']}",
        lost=lost,
    )
    assert lost == 0
    if crash_at_s < 30:
        assert info["fw"] == old_fw
        assert ota["error"] == "rolled_back"
    else:
        assert kept


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_rollback_is_announced_before_the_install(sims: Callable[..., Sim]) -> None:
    """The OTA status says whether the image can be rolled back while it is still being received (an
    envelope written to the inactive slot: true); idle says null."""
    sim = sims("rbflag")
    assert sim.get("/api/v1/ota").json()["rollback"] is None
    image = obli(version="0.9.1", payload=b"\x13" * 100000)
    with socket.create_connection(("127.0.0.1", sim.http_port), 5) as s:
        s.sendall(
            b"POST /api/v1/ota HTTP/1.1\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % len(image)
        )
        s.sendall(image[:30000])
        status = wait_until(
            lambda: (x := sim.get("/api/v1/ota").json())["state"] == "receiving" and x, 5, "rx"
        )
    assert status["rollback"] is True
    # the plug ends the abandoned upload when it sees the closed socket
    wait_until(lambda: sim.get("/api/v1/ota").json()["state"] != "receiving", 5, "upload aborted")
    r = upload(sim, image)
    assert r.status == 200, r.body
    assert r.json()["rollback"] is True
    record("upload of an envelope (raw image)", "status says rollback: true while receiving")


def _key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    k = ec.generate_private_key(ec.SECP256R1())
    raw = k.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return k, raw.hex()


def image(
    version: str,
    counter: int = 0,
    key: ec.EllipticCurvePrivateKey | None = None,
    payload: bytes = b"\x5a" * 4000,
) -> bytes:
    """An OBLI envelope (docs/ota-image.md §1) with a security counter, optionally signed."""
    header = struct.pack(
        "<4sHHII16s16sI12s",
        b"OBLI",
        64,
        1,
        len(payload),
        0,
        b"posix-sim",
        version.encode(),
        counter,
        b"",
    )
    digest = hashlib.sha256(header + payload).digest()
    tlv = struct.pack("<BBH", 0x10, 0, 32) + digest
    if key is not None:
        r, s = utils.decode_dss_signature(
            key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        )
        tlv += struct.pack("<BBH", 0x22, 0, 64) + r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return header + payload + struct.pack("<HH", 0x6907, 4 + len(tlv)) + tlv


def config_key(sim: Sim) -> str:
    key: str = sim.get("/api/v1/config").json()["ota_public_key"]
    return key


@pytest.mark.parametrize("button", [False, True])
def test_key_change_needs_password_and_button(sims: Callable[..., Sim], button: bool) -> None:
    """Trust on first use; afterwards the key changes only with the API password and a button press
    on the plug within 60 s."""
    sim = sims(f"key{int(button)}", time_scale=10.0)
    k1, h1 = _key()
    k2, h2 = _key()
    r = sim.patch("/api/v1/config", {"ota_public_key": h1})
    assert r.status == 200, r.body  # first use
    r = sim.patch("/api/v1/config", {"ota_public_key": h2})
    assert r.status == 403, r.body  # no API password: no change at all
    assert sim.patch("/api/v1/config", {"api_password": "correct-horse"}).status == 200
    sim.password = "correct-horse"
    r = sim.patch("/api/v1/config", {"ota_public_key": h2, "name": "not-applied"})
    assert r.status == 202, r.body
    assert r.json()["error"]["code"] == "confirm_on_device"
    assert config_key(sim) == h1
    assert sim.get("/api/v1/config").json()["name"] != "not-applied"
    if button:
        assert sim.control("press 1500").startswith("ok")
        wait_until(lambda: config_key(sim) == h2, 10, "key confirmed by the button")
    else:
        time.sleep(7)  # 70 s of plug time: the window closed
        assert sim.control("press 1500").startswith("ok")
        time.sleep(0.5)
        assert config_key(sim) == h1
    trusted, other = (k2, k1) if button else (k1, k2)
    r = upload(sim, image("0.9.5", key=other))
    assert r.status == 400
    assert "bad_signature" in r.json()["error"]["message"]
    sim.restart()  # the trusted key survives a restart
    assert config_key(sim) == (h2 if button else h1)
    r = upload(sim, image("0.9.5", key=trusted))
    assert r.status == 200, r.body
    record(
        f"key change {'with' if button else 'without'} the button",
        "key changed after the press" if button else "key unchanged (window closed)",
    )


def test_key_never_over_the_setup_ap(sims: Callable[..., Sim]) -> None:
    """A plug in setup mode (its open AP) takes Wi-Fi settings, never the OTA key."""
    sim = sims("keyap", extra=("--unconfigured",))
    _, h1 = _key()
    assert sim.info()["setup_mode"] is True
    r = sim.post(
        "/api/v1/setup", {"wifi": {"ssid": "home", "password": "secret-pw"}, "ota_public_key": h1}
    )
    assert r.status == 403, r.body
    r = sim.patch("/api/v1/config", {"ota_public_key": h1})
    assert r.status == 403, r.body
    assert config_key(sim) == ""
    record("key set over the setup AP", "refused (403), no key")


def test_downgrade_refused_unless_allowed_on_the_plug(sims: Callable[..., Sim]) -> None:
    """A confirmed image raises the security counter floor; an older image is refused until the
    owner presses the button, then exactly one older image installs."""
    sim = sims("downgrade", time_scale=SCALE)
    assert upload(sim, image("2.0.0", counter=7)).status == 200
    wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "2.0.0", 20, "new image")
    wait_until(lambda: (s := alive_state(sim)) and s["uptime_s"] >= 32, 30, "confirmed")
    r = upload(sim, image("1.0.0", counter=6))
    assert r.status == 400
    assert "downgrade" in r.json()["error"]["message"]
    assert sim.get("/api/v1/ota").json()["error"] == "downgrade"
    assert sim.info()["fw"] == "2.0.0"
    assert sim.control("press 1500").startswith("ok")
    time.sleep(1)
    r = upload(sim, image("1.0.0", counter=6))
    assert r.status == 200, r.body
    wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "1.0.0", 20, "downgraded image")
    record("downgrade (older security counter)", "refused; after the button press accepted once")


def test_dns_stalled_for_60_s_keeps_the_plug_alive(
    sims: Callable[..., Sim], broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker is given by name and the DNS server does not answer for 60 s: metering, the API
    and the watchdog feeding go on untouched (no reset); MQTT connects once the name resolves."""
    monkeypatch.setenv("OBL_DNS_STALL_S", "60")
    sim = sims(
        "dnsstall",
        load="2000W",
        time_scale=10.0,
        extra=("--mqtt", f"mqtt://localhost:{broker.port}"),
    )
    sim.relay(True)
    with Recorder(broker.port, ["openbl602/dnsstall/status"]) as rec:
        t0 = time.monotonic()
        first = sim.state()
        samples = []
        while time.monotonic() - t0 < 45:  # well inside the 60 s stall
            t = time.monotonic()
            s = sim.state()
            samples.append((time.monotonic() - t, s))
            time.sleep(2)
        slowest = max(d for d, _ in samples)
        last = samples[-1][1]
        assert not rec.on("openbl602/dnsstall/status")  # still resolving: no MQTT yet
        assert last["reset_reason"] == first["reset_reason"] == "power_on"  # watchdog always fed
        uptimes = [s["uptime_s"] for _, s in samples]
        assert uptimes == sorted(uptimes)  # no reset
        assert uptimes[-1] - uptimes[0] >= 400  # the plug's clock ran on (x10)
        energies = [s["energy_wh"] for _, s in samples]
        assert energies == sorted(energies)
        assert energies[-1] - energies[0] >= 180  # metering ticked on: 2 kW for > 400 s
        assert all(abs(s["power_w"] - 2000) < 100 for _, s in samples)
        assert slowest < 1.0
        rec.wait("openbl602/dnsstall/status", lambda m: m.payload == b"online", timeout=30)
    record(
        "DNS stalled for 60 s (broker by name)",
        f"no reset, slowest API answer {slowest * 1000:.0f} ms, energy "
        f"{energies[0]}→{energies[-1]} Wh, MQTT online after",
    )


def test_safe_mode_keeps_protection_and_the_way_out(crashing_sims: Callable[..., Sim]) -> None:
    """Four crashes in a row: safe mode. It still meters and cuts an overload, and still takes an
    update (the way out)."""
    sim = crashing_sims("safeprot")
    assert sim.patch("/api/v1/config", {"protection": {"max_power_w": 1000}}).status == 200
    for boot in range(2, 6):
        crash(sim)
        marker = f"boot {boot},"

        def booted(m: str = marker) -> bool:
            return m in sim.log.read_text()

        wait_until(booted, 10, marker)
        wait_until(lambda: alive_state(sim), 10, "HTTP back")
    assert sim.state()["safe_mode"] is True
    sim.relay(True)
    assert sim.control("load 1500").startswith("ok")
    state = wait_until(
        lambda: (s := sim.state())["tripped"] == "overpower" and s, 15, "overpower trip"
    )
    assert state["relay"] is False
    r = upload(sim, image("3.0.0"))
    assert r.status == 200, r.body
    wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "3.0.0", 20, "update from safe mode")
    record("4 crashes in a row (safe mode) + overload", "safe mode trips the overload; OTA works")


def _restart_powered(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plug lost power (status 99): power it on again, without the injected cut."""
    assert sim.proc is not None
    assert sim.proc.wait(30) == 99
    monkeypatch.delenv("OBL_POWERCUT_AT", raising=False)
    sim.proc = None
    sim.start()


@pytest.mark.parametrize("phase", ["upload", "verify", "switch", "first_boot", "confirm"])
def test_power_cut_at_each_ota_phase(
    sims: Callable[..., Sim], monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    """Power cut at each phase of an update (docs/protocol.md §12 OBL_POWERCUT_AT): the plug comes
    back on the old or on the new image — never neither — and keeps its settings."""
    sim = sims(f"cut-{phase.replace('_', '')}", time_scale=SCALE)
    old_fw = sim.info()["fw"]
    assert sim.patch("/api/v1/config", {"name": "kept-name"}).status == 200
    monkeypatch.setenv("OBL_POWERCUT_AT", phase)
    sim.restart()  # the injector is read at start; the sim re-executes itself with it on reboots
    new = image("4.0.0", payload=bytes(range(256)) * 200)
    try:
        r = upload(sim, new)
        status = r.status
    except OSError:
        status = None  # the plug died under the request
    if phase in ("first_boot", "confirm"):
        assert status == 200
        if phase == "confirm":
            wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "4.0.0", 20, "trial image")
    _restart_powered(sim, monkeypatch)
    info = back_up(sim)
    # let a trial image prove itself: then it is final
    wait_until(lambda: (s := alive_state(sim)) and s["uptime_s"] >= 35, 30, "past the proving time")
    info = back_up(sim)
    ota = sim.get("/api/v1/ota").json()
    lost = int(sim.get("/api/v1/config").json()["name"] != "kept-name")
    assert info["fw"] in (old_fw, "4.0.0")
    record(
        f"power cut at OTA phase: {phase}",
        f"back on {'new' if info['fw'] == '4.0.0' else 'old'} image {info['fw']}, "
        f"ota {ota['state']}/{ota['error']}",
        lost=lost,
    )
    assert lost == 0
    if phase in ("upload", "verify", "first_boot", "confirm"):
        assert info["fw"] == old_fw
    # and the next update works
    assert upload(sim, image("4.0.1")).status == 200
    wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "4.0.1", 20, "next update")


@pytest.mark.parametrize("fault", ["wrong_board", "truncated", "bit_flip"])
def test_bad_images_change_nothing(sims: Callable[..., Sim], fault: str) -> None:
    sim = sims(f"bad-{fault.replace('_', '')}")
    fw = sim.info()["fw"]
    good = image("5.0.0", payload=b"\x33" * 50000)
    if fault == "wrong_board":
        r = upload(sim, obli(board="sm-028-v1.3"))
        assert r.status == 400
        code = sim.get("/api/v1/ota").json()["error"]
    elif fault == "bit_flip":
        flipped = bytearray(good)
        flipped[30000] ^= 0x04
        r = upload(sim, bytes(flipped))
        assert r.status == 400
        code = sim.get("/api/v1/ota").json()["error"]
    else:
        with socket.create_connection(("127.0.0.1", sim.http_port), 5) as s:
            s.sendall(
                b"POST /api/v1/ota HTTP/1.1\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Length: %d\r\n\r\n" % len(good)
            )
            s.sendall(good[: len(good) // 2])
        code = wait_until(
            lambda: (x := sim.get("/api/v1/ota").json())["state"] == "failed" and x["error"],
            10,
            "aborted",
        )
    time.sleep(1)
    assert sim.info()["fw"] == fw
    expected = {"wrong_board": "wrong_board", "bit_flip": "hash_mismatch", "truncated": "aborted"}
    assert code == expected[fault]
    record(f"{fault.replace('_', ' ')} image", f"refused ({code}), old image runs, no reboot")


def _store_records(flash: bytes) -> tuple[int, list[tuple[int, int, int]]]:
    """docs/storage.md: the settings store's active sector and its records (offset, key, len)."""
    best, active = -1, -1
    for i in range(8):
        h = flash[i * 4096 : i * 4096 + 16]
        magic, _ver, _res, seq, crc = struct.unpack("<IHHII", h)
        if magic == 0x5453424F and zlib.crc32(h[:12]) == crc and seq > best:
            best, active = seq, i
    recs, off = [], 16
    base = active * 4096
    while off + 8 <= 4096:
        key, length = struct.unpack_from("<HH", flash, base + off)
        if key == 0xFFFF:
            break
        recs.append((base + off, key, length))
        off += 4 + ((length + 3) & ~3) + 4
    return base, recs


def test_rotted_record(sims: Callable[..., Sim]) -> None:
    """A bit of the OTA record rots on flash: the plug boots, keeps its settings and updates."""
    sim = sims("rot")
    assert sim.patch("/api/v1/config", {"name": "kept-name"}).status == 200
    assert upload(sim, obli(board="sm-028-v1.3")).status == 400  # writes the OTA record
    sim.relay(True)  # and a record after it
    sim.stop()
    data = bytearray(sim.flash.read_bytes())
    _, recs = _store_records(bytes(data))
    ota = [r for r in recs if r[1] == 5]
    assert ota
    assert ota[-1] != recs[-1]
    data[ota[-1][0] + 4] &= 0xFE  # the format byte: a cleared bit, as NOR rots
    sim.flash.write_bytes(bytes(data))
    sim.start()
    lost = int(sim.get("/api/v1/config").json()["name"] != "kept-name")
    assert sim.state()["relay"] is True
    r = upload(sim, image("6.0.0"))
    assert r.status == 200, r.body
    wait_until(lambda: (i := alive_info(sim)) and i["fw"] == "6.0.0", 20, "update")
    record(
        "a rotted store record (OTA record)",
        "boots; record rewritten by the next update",
        lost=lost,
    )
    assert lost == 0
