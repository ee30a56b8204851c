"""The integration against the real firmware core (openbl602-sim): what users do, end to end.

Needs the simulated plug: fails when OBL_SIM names a missing binary (scripts/test sets it), skips
when OBL_SIM is unset and the default build is absent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from homeassistant.components import mqtt
from homeassistant.config_entries import SOURCE_MQTT, SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.openbl602_plug.client import OblHttpClient
from custom_components.openbl602_plug.const import CONF_FIRMWARE_MANIFEST, DOMAIN

from .conftest import SimPlug, wait_for
from .images import obli


async def _add_sim(hass: HomeAssistant, sim: SimPlug) -> MockConfigEntry:
    """Add the plug through the config flow, as a user would."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": sim.host, "port": sim.http_port, "protect": False}
    )
    assert result["type"] == "create_entry", result
    entry = result["result"]
    hass.config_entries.async_update_entry(entry, options={CONF_FIRMWARE_MANIFEST: ""})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def _entity(hass: HomeAssistant, entry: MockConfigEntry, domain: str, key: str) -> str:
    from homeassistant.helpers import entity_registry as er

    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(domain, DOMAIN, f"{entry.unique_id}_{key}")
    assert entity_id is not None, key
    return entity_id


def _number(hass: HomeAssistant, entity_id: str) -> float | None:
    state = hass.states.get(entity_id)
    try:
        return float(state.state) if state else None
    except ValueError:
        return None


async def test_sim_plug_relay_metering_and_push(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("hasim", load="60W")
    entry = await _add_sim(hass, sim)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.transport == "sse"
    relay = _entity(hass, entry, "switch", "relay")
    power = _entity(hass, entry, "sensor", "power")
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    assert hass.states.get(relay).state == "on"
    await wait_for(hass, lambda: (_number(hass, power) or 0) > 50, seconds=20)
    assert _number(hass, power) == pytest.approx(60, rel=0.1)
    # a load change reaches HA by push, not by polling
    assert (await sim.control("load 150")).startswith("ok")
    await wait_for(hass, lambda: (_number(hass, power) or 0) > 140, seconds=20)
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: relay}, blocking=True)
    assert hass.states.get(relay).state == "off"
    assert _number(hass, power) == 0
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.unique_id)})
    assert device is not None
    assert device.sw_version == coordinator.info.firmware
    await hass.config_entries.async_unload(entry.entry_id)


async def test_startup_state_select_round_trip_through_the_sim(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("startsim")
    entry = await _add_sim(hass, sim)
    select = _entity(hass, entry, "select", "startup")
    async with aiohttp.ClientSession() as session:
        reader = OblHttpClient(session, sim.host, sim.http_port)
        for option in ("off", "on", "toggle", "restore"):
            await hass.services.async_call(
                "select", "select_option", {ATTR_ENTITY_ID: select, "option": option}, blocking=True
            )
            assert hass.states.get(select).state == option
            assert (await reader.config())["startup"] == option
    await hass.config_entries.async_unload(entry.entry_id)


async def test_sim_calibration_with_the_relay_off_is_refused(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("calsim")
    entry = await _add_sim(hass, sim)
    relay = _entity(hass, entry, "switch", "relay")
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: relay}, blocking=True)
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.unique_id)})
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "calibrate", {"device_id": device.id, "power_w": 60}, blocking=True
        )
    assert err.value.translation_key == "plug_refused"
    assert err.value.translation_placeholders["code"] == "conflict"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_sim_unreachable_and_back(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("netsim")
    entry = await _add_sim(hass, sim)
    relay = _entity(hass, entry, "switch", "relay")
    assert (await sim.control("net down")).startswith("ok")
    await wait_for(hass, lambda: hass.states.get(relay).state == STATE_UNAVAILABLE, seconds=90)
    assert (await sim.control("net up")).startswith("ok")
    await wait_for(hass, lambda: hass.states.get(relay).state != STATE_UNAVAILABLE, seconds=90)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_sim_wrong_board_image_never_reaches_the_plug(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug], tmp_path: Path
) -> None:
    sim = sim_factory("otasim")
    entry = await _add_sim(hass, sim)
    board = entry.runtime_data.coordinator.info.image_board
    image = obli(board="not-" + board, version="9.0.0")
    (tmp_path / "img.obli").write_bytes(image)
    manifest = {
        "version": "9.0.0",
        "images": [
            {
                "board": board,
                "url": "img.obli",
                "sha256": hashlib.sha256(image).hexdigest(),
                "size": len(image),
            }
        ],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    hass.config_entries.async_update_entry(
        entry, options={CONF_FIRMWARE_MANIFEST: str(tmp_path / "manifest.json")}
    )
    await hass.async_block_till_done()
    await entry.runtime_data.firmware.async_refresh()
    await hass.async_block_till_done()
    update = _entity(hass, entry, "update", "firmware")
    assert hass.states.get(update).state == "on"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call("update", "install", {ATTR_ENTITY_ID: update}, blocking=True)
    assert err.value.translation_key == "wrong_board"
    async with aiohttp.ClientSession() as session:
        status = await OblHttpClient(session, sim.host, sim.http_port).ota_status()
    assert status.state.value == "idle"  # nothing was uploaded
    await hass.config_entries.async_unload(entry.entry_id)


async def test_sim_discovered_over_mqtt_and_pushing_over_mqtt(
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
    sim_factory("mqttsim", mqtt_port=mqtt_broker, load="60W")

    def flows() -> list:
        return [
            flow
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            if flow["context"]["source"] == SOURCE_MQTT
        ]

    await wait_for(hass, lambda: bool(flows()), seconds=20)
    result = await hass.config_entries.flow.async_configure(
        flows()[0]["flow_id"], {"protect": False}
    )
    assert result["type"] == "create_entry"
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.transport == "mqtt"
    await wait_for(hass, lambda: entry.runtime_data.coordinator.push_connected, seconds=20)
    relay = _entity(hass, entry, "switch", "relay")
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: relay}, blocking=True)
    await wait_for(hass, lambda: hass.states.get(relay).state == "off")
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_unload(mqtt_entry.entry_id)
    await hass.async_block_till_done()


