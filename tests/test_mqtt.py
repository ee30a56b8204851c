"""MQTT transport and MQTT discovery through HA's real MQTT integration and a real Mosquitto."""

from __future__ import annotations

import subprocess

from homeassistant.config_entries import SOURCE_MQTT, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import PlugSide, setup_entry, wait_for
from .fakeplug import STATE, FakePlug

POWER = "sensor.kettle_power"


async def test_state_status_and_events_arrive_over_mqtt(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    plug_side.publish("status", "online", retain=True)
    plug_side.publish("state", STATE | {"power_w": 42.0}, retain=True)
    await setup_entry(hass, plug_entry)
    coordinator = plug_entry.runtime_data.coordinator
    assert coordinator.transport == "mqtt"
    assert mqtt_plug.stream_count == 0  # no server-sent events when MQTT carries the state
    await wait_for(hass, lambda: hass.states.get(POWER).state == "42.0")
    assert coordinator.push_connected
    assert coordinator.update_interval is None

    plug_side.publish("state", "{broken")
    plug_side.publish("status", "sleepy")
    plug_side.publish("event", {"type": "rain"})
    plug_side.publish("event", {"type": "button", "action": "long"})
    await wait_for(
        hass, lambda: hass.states.get("event.kettle_button").attributes["event_type"] == "long"
    )
    plug_side.publish("event", {"type": "ota", "state": "receiving", "progress": 10})
    await wait_for(hass, lambda: coordinator.ota.progress == 10)

    # last will: the plug is gone, entities go unavailable at once
    await mqtt_plug.stop()
    plug_side.publish("status", "offline", retain=True)
    await wait_for(hass, lambda: hass.states.get(POWER).state == STATE_UNAVAILABLE)
    assert not coordinator.push_connected
    await mqtt_plug.start(mqtt_plug.port)
    mqtt_plug.state["power_w"] = 43.5
    plug_side.publish("status", "online", retain=True)
    plug_side.publish("state", STATE | {"power_w": 43.5}, retain=True)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "43.5")

    assert await hass.config_entries.async_unload(plug_entry.entry_id)
    await hass.async_block_till_done()


async def test_without_ha_mqtt_the_plug_uses_server_sent_events(
    hass: HomeAssistant, mqtt_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    assert plug_entry.runtime_data.coordinator.transport == "sse"
    await wait_for(hass, lambda: mqtt_plug.stream_count == 1)


async def test_retained_info_starts_discovery(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    fake_plug: FakePlug,
    plug_side: PlugSide,
) -> None:
    plug_side.publish(
        "info", fake_plug.info | {"http": f"http://127.0.0.1:{fake_plug.port}"}, retain=True
    )

    def discovered() -> list:
        return [
            flow
            for flow in hass.config_entries.flow.async_progress_by_handler("openbl602_plug")
            if flow["context"]["source"] == SOURCE_MQTT
        ]

    await wait_for(hass, lambda: bool(discovered()))
    flow = discovered()[0]
    assert flow["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"protect": False})
    assert result["type"] == "create_entry"
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data == {"host": "127.0.0.1", "port": fake_plug.port}
    await hass.config_entries.async_unload(entry.entry_id)
    plug_side.publish("info", "", retain=True)  # clear the retained message


async def test_broker_loss_falls_back_to_polling(
    hass: HomeAssistant,
    mqtt_broker_proc: tuple[int, subprocess.Popen[bytes]],
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    """HA's broker is gone: the plug's event stream stands in (a plug without one is polled
    every second, tests/test_push_fallback.py)."""
    plug_side.publish("status", "online", retain=True)
    plug_side.publish("state", STATE | {"power_w": 42.0}, retain=True)
    await setup_entry(hass, plug_entry)
    coordinator = plug_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.push_connected)
    plug_side.close()
    mqtt_broker_proc[1].terminate()
    mqtt_broker_proc[1].wait(5)
    # the plug itself is fine: its event stream carries push while HA's broker is gone (#16)
    await wait_for(hass, lambda: mqtt_plug.stream_count == 1)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "115.2")
    assert coordinator.push_connected
    assert await hass.config_entries.async_unload(plug_entry.entry_id)
