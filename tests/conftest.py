"""Shared fixtures: HA harness, in-process fake plug, simulated plug, a real Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Import our package before the hass fixture puts HA's testing config on sys.path, so
# "custom_components" is this repository's package.
from custom_components.openbl602_plug.const import CONF_FIRMWARE_MANIFEST, DOMAIN

from .fakeplug import FakePlug

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIM = ROOT / "build" / "host" / "port" / "posix" / "openbl602-sim"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
async def fake_plug(socket_enabled: None) -> AsyncIterator[FakePlug]:
    """A protocol-faithful plug on a free 127.0.0.1 port, no password."""
    plug = FakePlug()
    await plug.start()
    yield plug
    await plug.stop()


@pytest.fixture
def mqtt_broker_proc(
    socket_enabled: None, tmp_path: Path
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """A real Mosquitto on a free 127.0.0.1 port: (port, process)."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        pytest.fail("mosquitto is not installed (scripts/setup installs it)")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_port(port, proc, "mosquitto")
        yield port, proc
    finally:
        _stop(proc)


@pytest.fixture
def mqtt_broker(mqtt_broker_proc: tuple[int, subprocess.Popen[bytes]]) -> int:
    """The port of a real Mosquitto."""
    return mqtt_broker_proc[0]


def sim_binary() -> Path:
    """The simulated plug; fails when OBL_SIM names a missing file, skips when unset and unbuilt."""
    configured = os.environ.get("OBL_SIM")
    path = Path(configured) if configured else DEFAULT_SIM
    if not path.is_file():
        if configured:
            pytest.fail(f"OBL_SIM={configured} does not exist (build the simulated plug first)")
        pytest.skip(f"simulated plug not built ({path}); set OBL_SIM to require it")
    return path


