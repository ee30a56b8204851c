"""A broker restart against the real firmware core (openbl602-sim), real Mosquitto and HA's real
MQTT integration (issue #16): the plug answers HTTP throughout, so its entities stay available
and its power stays current while HA's MQTT client is away, and MQTT carries it again after.

Needs the simulated plug (see tests/test_sim_ha.py).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.components import mqtt
from homeassistant.const import ATTR_ENTITY_ID, EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import SimPlug, _wait_port, wait_for
from .test_sim_ha import _add_sim, _entity, _number


def _start_broker(port: int, args: Any) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(port, proc, "mosquitto")
    return proc


async def test_sim_broker_restart_keeps_the_plug_available_and_current(
    hass: HomeAssistant,
    mock_hass_config: None,
    sim_factory: Callable[..., SimPlug],
    mqtt_broker_proc: tuple[int, subprocess.Popen[bytes]],
) -> None:
    port, broker = mqtt_broker_proc
    mqtt_entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": "127.0.0.1", "port": port},
        options={"birth_message": {}, "will_message": {}, "discovery": False},
    )
    mqtt_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    assert await mqtt.async_wait_for_mqtt_client(hass)
    sim = sim_factory("brokersim", mqtt_port=port, load="100W")
    entry = await _add_sim(hass, sim)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.transport == "mqtt"
    await wait_for(hass, lambda: coordinator.push_connected, seconds=20)
    power = _entity(hass, entry, "sensor", "power")
    relay = _entity(hass, entry, "switch", "relay")
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    await wait_for(hass, lambda: _number(hass, power) == pytest.approx(100, rel=0.05), seconds=20)

    gone: list[str] = []

    def on_change(event: Event[Any]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == STATE_UNAVAILABLE:
            gone.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    broker.terminate()
    broker.wait(5)
    # HA's MQTT client is disconnected (it retries every 10 s): the load change still arrives
    assert (await sim.control("load 700")).startswith("ok")
    await wait_for(hass, lambda: _number(hass, power) == pytest.approx(700, rel=0.05), seconds=4)

    again = _start_broker(port, broker.args)
    try:
        # both the plug and HA reconnect; the first message from the plug ends the fallback
        await wait_for(
            hass,
            lambda: mqtt.is_connected(hass) and not coordinator._session.fallback_active,
            seconds=40,
        )
        assert (await sim.control("load 250")).startswith("ok")
        await wait_for(
            hass, lambda: _number(hass, power) == pytest.approx(250, rel=0.05), seconds=10
        )
        assert gone == []
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.config_entries.async_unload(mqtt_entry.entry_id)
        await hass.async_block_till_done()
    finally:
        again.terminate()
        again.wait(5)
