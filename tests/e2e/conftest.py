"""End-to-end fixtures: real openbl602-sim processes and a real Mosquitto, all on 127.0.0.1.

The simulated plug comes from OBL_SIM (scripts/test sets it) or the default host build path. A
missing binary FAILS these tests: they prove docs/protocol.md holds, so they are never skipped.
Every test picks its own free ports, so pytest -n 2 runs them side by side.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .plug import Broker, Sim, free_port

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SIM = ROOT / "build" / "host" / "port" / "posix" / "openbl602-sim"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """These tests talk to processes, not to Home Assistant: no HA instance per test."""


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Real sockets to the simulated plugs and the broker."""


@pytest.fixture(scope="session")
def sim_path() -> Path:
    configured = os.environ.get("OBL_SIM")
    path = Path(configured) if configured else DEFAULT_SIM
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"openbl602-sim not found at {path} (build firmware first; OBL_SIM overrides)")
    return path


@pytest.fixture
def sims(sim_path: Path, tmp_path: Path) -> Iterator[Callable[..., Sim]]:
    """sims(id, load="60W", mqtt_port=None, ...) starts a simulated plug; all stop at the end."""
    started: list[Sim] = []

    def start(device_id: str = "plug", **kw: object) -> Sim:
        sim = Sim(sim_path, device_id, tmp_path, **kw)  # type: ignore[arg-type]
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A real Mosquitto on a free port (restartable on the same port)."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        pytest.fail("mosquitto is not installed (scripts/setup installs it)")
    b = Broker(binary, free_port(), tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def raw() -> Callable[[int, bytes, float], bytes]:
    """raw(port, request_bytes, timeout) → everything the plug answered before closing."""

    def send(port: int, data: bytes, timeout: float = 5.0) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout) as s:
            s.sendall(data)
            chunks = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    chunk = s.recv(65536)
                except TimeoutError:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)

    return send


# ---- the OTA fault table (tests/e2e/test_ota_faults.py): rows of every worker, printed at the end


def pytest_configure(config: pytest.Config) -> None:
    if "OBL_FAULT_TABLE_DIR" not in os.environ:  # the controller; xdist workers inherit it
        os.environ["OBL_FAULT_TABLE_DIR"] = tempfile.mkdtemp(prefix="obl-faults-")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    table = Path(os.environ.get("OBL_FAULT_TABLE_DIR", "/nonexistent"))
    rows = sorted(line for f in table.glob("*.rows") for line in f.read_text().splitlines())
    if not rows:
        return
    terminalreporter.section("OTA fault table (fault → outcome)")
    for row in rows:
        terminalreporter.write_line(row)
    bricked = sum(int(r.split("bricked ")[1].split()[0]) for r in rows)
    lost = sum(int(r.split("settings lost ")[1].split()[0]) for r in rows)
    terminalreporter.write_line(f"{len(rows)} faults: {bricked} bricked, {lost} settings lost")
