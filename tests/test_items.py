"""Issue 14 items 4, 8, 10 and 11 through HA and the protocol-checked fake plug (each failed
before its fix); the firmware-side ones run against openbl602-sim in test_sim_items.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.openbl602_plug.const import DOMAIN

from .conftest import PlugSide, setup_entry, wait_for
from .fakeplug import FakePlug

POWER = "sensor.kettle_power"
SWITCH = "switch.kettle"


async def test_safe_mode_keeps_metering_values(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    """Item 4: safe mode keeps metering and the protections on (protocol §3), so its readings are
    real values, shown as such, not hidden as unknown."""
    fake_plug.state.update(safe_mode=True, power_w=42.0, current_a=0.19, apparent_power_va=44.0)
    await setup_entry(hass, plug_entry)
    assert hass.states.get(POWER).state == "42.0"
    assert hass.states.get("sensor.kettle_current").state != STATE_UNKNOWN
    assert hass.states.get("sensor.kettle_energy").state == "12.873"
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    fake_plug.push_state(safe_mode=True, power_w=5.0)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "5.0")


async def test_power_is_read_again_right_after_switching_on(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    """Item 8: the relay answer predates the first reading with the load on; the plug's next
    report waits for report.min_interval_s. HA reads once more instead of showing 0 W."""
    fake_plug.state.update(relay=False, power_w=0.0)
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    with patch("custom_components.openbl602_plug.coordinator.FOLLOW_UP_SECONDS", 0.1):
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
        assert hass.states.get(POWER).state == "0.0"
        # the meter has its reading now, but the plug does not push it yet
        fake_plug.state["power_w"] = 1500.0
        await wait_for(hass, lambda: hass.states.get(POWER).state == "1500.0", seconds=5)


async def test_a_refused_password_on_a_command_asks_again_without_a_traceback(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Item 10."""
    await setup_entry(hass, plug_entry)
    fake_plug.password = "changed-elsewhere"
    caplog.clear()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    assert any(
        flow["context"]["source"] == "reauth" for flow in hass.config_entries.flow.async_progress()
    )
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    assert not [r for r in ours if r.exc_info], "traceback logged"


async def test_the_event_stream_survives_an_unexpected_error(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    """Item 11: the SSE loop died for good on an unexpected exception while entities looked live."""
    from custom_components.openbl602_plug.client import OblHttpClient

    original = OblHttpClient.events
    calls = 0

    def flaky(self: OblHttpClient, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("bug")
        return original(self, *args, **kwargs)

    with (
        patch.object(OblHttpClient, "events", flaky),
        patch("custom_components.openbl602_plug.coordinator.PUSH_RETRY_MIN", 0.05),
    ):
        await setup_entry(hass, plug_entry)
        await wait_for(hass, lambda: fake_plug.stream_count == 1, seconds=10)
        fake_plug.push_state(power_w=77.0)
        await wait_for(hass, lambda: hass.states.get(POWER).state == "77.0")
        await hass.config_entries.async_unload(plug_entry.entry_id)


async def test_mqtt_silence_falls_back_to_server_sent_events(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Item 11: the plug publishes to another broker: nothing arrives over HA's MQTT."""
    with patch(
        "custom_components.openbl602_plug.coordinator.MQTT_SILENCE_FALLBACK",
        timedelta(seconds=0.3),
    ):
        await setup_entry(hass, plug_entry)
        coordinator = plug_entry.runtime_data.coordinator
        await wait_for(hass, lambda: mqtt_plug.stream_count == 1, seconds=10)
        assert coordinator.transport == "sse"
        assert "nothing from the plug on Home Assistant's MQTT broker" in caplog.text
        mqtt_plug.push_state(power_w=12.5)
        await wait_for(hass, lambda: hass.states.get(POWER).state == "12.5")
    await hass.config_entries.async_unload(plug_entry.entry_id)
    await hass.async_block_till_done()


async def test_mqtt_stays_when_the_plug_talks(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    from .fakeplug import STATE

    plug_side.publish("state", STATE, retain=True)
    with patch(
        "custom_components.openbl602_plug.coordinator.MQTT_SILENCE_FALLBACK",
        timedelta(seconds=5),
    ):
        await setup_entry(hass, plug_entry)
        coordinator = plug_entry.runtime_data.coordinator
        await wait_for(hass, lambda: coordinator.push_connected, seconds=5)
        await asyncio.sleep(5.5)
        await hass.async_block_till_done()
        assert coordinator.transport == "mqtt"
        assert mqtt_plug.stream_count == 0
    await hass.config_entries.async_unload(plug_entry.entry_id)
    await hass.async_block_till_done()


async def test_settings_changed_by_another_mqtt_client_are_read_again(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    """Item 5 over MQTT: the plug answers another client's config command on `result`."""
    from .fakeplug import STATE

    plug_side.publish("state", STATE, retain=True)
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: plug_entry.runtime_data.coordinator.push_connected)
    mqtt_plug.config["startup"] = "off"
    plug_side.publish("result", {"cmd": "config", "req": None, "ok": True, "error": None})
    await wait_for(hass, lambda: hass.states.get("select.kettle_power_on_state").state == "off")
    await hass.config_entries.async_unload(plug_entry.entry_id)
    await hass.async_block_till_done()


async def test_repair_issues_go_with_the_entry(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Item 11: a deleted plug's safe-mode issue stayed in Repairs."""
    fake_plug.state["safe_mode"] = True
    await setup_entry(hass, plug_entry)
    assert issue_registry.async_get_issue(DOMAIN, f"safe_mode_{plug_entry.entry_id}")
    await hass.config_entries.async_remove(plug_entry.entry_id)
    await hass.async_block_till_done()
    assert not issue_registry.issues


async def test_manufacturer_is_a_name(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Item 11: the device page showed the raw domain as manufacturer."""
    await setup_entry(hass, plug_entry)
    device = device_registry.async_get_device(identifiers={(DOMAIN, fake_plug.info["mac"])})
    assert device is not None
    assert device.manufacturer != DOMAIN


async def test_whole_number_settings_show_whole(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    """Item 11: 3680.0 W and 2.0 s."""
    await setup_entry(hass, plug_entry)
    assert hass.states.get(f"{NUMBER_DOMAIN}.kettle_over_power_limit").state == "3680"
    assert hass.states.get(f"{NUMBER_DOMAIN}.kettle_protection_delay").state == "2"
