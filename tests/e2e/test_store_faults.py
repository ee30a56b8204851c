"""Fault injection on the config records in the simulated plug's flash file (issue #12): rot in the
config record and in its copy, a power cut between the two copies and at every flash operation of a
credentials write. Rows of the same fault table as tests/e2e/test_ota_faults.py: the plug must come
back, closed (API password), on its network (Wi-Fi), with its OTA key and every other setting.
docs/storage.md ("Two copies of the config") gives the layout these tests edit.
"""

from __future__ import annotations

import contextlib
import json
import struct
import subprocess
import tarfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .plug import Sim, wait_until
from .test_ota_faults import _key, _store_records, record

KEY_SETTINGS = 1
KEY_SETTINGS_COPY = 7
PASSWORD = "correct-horse-battery"

# What the tests set and check: every one that reads back differently is one setting lost.
SETTINGS: dict[str, Any] = {
    "name": "kitchen kettle",
    "startup": "on",
    "led": "inverted",
    "protection": {"max_power_w": 1500},
    "report": {"heartbeat_s": 300},
    "wifi": {"ssid": "home-net", "password": "wifi-secret-1"},
}


def configure(sim: Sim, key_hex: str) -> None:
    r = sim.patch("/api/v1/config", {k: v for k, v in SETTINGS.items() if k != "wifi"})
    assert r.status == 200, r.body
    with contextlib.suppress(OSError):  # the plug joins the new network: the answer may be lost
        sim.patch("/api/v1/config", {"wifi": SETTINGS["wifi"]})
    time.sleep(1.0)  # the network loop follows the new config and rejoins (0.2 s without sockets)
    wait_until(lambda: ssid(sim) == "home-net", 10, "rejoined")
    r = sim.patch("/api/v1/config", {"api_password": PASSWORD, "ota_public_key": key_hex})
    assert r.status == 200, r.body
    sim.password = PASSWORD


def settings_lost(sim: Sim, key_hex: str) -> list[str]:
    """The names of the settings that no longer read back as configured."""
    lost = []
    info = sim.request("GET", "/api/v1/info", auth=None).json()
    if not info["auth"]:
        lost.append("api_password")
    if sim.request("PATCH", "/api/v1/config", {"name": "x"}, auth=None).status != 401:
        lost.append("api_password (open)")
    cfg = sim.get("/api/v1/config").json()
    for key, want in SETTINGS.items():
        got = cfg.get(key)
        if isinstance(want, dict):
            for k, v in want.items():
                if k == "password":
                    if not got.get("password_set"):
                        lost.append(f"{key}.{k}")
                elif got.get(k) != v:
                    lost.append(f"{key}.{k}")
        elif got != want:
            lost.append(key)
    if cfg["ota_public_key"] != key_hex:
        lost.append("ota_public_key")
    return lost


def flip_in_record(sim: Sim, key: int, which: int = -1) -> None:
    """Clears one bit (NOR rot) in the value of the latest record of `key` in the active sector."""
    data = bytearray(sim.flash.read_bytes())
    _, recs = _store_records(bytes(data))
    mine = [r for r in recs if r[1] == key]
    assert mine, f"no record with key {key} in {recs}"
    off, _, length = mine[which]
    assert (off, key, length) != recs[-1] or key == KEY_SETTINGS_COPY
    pos = off + 4 + length // 2
    data[pos] &= data[pos] - 1 if data[pos] else 0  # clear the lowest set bit
    sim.flash.write_bytes(bytes(data))


def rotted(sims: Callable[..., Sim], name: str, key: int) -> tuple[Sim, str, list[str]]:
    sim = sims(name)
    _, key_hex = _key()
    configure(sim, key_hex)
    sim.relay(True)  # a later record: the config record is not the log's last one
    time.sleep(2.5)  # the relay state is saved 2 s after the last change
    sim.stop()
    flip_in_record(sim, key)
    sim.start()
    sim.password = PASSWORD
    return sim, key_hex, settings_lost(sim, key_hex)