async def test_sim_firmware_update_end_to_end(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug], tmp_path: Path
) -> None:
    """Install from a release manifest on disk; progress from the plug; plug reboots into it."""
    sim = sim_factory("updsim")
    entry = await _add_sim(hass, sim)
    info = entry.runtime_data.coordinator.info
    # protocol §2: the pin-map "board" is not what OTA images name; "ota_board" is
    assert info.raw["ota_board"] == "posix-sim"
    assert info.image_board == "posix-sim" != info.board
    image = obli(board=info.image_board, version="9.1.0", payload=b"\x5a" * 50000)
    (tmp_path / "img.obli").write_bytes(image)
    manifest = {
        "version": "9.1.0",
        "release_notes": "test release",
        "images": [
            {
                "board": info.image_board,
                "url": "img.obli",
                "sha256": hashlib.sha256(image).hexdigest(),
                "size": len(image),
            }
        ],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    hass.config_entries.async_update_entry(
        entry, options={CONF_FIRMWARE_MANIFEST: str(tmp_path / "manifest.json")}
    )
    await hass.async_block_till_done()
    await entry.runtime_data.firmware.async_refresh()
    await hass.async_block_till_done()
    update = _entity(hass, entry, "update", "firmware")
    await hass.services.async_call("update", "install", {ATTR_ENTITY_ID: update}, blocking=True)
    state = hass.states.get(update)
    assert state.attributes["installed_version"] == "9.1.0"
    assert state.state == "off"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_sim_found_by_mdns_is_added_through_the_zeroconf_step(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    """The plug's real mDNS answer, resolved with python-zeroconf as HA does, drives the flow."""
    from ipaddress import ip_address

    from homeassistant.config_entries import SOURCE_ZEROCONF
    from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
    from zeroconf import IPVersion
    from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

    sim = sim_factory("mdnssim")
    service = "_openbl602._tcp.local."
    azc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        found = AsyncServiceInfo(service, f"openbl602-mdnssim.{service}")
        resolved = False
        for _ in range(3):
            if resolved := await found.async_request(azc.zeroconf, 3000):
                break
        assert resolved, "the plug did not answer mDNS"
    finally:
        await azc.async_close()
    assert found.port == sim.http_port
    discovery = ZeroconfServiceInfo(
        ip_address=ip_address(sim.host),
        ip_addresses=[ip_address(sim.host)],
        hostname=found.server or "",
        name=found.name,
        port=found.port,
        type=service,
        properties={
            k.decode(): v.decode() if v is not None else None for k, v in found.properties.items()
        },
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=discovery
    )
    assert result["step_id"] == "discovery_confirm", result
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"protect": False})
    assert result["type"] == "create_entry"
    entry = result["result"]
    assert entry.unique_id == entry.runtime_data.coordinator.info.mac
    await hass.config_entries.async_unload(entry.entry_id)
