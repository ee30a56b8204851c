"""Every platform's entities (snapshots) and what each does on the plug."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .conftest import setup_entry, wait_for
from .fakeplug import FakePlug


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.BUTTON,
        Platform.EVENT,
        Platform.NUMBER,
        Platform.SELECT,
        Platform.SENSOR,
        Platform.SWITCH,
        Platform.UPDATE,
    ],
)
async def test_platform_snapshot(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
    platform: Platform,
) -> None:
    freezer.move_to("2026-11-24T12:00:00+00:00")
    await setup_entry(hass, plug_entry, [platform])
    await snapshot_platform(hass, entity_registry, snapshot, plug_entry.entry_id)


async def test_noisy_entities_are_disabled_by_default(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    await setup_entry(hass, plug_entry)
    for entity_id in (
        "sensor.kettle_signal_strength",
        "sensor.kettle_apparent_power",
        "sensor.kettle_power_factor",
    ):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert entity_registry.async_get("sensor.kettle_power").disabled_by is None


async def test_a_plug_without_capabilities_gets_only_what_it_has(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    fake_plug.info["capabilities"] = ["relay", "events"]
    await setup_entry(hass, plug_entry)
    ids = hass.states.async_entity_ids()
    assert "switch.kettle" in ids
    assert "sensor.kettle_power" not in ids
    assert "sensor.kettle_energy" not in ids
    assert "update.kettle_firmware" not in ids
    assert "binary_sensor.kettle_protection_tripped" not in ids
    assert "number.kettle_over_power_limit" not in ids
    assert "select.kettle_led_mode" not in ids
    assert "select.kettle_power_on_state" in ids


async def test_stale_voltage_and_unknown_rssi_are_not_reported_as_values(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    fake_plug.state["stale"] = {"voltage": True, "current": True}
    fake_plug.state["rssi_dbm"] = 0
    fake_plug.state["reset_reason"] = "cosmic_ray"
    await setup_entry(hass, plug_entry)
    assert hass.states.get("sensor.kettle_voltage").state == "unknown"
    assert hass.states.get("sensor.kettle_current").state == "unknown"
    assert hass.states.get("sensor.kettle_reset_reason").state == "unknown"


async def test_boot_time_moves_only_on_a_real_reboot(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    boot = hass.states.get("sensor.kettle_last_boot").state
    expected = dt_util.utcnow() - timedelta(seconds=86400)
    assert abs(dt_util.parse_datetime(boot) - expected) < timedelta(seconds=5)
    fake_plug.push_state(uptime_s=86405, power_w=3.0)  # request jitter, not a reboot
    await wait_for(hass, lambda: hass.states.get("sensor.kettle_power").state == "3.0")
    assert hass.states.get("sensor.kettle_last_boot").state == boot
    fake_plug.push_state(uptime_s=3, reset_reason="watchdog")
    await wait_for(hass, lambda: hass.states.get("sensor.kettle_reset_reason").state == "watchdog")
    rebooted = dt_util.parse_datetime(hass.states.get("sensor.kettle_last_boot").state)
    assert abs(rebooted - (dt_util.utcnow() - timedelta(seconds=3))) < timedelta(seconds=5)


async def test_relay_switch_shows_what_the_plug_answers(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: "switch.kettle"}, blocking=True
    )
    assert fake_plug.requests[-1] == ("POST", "/api/v1/relay", {"on": False})
    assert hass.states.get("switch.kettle").state == "off"
    assert hass.states.get("sensor.kettle_power").state == "0.0"
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.kettle"}, blocking=True
    )
    assert hass.states.get("switch.kettle").state == "on"


async def test_tripped_protection(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    fake_plug.state.update(tripped="overpower", relay=False)
    await setup_entry(hass, plug_entry)
    state = hass.states.get("binary_sensor.kettle_protection_tripped")
    assert state.state == "on"
    assert state.attributes["cause"] == "overpower"
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.kettle"}, blocking=True
    )
    assert hass.states.get("binary_sensor.kettle_protection_tripped").state == "off"


async def test_startup_select_round_trip_through_the_plug(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    entity_id = "select.kettle_power_on_state"
    assert hass.states.get(entity_id).state == "restore"
    for option in ("off", "on", "toggle", "restore"):
        await hass.services.async_call(
            "select", "select_option", {ATTR_ENTITY_ID: entity_id, "option": option}, blocking=True
        )
        assert fake_plug.config["startup"] == option
        assert hass.states.get(entity_id).state == option
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: "select.kettle_led_mode", "option": "inverted"},
        blocking=True,
    )
    assert fake_plug.config["led"] == "inverted"


async def test_select_shows_unknown_for_a_value_newer_firmware_added(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    fake_plug.config["led"] = "rainbow"
    await setup_entry(hass, plug_entry)
    assert hass.states.get("select.kettle_led_mode").state == "unknown"


async def test_protection_limit_number(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    entity_id = "number.kettle_over_power_limit"
    assert hass.states.get(entity_id).state == "3680"  # whole numbers shown whole (item 11)
    await hass.services.async_call(
        "number", "set_value", {ATTR_ENTITY_ID: entity_id, "value": 2000}, blocking=True
    )
    assert fake_plug.config["protection"]["max_power_w"] == 2000
    assert hass.states.get(entity_id).state == "2000"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: entity_id, "value": 5}, blocking=True
        )
    assert err.value.translation_key == "plug_refused"
    assert err.value.translation_placeholders["field"] == "protection.max_power_w"
    assert hass.states.get(entity_id).state == "2000"
    await hass.services.async_call(
        "number",
        "set_value",
        {ATTR_ENTITY_ID: "number.kettle_over_current_limit", "value": 10.5},
        blocking=True,
    )
    assert fake_plug.config["protection"]["max_current_a"] == 10.5


@pytest.mark.parametrize(
    ("entity_id", "path"),
    [
        ("button.kettle_restart", "/api/v1/reboot"),
        ("button.kettle_identify", "/api/v1/identify"),
    ],
)
async def test_buttons(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    entity_id: str,
    path: str,
) -> None:
    await setup_entry(hass, plug_entry)
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: entity_id}, blocking=True)
    assert fake_plug.requests[-1][:2] == ("POST", path)


async def test_command_errors_are_translated(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    fake_plug.command_error = (503, "busy", None)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "button", "press", {ATTR_ENTITY_ID: "button.kettle_identify"}, blocking=True
        )
    assert err.value.translation_key == "plug_error"
    fake_plug.command_error = (409, "conflict", None)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "switch", "turn_on", {ATTR_ENTITY_ID: "switch.kettle"}, blocking=True
        )
    fake_plug.command_error = None
    fake_plug.password = "changed-on-the-plug"
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "select",
            "select_option",
            {ATTR_ENTITY_ID: "select.kettle_power_on_state", "option": "on"},
            blocking=True,
        )
    assert err.value.translation_key == "auth_failed"
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress()
    )
    await fake_plug.stop()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", "turn_off", {ATTR_ENTITY_ID: "switch.kettle"}, blocking=True
        )
    assert err.value.translation_key == "cannot_connect"


async def test_button_lock_switch(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    entity_id = "switch.kettle_button_controls_relay"
    assert hass.states.get(entity_id).state == "on"
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: entity_id}, blocking=True)
    assert fake_plug.requests[-1] == ("PATCH", "/api/v1/config", {"button": {"enabled": False}})
    assert fake_plug.config["button"] == {
        "enabled": False,
        "double_press": True,
        "long_press_ms": 1000,
        "setup_hold_s": 10,
    }
    assert hass.states.get(entity_id).state == "off"
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: entity_id}, blocking=True)
    assert hass.states.get(entity_id).state == "on"
    assert hass.states.get("switch.kettle").state == "on"  # the relay did not move


async def test_protection_timing_numbers(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    await hass.services.async_call(
        "number",
        "set_value",
        {ATTR_ENTITY_ID: "number.kettle_protection_delay", "value": 5},
        blocking=True,
    )
    await hass.services.async_call(
        "number",
        "set_value",
        {ATTR_ENTITY_ID: "number.kettle_auto_re_close_after_trip", "value": 300},
        blocking=True,
    )
    assert fake_plug.config["protection"]["hold_s"] == 5
    assert fake_plug.config["protection"]["reclose_s"] == 300
    assert hass.states.get("number.kettle_auto_re_close_after_trip").state == "300"
    # a fraction for a whole-second field is refused here, not sent as 2.5 (issue 14 item 2)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "number",
            "set_value",
            {ATTR_ENTITY_ID: "number.kettle_protection_delay", "value": 2.5},
            blocking=True,
        )
    assert err.value.translation_key == "whole_number"
    assert fake_plug.config["protection"]["hold_s"] == 5


async def test_trip_lockout_is_shown_refuses_on_and_is_cleared_by_the_button(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    """Issue 13: the trip lockout (protocol §3) is exposed in HA."""
    fake_plug.state.update(lockout=True, tripped="overpower", relay=False)
    await setup_entry(hass, plug_entry)
    assert hass.states.get("binary_sensor.kettle_lockout").state == "on"
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", "turn_on", {ATTR_ENTITY_ID: "switch.kettle"}, blocking=True
        )
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "locked_out"
    assert hass.states.get("switch.kettle").state == "off"
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: "button.kettle_clear_lockout"}, blocking=True
    )
    assert fake_plug.requests[-1] == ("POST", "/api/v1/relay", {"clear_lockout": True})
    assert hass.states.get("binary_sensor.kettle_lockout").state == "off"
    assert hass.states.get("switch.kettle").state == "off"  # clearing does not switch on
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.kettle"}, blocking=True
    )
    assert hass.states.get("switch.kettle").state == "on"


async def test_firmware_without_lockout_gets_no_lockout_entities(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    del fake_plug.state["lockout"]
    await setup_entry(hass, plug_entry)
    ids = hass.states.async_entity_ids()
    assert "binary_sensor.kettle_protection_tripped" in ids
    assert "binary_sensor.kettle_lockout" not in ids
    assert "button.kettle_clear_lockout" not in ids
