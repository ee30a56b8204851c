"""The system under test: Mosquitto, simulated plugs and a real `hass` process, set up the way
scripts/demo does it (its HA preparation and config-flow code is reused, not copied)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import time
import urllib.error
from argparse import Namespace
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.e2e.plug import Broker, Sim, free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
HASS = ROOT / ".venv" / "bin" / "hass"


def _demo_ha() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_ha", ROOT / "scripts" / "demo_ha.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo_ha = _demo_ha()


class Plug:
    """A simulated plug with the names HA gives its entities (found through the registry)."""

    def __init__(self, sim: Sim, transport: str) -> None:
        self.sim = sim
        self.transport = transport  # as the table names it: MQTT or SSE
        self.mac = ""
        self.entities: list[str] = []
        self.power = ""
        self.relay = ""
        self.load_w = 0.0

    def set_load(self, watts: float) -> None:
        reply = self.sim.control(f"load {watts:g}")
        if not reply.startswith("ok"):
            raise RuntimeError(f"sim {self.sim.id}: load {watts:g}: {reply}")
        self.load_w = watts


class LoggedBroker(Broker):
    """Mosquitto as tests/e2e runs it, with its log kept (who disconnected, which will it sent)."""

    def __init__(self, binary: str, port: int, workdir: Path) -> None:
        super().__init__(binary, port, workdir)
        self.log = workdir / "logs" / "mosquitto.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_port(self.port, self.proc, "mosquitto")


class Stack:
    """Starts and stops everything; HA is configured through its public HTTP API only."""

    def __init__(self, workdir: Path, sim_binary: Path) -> None:
        self.workdir = workdir
        self.sim_binary = sim_binary
        shutil.rmtree(workdir, ignore_errors=True)
        (workdir / "logs").mkdir(parents=True)
        self.config = workdir / "config"
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.broker = LoggedBroker(mosquitto, free_port(), workdir)
        self.ha_port = free_port()
        self.base = f"http://127.0.0.1:{self.ha_port}"
        self.plugs: list[Plug] = []
        self.hass: subprocess.Popen[bytes] | None = None
        self.hass_started = 0.0
        self.rest: Any = None
        self.token = ""

    # -- processes ----------------------------------------------------------------------

    def add_plugs(self, count: int, transport: str) -> list[Plug]:
        new = []
        for _ in range(count):
            index = sum(1 for p in self.plugs if p.transport == transport.upper()) + 1
            sim = Sim(
                self.sim_binary,
                f"bench-{transport}-{index:03d}",
                self.workdir / "logs",
                load="0W",
                mqtt_port=self.broker.port if transport == "mqtt" else None,
                extra=("--mdns-port", "0"),
            )
            sim.start()
            plug = Plug(sim, transport.upper())
            self.plugs.append(plug)
            new.append(plug)
        return new

    def start_hass(self) -> None:
        if not (self.config / "configuration.yaml").exists():
            demo_ha.prepare(Namespace(config=str(self.config), ha_port=self.ha_port))
            yaml = self.config / "configuration.yaml"
            # The demo logs the integration at debug; the bench measures what users run.
            logger = "custom_components.openbl602_plug: "
            yaml.write_text(yaml.read_text().replace(logger + "debug", logger + "warning"))
        log = (self.workdir / "logs" / "home-assistant.log").open("ab")
        self.hass_started = time.time()
        self.hass = subprocess.Popen(
            [str(HASS), "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def stop_hass(self) -> None:
        if self.hass is not None and self.hass.poll() is None:
            self.hass.send_signal(signal.SIGTERM)
            try:
                self.hass.wait(60)
            except subprocess.TimeoutExpired:
                self.hass.kill()
                self.hass.wait(10)
        self.hass = None

    def stop(self) -> None:
        self.stop_hass()
        for plug in self.plugs:
            plug.sim.stop()
        self.broker.stop()

    # -- Home Assistant's configuration -------------------------------------------------

    def login(self, timeout: float) -> None:
        self.rest = demo_ha.HomeAssistant(self.base)
        self.rest.wait_up(timeout)
        self.rest.login()
        self.token = self.rest.token

    def add_mqtt(self) -> None:
        if not self.rest.entries("mqtt"):
            step = self.rest.flow("mqtt", [{"broker": "127.0.0.1", "port": self.broker.port}])
            if step.get("type") != "create_entry":
                raise RuntimeError(f"MQTT integration not added: {step}")

    def add_to_ha(self, plugs: list[Plug]) -> None:
        """As a user adds plugs in Settings > Devices: MQTT plugs by confirming their discovery,
        the others by address. (A plug added by address and discovered later gets its entry
        reloaded by HA, its entities briefly unavailable: that would disturb the measurements.)"""
        for plug in plugs:
            plug.mac = plug.sim.info()["mac"]
        waiting = {p.mac: p for p in plugs if p.transport == "MQTT"}
        deadline = time.monotonic() + 30 + len(waiting) / 2
        while waiting and time.monotonic() < deadline:
            for flow in self.rest.progress("openbl602_plug"):
                if flow.get("context", {}).get("unique_id") not in waiting:
                    continue
                url = f"/api/config/config_entries/flow/{flow['flow_id']}"
                try:
                    step = self.rest._request("POST", url, {"protect": False})
                except urllib.error.HTTPError:
                    continue  # a flow HA just finished; the next pass sees the result
                if step.get("type") == "create_entry":
                    waiting.pop(flow["context"]["unique_id"])
            if waiting:
                time.sleep(0.5)
        for plug in plugs:
            if plug.transport == "MQTT" and plug.mac not in waiting:
                continue
            try:
                step = self.rest.flow(
                    "openbl602_plug",
                    [{"host": "127.0.0.1", "port": plug.sim.http_port, "protect": False}],
                )
            except urllib.error.HTTPError as err:
                raise RuntimeError(f"adding {plug.sim.id}: HTTP {err.code}") from err
            if step.get("type") != "create_entry" and step.get("reason") != "already_configured":
                raise RuntimeError(f"adding {plug.sim.id}: {step}")

    def bind_entities(self, registry: list[dict[str, Any]]) -> None:
        for plug in self.plugs:
            mine = [
                e
                for e in registry
                if e.get("platform") == "openbl602_plug"
                and str(e.get("unique_id", "")).startswith(f"{plug.mac}_")
                and e.get("disabled_by") is None
            ]
            plug.entities = [e["entity_id"] for e in mine]
            for e in mine:
                if e["unique_id"] == f"{plug.mac}_power":
                    plug.power = e["entity_id"]
                if e["unique_id"] == f"{plug.mac}_relay":
                    plug.relay = e["entity_id"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """User + system CPU time per thread (ticks, like cpu_seconds): "event loop" for hass's main
    thread, "thread <tid>" for the others (Python 3.13 leaves every thread named "hass"). A thread
    that ended is missing: this attributes time, the process total is cpu_seconds."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        name = "event loop" if task.name == str(pid) else f"thread {task.name}"
        out[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