def _answers_as(port: int, device_id: str) -> bool:
    """The HTTP port answers GET /api/v1/info with this plug's id (not another process's)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        conn.request("GET", "/api/v1/info")
        body = conn.getresponse().read()
        conn.close()
        return bool(json.loads(body).get("id") == device_id)
    except (OSError, http.client.HTTPException, ValueError, AttributeError):
        return False


@dataclass
class SimPlug:
    """A running openbl602-sim process (docs/protocol.md §12)."""

    device_id: str
    http_port: int
    control_port: int
    flash: Path
    proc: subprocess.Popen[bytes]
    args: list[str] = field(default_factory=list)

    host = "127.0.0.1"

    async def control(self, command: str) -> str:
        """Send one control line, return the answer line ("ok ..." or "err ...")."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.control_port)
        try:
            writer.write(command.encode() + b"\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), 10)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        return line.decode().strip()

    def power_cut(self) -> None:
        """Pull the plug: SIGKILL, nothing flushed (protocol §3 bounds what is lost)."""
        self.proc.kill()
        self.proc.wait(5)

    def power_on(self) -> None:
        """Start it again on the same flash file and ports (HA's entry points at them)."""
        self.proc = _launch(self.args)
        if not _owns(self, self.proc):
            pytest.fail(f"openbl602-sim {self.device_id}: its ports were taken while it was off")


def _launch(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _owns(sim: SimPlug, proc: subprocess.Popen[bytes]) -> bool:
    """Both ports answer and the HTTP one as this plug, with the process still running: a port
    picked free can be bound by another xdist worker before the sim binds it, and a bare connect
    would then succeed on the other process's listener."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False  # could not bind (exit 1), or died
        if _answers_as(sim.http_port, sim.device_id):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", sim.control_port), 0.5),
            ):
                return proc.poll() is None
        time.sleep(0.05)
    pytest.fail(f"openbl602-sim {sim.device_id} did not answer on 127.0.0.1:{sim.http_port}")


@pytest.fixture
def sim_factory(socket_enabled: None, tmp_path: Path) -> Iterator[Callable[..., SimPlug]]:
    """Start simulated plugs: sim_factory(device_id, mqtt_port=None, load="60W", time_scale=1)."""
    binary = sim_binary()
    started: list[SimPlug] = []

    def start(device_id: str = "simplug", mqtt_port: int | None = None, **extra: Any) -> SimPlug:
        flash = tmp_path / f"{device_id}.flash"
        for _attempt in range(3):
            http_port, control_port = free_port(), free_port()
            args = [
                str(binary),
                "--id",
                device_id,
                "--http",
                f"127.0.0.1:{http_port}",
                "--flash",
                str(flash),
                "--control",
                f"127.0.0.1:{control_port}",
                "--load",
                str(extra.get("load", "60W")),
            ]
            if mqtt_port is not None:
                args += ["--mqtt", f"mqtt://127.0.0.1:{mqtt_port}"]
            if "time_scale" in extra:
                args += ["--time-scale", str(extra["time_scale"])]
            proc = _launch(args)
            sim = SimPlug(device_id, http_port, control_port, flash, proc, args)
            if _owns(sim, proc):
                started.append(sim)
                return sim
            _stop(proc)  # lost the ports to another process: new ones
        pytest.fail(f"openbl602-sim {device_id}: three tries, its ports were always taken")

    yield start
    for sim in started:
        _stop(sim.proc)


@pytest.fixture
def plug_entry(fake_plug: FakePlug) -> MockConfigEntry:
    """A config entry for the fake plug (no firmware manifest: no update checks)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Kettle",
        unique_id=fake_plug.info["mac"],
        data={"host": fake_plug.host, "port": fake_plug.port},
        options={CONF_FIRMWARE_MANIFEST: ""},
    )


async def setup_entry(
    hass: Any, entry: MockConfigEntry, platforms: list[str] | None = None
) -> None:
    """Add and set up an entry, optionally with only some platforms (snapshot tests)."""
    from unittest.mock import patch

    entry.add_to_hass(hass)
    if platforms is None:
        assert await hass.config_entries.async_setup(entry.entry_id)
    else:
        with patch("custom_components.openbl602_plug.PLATFORMS", platforms):
            assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def wait_for(hass: Any, predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the event loop run until predicate() holds."""
    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + seconds
    while not predicate():
        if loop_time() > deadline:
            pytest.fail("condition not reached in time")
        await asyncio.sleep(0.05)
        await hass.async_block_till_done()


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create every entity enabled, also those disabled by default (snapshots)."""
    from unittest.mock import PropertyMock, patch

    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: Any) -> Any:
    """Snapshots with HA's serializer (registry ids and times normalized), in tests/snapshots/."""
    from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

    return snapshot.use_extension(HomeAssistantSnapshotExtension)


# -- MQTT: a real Mosquitto, HA's MQTT integration on it, and a publisher in the plug's place --


class PlugSide:
    """Publishes what a plug publishes (retained info/status/state, events)."""

    def __init__(self, port: int) -> None:
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="openbl602-kettle")
        connected = threading.Event()
        self.client.on_connect = lambda *_args: connected.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert connected.wait(5)

    def publish(self, suffix: str, payload: object, retain: bool = False) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self.client.publish(
            f"openbl602/kettle/{suffix}", text, qos=1, retain=retain
        ).wait_for_publish(5)

    def close(self) -> None:
        if self.client.is_connected():
            self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def plug_side(mqtt_broker: int) -> Iterator[PlugSide]:
    side = PlugSide(mqtt_broker)
    yield side
    side.close()


@pytest.fixture
async def mqtt_entry(
    hass: HomeAssistant, mock_hass_config: None, mqtt_broker: int
) -> AsyncIterator[MockConfigEntry]:
    """HA's MQTT integration connected to the real broker."""
    entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": "127.0.0.1", "port": mqtt_broker},
        options={"birth_message": {}, "will_message": {}, "discovery": True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert await mqtt.async_wait_for_mqtt_client(hass)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def mqtt_plug(fake_plug: FakePlug) -> FakePlug:
    fake_plug.info["capabilities"].append("mqtt")
    fake_plug.config["mqtt"].update(enabled=True, host="127.0.0.1")
    return fake_plug
