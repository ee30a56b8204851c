"""Issue 14 items whose first tests used the protocol-checked fake plug, again against the real
firmware (openbl602-sim) and, where it matters, a real Mosquitto.

- 1(b): reloads and saved options while the plug pushes over MQTT (retained state on the broker,
  a fresh HTTP reading at setup) never lower HA's energy and raise no repair;
- 4: in safe mode HA shows the plug's real readings (metering stays on), not zeros;
- 6: an announcement naming another plug's address moves nothing.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from homeassistant.components import mqtt
from homeassistant.config_entries import SOURCE_MQTT, SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.openbl602_plug.const import CONF_FIRMWARE_MANIFEST, DOMAIN

from .conftest import SimPlug, wait_for


async def _add(hass: HomeAssistant, sim: SimPlug, protect: bool = False) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": sim.host, "port": sim.http_port, "protect": protect}
    )
    if result.get("step_id") == "password_created":
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] == "create_entry", result
    entry = result["result"]
    hass.config_entries.async_update_entry(entry, options={CONF_FIRMWARE_MANIFEST: ""})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def _entity(hass: HomeAssistant, entry: Any, domain: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, f"{entry.unique_id}_{key}")
    assert entity_id is not None, key
    return entity_id


def _repairs(hass: HomeAssistant) -> list[str]:
    return [i.issue_id for (domain, _), i in ir.async_get(hass).issues.items() if domain == DOMAIN]


def _sim_info(sim: SimPlug) -> dict[str, Any]:
    url = f"http://127.0.0.1:{sim.http_port}/api/v1/info"
    with urllib.request.urlopen(url, timeout=5) as resp:
        info: dict[str, Any] = json.load(resp)
    return info


async def test_reloads_and_options_over_mqtt_never_lower_the_energy(
    hass: HomeAssistant,
    mock_hass_config: None,
    sim_factory: Callable[..., SimPlug],
    mqtt_broker: int,
) -> None:
    mqtt_entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": "127.0.0.1", "port": mqtt_broker},
        options={"birth_message": {}, "will_message": {}, "discovery": True},
    )
    mqtt_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    assert await mqtt.async_wait_for_mqtt_client(hass)
    # 10 Wh a second of plug time: the broker's retained state falls behind within a second
    sim = sim_factory("mqttenergy", mqtt_port=mqtt_broker, load="3600W", time_scale=10)
    entry = await _add(hass, sim)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.transport == "mqtt", seconds=20)
    energy = _entity(hass, entry, "sensor", "energy")
    relay = _entity(hass, entry, "switch", "relay")
    seen: list[float] = []

    @callback  # on the event loop, in order (a plain function runs in the executor)
    def record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] != energy or new is None:
            return
        if new.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            seen.append(float(new.state))

    hass.bus.async_listen("state_changed", record)
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    for round_ in range(4):
        shown = len(seen)
        await wait_for(hass, lambda s=shown: len(seen) > s, seconds=30)
        if round_ % 2:
            manifest = f"manifest-{round_}.json"  # saving options reloads the entry
            hass.config_entries.async_update_entry(
                entry, options={CONF_FIRMWARE_MANIFEST: manifest}
            )
        else:
            assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
    shown = len(seen)
    await wait_for(hass, lambda: len(seen) > shown, seconds=30)
    assert all(b >= a for a, b in pairwise(seen)), seen
    assert _repairs(hass) == []
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_unload(mqtt_entry.entry_id)
    await hass.async_block_till_done()


def _crash_until_safe_mode(sim: SimPlug) -> dict[str, Any]:
    """Four boots in a row that end early make the fifth safe (protocol §3)."""
    for _boot in range(4):
        os.kill(sim.proc.pid, signal.SIGABRT)  # OBL_CRASH_RESETS: re-executed, same pid
        time.sleep(0.5)
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{sim.http_port}/api/v1/state", timeout=2
                ) as resp:
                    state: dict[str, Any] = json.load(resp)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    return state


async def test_safe_mode_shows_the_real_readings(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBL_CRASH_RESETS", "1")  # a crash signal resets the sim (protocol §12)
    sim = sim_factory("safesim", load="500W")
    entry = await _add(hass, sim)
    relay = _entity(hass, entry, "switch", "relay")
    startup = _entity(hass, entry, "select", "startup")
    await hass.services.async_call(
        "select", "select_option", {ATTR_ENTITY_ID: startup, "option": "on"}, blocking=True
    )
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    state = await hass.async_add_executor_job(_crash_until_safe_mode, sim)
    assert state["safe_mode"] is True
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.data.safe_mode, seconds=60)
    power = _entity(hass, entry, "sensor", "power")
    current = _entity(hass, entry, "sensor", "current")

    def reading(entity_id: str) -> float:
        value = hass.states.get(entity_id).state
        return float(value) if value not in (STATE_UNKNOWN, STATE_UNAVAILABLE) else -1.0

    # the relay came back on (startup "on"); the meter reads the load, and HA shows it
    await wait_for(hass, lambda: reading(power) > 400 and reading(current) > 0, seconds=30)
    assert reading(power) == pytest.approx(500, rel=0.05)
    assert reading(current) == pytest.approx(500 / 230, rel=0.05)
    assert "safe_mode" in " ".join(_repairs(hass))  # the one repair that is due
    await hass.config_entries.async_unload(entry.entry_id)


async def test_an_announcement_pointing_at_another_real_plug_moves_nothing(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    ours, other = sim_factory("oursim"), sim_factory("othersim")
    entry = await _add(hass, ours, protect=True)
    before = dict(entry.data)
    info = await hass.async_add_executor_job(_sim_info, ours)
    # an unauthenticated MQTT info message in our plug's name, with the other plug's address
    payload = json.dumps(info | {"http": f"http://127.0.0.1:{other.http_port}"})
    announcement = MqttServiceInfo(
        topic="openbl602/oursim/info",
        payload=payload,
        qos=1,
        retain=True,
        subscribed_topic="openbl602/+/info",
        timestamp=0,
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=announcement
    )
    assert result["reason"] == "wrong_device"
    assert entry.data == before
    # the other plug was not handed our password: it is still open, nobody locked it
    other_info = await hass.async_add_executor_job(_sim_info, other)
    assert other_info["auth"] is False
    await hass.config_entries.async_unload(entry.entry_id)
