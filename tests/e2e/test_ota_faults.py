"""Fault injection around OTA, trust, DNS and the record store, through the simulated plug
(issue #12).

Every test is one row of a table "fault → outcome": the plug must never be bricked (it always comes
back and answers its API) and never lose a setting. `pytest -s tests/e2e/test_ota_faults.py` prints
the table; the rows also go to the terminal summary (tests/e2e/conftest.py), also under xdist.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..images import obli
from .plug import Sim, wait_until

OCTETS = {"Content-Type": "application/octet-stream"}
TABLE = Path(os.environ.get("OBL_FAULT_TABLE", "/tmp/obl_ota_fault_table")) / str(os.getppid())
SCALE = 5.0  # plug seconds per real second: the 30 s good-boot mark takes 6 s


def record(fault: str, outcome: str, bricked: bool = False, lost: int = 0) -> None:
    """One row of the fault table: printed now (-s) and kept for the summary."""
    row = f"{fault:<44} | {outcome:<58} | bricked {int(bricked)} | settings lost {lost}"
    print("\nFAULT " + row)
    TABLE.mkdir(parents=True, exist_ok=True)
    with (TABLE / f"{os.getpid()}.rows").open("a") as f:
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
