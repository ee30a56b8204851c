"""Setup, unload, reload, availability, push and repairs of a plug entry."""

from __future__ import annotations

import logging

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.openbl602_plug import async_remove_config_entry_device
from custom_components.openbl602_plug.const import CONF_FIRMWARE_MANIFEST, DOMAIN

from .conftest import free_port, setup_entry, wait_for
from .fakeplug import FakePlug

POWER = "sensor.kettle_power"
ENERGY = "sensor.kettle_energy"
RELAY = "switch.kettle"


async def test_setup_unload_and_reload_leave_nothing_running(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    assert plug_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(POWER).state == "115.2"
    assert hass.states.get(RELAY).state == "on"
    coordinator = plug_entry.runtime_data.coordinator
    assert coordinator.transport == "sse"
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    assert coordinator.push_connected
    assert coordinator.update_interval is None  # no polling while push is up

    assert await hass.config_entries.async_reload(plug_entry.entry_id)
    await hass.async_block_till_done()
    assert plug_entry.state is ConfigEntryState.LOADED
    await wait_for(hass, lambda: fake_plug.stream_count == 1)

    assert await hass.config_entries.async_unload(plug_entry.entry_id)
    await hass.async_block_till_done()
    assert plug_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(RELAY).state == STATE_UNAVAILABLE
    await wait_for(hass, lambda: fake_plug.stream_count == 0)


async def test_device_registry_entry(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    await setup_entry(hass, plug_entry)
    device = device_registry.async_get_device(identifiers={(DOMAIN, "02a1b2c3d4e5")})
    assert device is not None
    assert device.connections == {(dr.CONNECTION_NETWORK_MAC, "02:a1:b2:c3:d4:e5")}
    assert (device.name, device.model, device.sw_version, device.hw_version) == (
        "Kettle",
        "BL602 BL0937 plug",
        "0.1.0",
        "SM-028_V1.3",
    )
    assert device.configuration_url == f"http://127.0.0.1:{fake_plug.port}"
    # The plug's own device cannot be removed by hand; a stale one can.
    assert not await async_remove_config_entry_device(hass, plug_entry, device)
    stale = device_registry.async_get_or_create(
        config_entry_id=plug_entry.entry_id, identifiers={(DOMAIN, "02ffffffffff")}
    )
    assert await async_remove_config_entry_device(hass, plug_entry, stale)


async def test_unreachable_plug_is_retried(
    hass: HomeAssistant, socket_enabled: None, plug_entry: MockConfigEntry
) -> None:
    plug_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        plug_entry, data={"host": "127.0.0.1", "port": free_port()}
    )
    await hass.config_entries.async_setup(plug_entry.entry_id)
    assert plug_entry.state is ConfigEntryState.SETUP_RETRY


async def test_unsupported_protocol_is_a_repair_issue(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    fake_plug.info["protocol"] = 2
    plug_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(plug_entry.entry_id)
    assert plug_entry.state is ConfigEntryState.SETUP_ERROR
    issue_id = f"unsupported_protocol_{plug_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "Kettle", "version": "2"}
    fake_plug.info["protocol"] = 1
    assert await hass.config_entries.async_reload(plug_entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_wrong_password_starts_reauth(hass: HomeAssistant, socket_enabled: None) -> None:
    plug = FakePlug(password="s3cret-pass")
    await plug.start()
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id="02a1b2c3d4e5",
            data={"host": plug.host, "port": plug.port, "password": "old"},
            options={CONF_FIRMWARE_MANIFEST: ""},
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_ERROR
        flows = hass.config_entries.flow.async_progress()
        assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    finally:
        await plug.stop()


async def test_pushed_state_reaches_entities(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    fake_plug.push_state(power_w=512.5, relay=True)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "512.5")
    fake_plug.push_state(relay=False, power_w=0.0)
    await wait_for(hass, lambda: hass.states.get(RELAY).state == "off")


async def test_malformed_events_are_ignored(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    fake_plug.push("state", {"relay": "maybe"})
    fake_plug.push("ota", {"state": "dancing"})
    fake_plug.push("weather", {"rain": True})
    fake_plug.push_state(power_w=7.0)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "7.0")
    assert "ignoring malformed state event" in caplog.text
    assert "ignoring malformed ota event" in caplog.text
    assert plug_entry.state is ConfigEntryState.LOADED


async def test_unavailable_while_unreachable_logged_once_each_way(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    port = fake_plug.port
    caplog.set_level(logging.INFO)
    caplog.clear()
    await fake_plug.stop()
    await wait_for(hass, lambda: hass.states.get(POWER).state == STATE_UNAVAILABLE)
    coordinator = plug_entry.runtime_data.coordinator
    assert not coordinator.push_connected
    assert coordinator.update_interval is not None  # polling while push is down
    # stays down through several retries, logged once
    await wait_for(hass, lambda: caplog.text.count("Error fetching") >= 1)
    await fake_plug.start(port)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "115.2", seconds=20)
    await wait_for(hass, lambda: coordinator.push_connected)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert sum("Error fetching" in m for m in messages) == 1
    assert sum("reachable again" in m or "recovered" in m for m in messages) == 1


async def test_password_changed_on_the_plug_starts_reauth(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    fake_plug.password = "new-password"
    fake_plug.drop_streams()
    await wait_for(
        hass,
        lambda: any(
            flow["context"]["source"] == SOURCE_REAUTH
            for flow in hass.config_entries.flow.async_progress()
        ),
    )


async def test_energy_null_is_unknown_never_zero(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Protocol §3: null energy (stored total unreadable) is unknown, not a drop to 0."""
    fake_plug.state["energy_wh"] = None
    await setup_entry(hass, plug_entry)
    assert hass.states.get(ENERGY).state == STATE_UNKNOWN
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    fake_plug.push_state(energy_wh=12873)
    await wait_for(hass, lambda: hass.states.get(ENERGY).state == "12.873")
    # the plug loses its store again: unknown, and no "counter went down" repair
    fake_plug.push_state(energy_wh=None, power_w=3.0)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "3.0")
    assert hass.states.get(ENERGY).state == STATE_UNKNOWN
    assert not issue_registry.async_get_issue(DOMAIN, f"energy_decreased_{plug_entry.entry_id}")
    fake_plug.push_state(energy_wh=12900)
    await wait_for(hass, lambda: hass.states.get(ENERGY).state == "12.9")


async def test_safe_mode_raises_and_clears_a_repair_issue(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    fake_plug.state["safe_mode"] = True
    await setup_entry(hass, plug_entry)
    issue_id = f"safe_mode_{plug_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    fake_plug.push_state(safe_mode=False)
    await wait_for(hass, lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is None)


async def test_safe_mode_repair_restarts_the_plug(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Protocol §5.9: a reboot sent in safe mode leaves it; the repair's fix sends that reboot."""
    fake_plug.state["safe_mode"] = True
    await setup_entry(hass, plug_entry)
    issue_id = f"safe_mode_{plug_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert await async_setup_component(hass, "repairs", {})
    from homeassistant.components.repairs import DOMAIN as REPAIRS
    from homeassistant.components.repairs.issue_handler import async_process_repairs_platforms

    await async_process_repairs_platforms(hass)
    flow_manager = hass.data[REPAIRS]["flow_manager"]
    flow = await flow_manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"]["name"]
    # an unreachable plug: the form stays, with the error, and nothing is lost
    fake_plug.command_error = (503, "busy", None)
    flow = await flow_manager.async_configure(flow["flow_id"], {})
    assert flow["type"] == "form"
    assert flow["errors"] == {"base": "cannot_connect"}
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    fake_plug.command_error = None
    fake_plug.requests.clear()
    flow = await flow_manager.async_configure(flow["flow_id"], {})
    assert flow["type"] == "create_entry"
    assert ("POST", "/api/v1/reboot", {}) in fake_plug.requests
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    # the plug comes back still in safe mode: the issue is raised again
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    fake_plug.push_state(safe_mode=True)
    await wait_for(hass, lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None)


async def test_button_gestures_become_events(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    fake_plug.push("button", {"action": "double"})
    await wait_for(
        hass,
        lambda: hass.states.get("event.kettle_button").attributes.get("event_type") == "double",
    )
    fake_plug.push("button", {"action": "quintuple"})  # unknown gestures are dropped
    fake_plug.push_state(power_w=1.0)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "1.0")
    assert hass.states.get("event.kettle_button").attributes["event_type"] == "double"


async def test_options_change_reloads(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    old = plug_entry.runtime_data
    hass.config_entries.async_update_entry(plug_entry, options={CONF_FIRMWARE_MANIFEST: "x.json"})
    await hass.async_block_till_done()
    assert plug_entry.state is ConfigEntryState.LOADED
    assert plug_entry.runtime_data is not old
    assert plug_entry.runtime_data.firmware.source == "x.json"


async def test_event_stream_reconnects_after_the_plug_closes_it(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    coordinator = plug_entry.runtime_data.coordinator
    reads = fake_plug.state_reads
    fake_plug.drop_streams()
    # while the stream is down a poll bridges the gap and the entities stay available
    await wait_for(hass, lambda: fake_plug.state_reads > reads)
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    await wait_for(hass, lambda: fake_plug.stream_count == 1 and coordinator.push_connected)
    assert coordinator.update_interval is None
    fake_plug.push_state(power_w=321.0)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "321.0")