def test_rotted_config_record(sims: Callable[..., Sim]) -> None:
    """One bit of the config record rots: the copy brings every setting back (and repairs it)."""
    sim, _, lost = rotted(sims, "rotcfg", KEY_SETTINGS)
    info = sim.request("GET", "/api/v1/info", auth=None).json()
    record(
        "a rotted config record",
        f"boots {'in setup mode' if info['setup_mode'] else 'on its network'}, "
        f"auth {info['auth']}, lost: {', '.join(lost) or 'nothing'}",
        lost=len(lost),
    )
    assert lost == []
    assert info["setup_mode"] is False


def test_rotted_config_copy(sims: Callable[..., Sim]) -> None:
    """One bit of the config's copy rots: nothing lost, and the copy is repaired at boot, so a
    later rot of the config record itself loses nothing either."""
    sim, key_hex, lost = rotted(sims, "rotcopy", KEY_SETTINGS_COPY)
    sim.stop()
    flip_in_record(sim, KEY_SETTINGS)
    sim.start()
    lost2 = settings_lost(sim, key_hex)
    record(
        "a rotted copy of the config, then the config",
        f"lost: {', '.join(lost + lost2) or 'nothing'} (copy repaired at boot)",
        lost=len(lost) + len(lost2),
    )
    assert lost == []
    assert lost2 == []


def latest_json(flash: bytes, key: int) -> dict[str, Any] | None:
    """The latest intact record of `key` in the active sector, as JSON (None: none intact)."""
    base, recs = _store_records(flash)
    found = None
    for off, k, length in recs:
        body = flash[off + 4 : off + 4 + length]
        (crc,) = struct.unpack_from("<I", flash, off + 4 + ((length + 3) & ~3))
        if k == key and zlib.crc32(flash[off : off + 4] + body) == crc:
            found = json.loads(body)
    return found


def password_in_force(sim: Sim, candidates: list[str]) -> str | None:
    for pw in candidates:
        if sim.request("GET", "/api/v1/config", auth=pw).status == 200:
            return pw
    return None


NEW_PASSWORD = "new-horse-battery"


def test_power_cut_at_every_step_of_a_credentials_write(sims: Callable[..., Sim]) -> None:
    """A PATCH that changes the API password and other settings, with the power cut during each of
    its flash writes and erases in turn (`cutflash`): after every cut the plug comes back with the
    old or the new settings, whole — never open, never a mix. One of the cuts falls between the
    config record and its copy (the new value in one, the old in the other): the new one loads and
    the copy is repaired."""
    sim = sims("cutcreds")
    _, key_hex = _key()
    configure(sim, key_hex)
    old: dict[str, Any] = {"name": SETTINGS["name"], "protection": {"max_power_w": 1500}}
    new: dict[str, Any] = {"name": "after the cut", "protection": {"max_power_w": 2500}}
    cuts = lost = between = 0
    between_outcome = ""
    for k in range(400):
        assert sim.control(f"cutflash {k}").startswith("ok")
        try:
            r = sim.request("PATCH", "/api/v1/config", {**new, "api_password": NEW_PASSWORD})
            status: int | None = r.status
        except OSError:
            status = None
        assert sim.proc is not None
        try:
            code = sim.proc.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:  # the write finished before the cut point: every step was cut once
            assert status == 200
            assert sim.control("cutflash -1").startswith("ok")
            break
        assert code == 99
        cuts += 1
        flash = sim.flash.read_bytes()
        primary, copy = latest_json(flash, KEY_SETTINGS), latest_json(flash, KEY_SETTINGS_COPY)
        apart = (
            primary is not None
            and copy is not None
            and primary["name"] == new["name"]
            and copy["name"] == old["name"]
        )
        sim.proc = None
        sim.start()
        pw = password_in_force(sim, [PASSWORD, NEW_PASSWORD])
        sim.password = pw
        cfg = sim.get("/api/v1/config").json() if pw else {}
        want = new if pw == NEW_PASSWORD else old
        whole = (
            pw is not None
            and cfg["name"] == want["name"]
            and cfg["protection"]["max_power_w"] == want["protection"]["max_power_w"]
            and cfg["ota_public_key"] == key_hex
            and cfg["wifi"]["ssid"] == "home-net"
            and cfg["wifi"]["password_set"]
        )
        lost += not whole
        if apart:
            between += 1
            after = sim.flash.read_bytes()
            repaired = latest_json(after, KEY_SETTINGS_COPY) == latest_json(after, KEY_SETTINGS)
            between_outcome = (
                f"{'new' if pw == NEW_PASSWORD else 'old'} settings load, "
                f"copy {'repaired' if repaired else 'NOT repaired'} at boot"
            )
            lost += not (pw == NEW_PASSWORD and repaired)
        if pw == NEW_PASSWORD:  # back to the old settings for the next cut point
            r = sim.patch("/api/v1/config", {**old, "api_password": PASSWORD})
            assert r.status == 200, r.body
            sim.password = PASSWORD
    else:
        raise AssertionError("the write never completed")
    record(
        "torn write between the config's two copies",
        between_outcome or "no cut fell between the copies",
        lost=lost if between else 1,
    )
    record(
        "power cut at every step of a credentials write",
        f"{cuts} cut points: old or new settings whole after each",
        lost=lost,
    )
    assert between >= 1
    assert cuts >= 6
    assert lost == 0


# The last firmware with the config in one record (it reads and writes STORE_KEY_SETTINGS only).
SINGLE_RECORD_FIRMWARE = "5e6ad1592e3e45e9340ab3bf12ff529ae5b49473"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def single_record_sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated plug of SINGLE_RECORD_FIRMWARE, built from this repository's history."""
    src = tmp_path_factory.mktemp("single-record-fw")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", SINGLE_RECORD_FIRMWARE, "firmware"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.fail(f"cannot read {SINGLE_RECORD_FIRMWARE} from git: {archive.stderr.decode()}")
    tar = src / "fw.tar"
    tar.write_bytes(archive.stdout)
    with tarfile.open(tar) as t:
        t.extractall(src, filter="data")
    build = src / "build"
    for cmd in (
        ["cmake", "-S", str(src / "firmware"), "-B", str(build), "-G", "Ninja"],
        ["cmake", "--build", str(build), "-j2", "--target", "openbl602-sim"],
    ):
        r = subprocess.run(cmd, capture_output=True, check=False)
        if r.returncode != 0:
            pytest.fail(f"building the single-record firmware failed: {r.stdout.decode()[-2000:]}")
    return build / "port" / "posix" / "openbl602-sim"


def test_downgrade_to_the_single_record_firmware_and_back(
    sims: Callable[..., Sim], single_record_sim: Path
) -> None:
    """The config this firmware writes (record + copy) is read whole by the firmware before the
    copies: it stays on its network and closed. What that firmware then changes (the record alone)
    is what this firmware loads when it runs again, and the stale copy is repaired."""
    sim = sims("downgrade")
    _, key_hex = _key()
    configure(sim, key_hex)
    sim.stop()
    this_firmware = sim.binary
    sim.binary = single_record_sim  # same id, flash file and ports: the plug after an OTA downgrade
    sim.start()
    lost_old = settings_lost(sim, key_hex)
    info_old = sim.request("GET", "/api/v1/info", auth=None).json()
    assert sim.patch("/api/v1/config", {"name": "renamed by old"}).status == 200
    sim.stop()
    flash = sim.flash.read_bytes()
    stale = latest_json(flash, KEY_SETTINGS_COPY)
    assert stale is not None
    assert stale["name"] == SETTINGS["name"]  # the old firmware wrote no copy
    sim.binary = this_firmware
    sim.start()
    cfg = sim.get("/api/v1/config").json()
    lost_new = settings_lost(sim, key_hex)
    after = sim.flash.read_bytes()
    repaired = latest_json(after, KEY_SETTINGS_COPY) == latest_json(after, KEY_SETTINGS)
    record(
        "downgrade to the single-record firmware, back",
        f"old fw: setup mode {info_old['setup_mode']}, auth {info_old['auth']}; back: "
        f"its change kept, copy {'repaired' if repaired else 'NOT repaired'}",
        lost=len(lost_old) + len([x for x in lost_new if x != "name"]),
    )
    assert lost_old == []
    assert info_old["setup_mode"] is False
    assert cfg["name"] == "renamed by old"
    assert [x for x in lost_new if x != "name"] == []
    assert repaired


def ssid(sim: Sim) -> str | None:
    try:
        value: str = sim.get("/api/v1/config").json()["wifi"]["ssid"]
    except (OSError, AssertionError):
        return None
    return value
