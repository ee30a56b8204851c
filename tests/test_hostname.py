"""Plugs added by hostname, and unexpected errors that must end as a translated message.

issue 14 item 3: HA 2025.4.4 pins aiodns 3.2.0 and leaves pycares open; with pycares 5 every
hostname lookup raised, so "localhost" gave "Unknown error" (HTTP 500) and the release check logged
a traceback at every setup. requirements_test.txt pins pycares.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.openbl602_plug.const import CONF_FIRMWARE_MANIFEST, DOMAIN

from .conftest import SimPlug, setup_entry
from .fakeplug import FakePlug


async def test_plug_added_by_hostname_against_the_sim(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("hostsim")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "localhost", "port": sim.http_port, "protect": False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    assert entry.data["host"] == "localhost"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.energy_wh is not None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_release_manifest_by_hostname(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    manifest = {"version": "0.2.0", "images": [{"board": "sm-028-v1.3", "url": "x.obli"}]}
    fake_plug.files = {"manifest.json": json.dumps(manifest).encode()}
    plug_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        plug_entry,
        options={CONF_FIRMWARE_MANIFEST: f"http://localhost:{fake_plug.port}/fw/manifest.json"},
    )
    await setup_entry(hass, plug_entry)
    firmware = plug_entry.runtime_data.firmware
    await firmware.async_refresh()
    assert firmware.last_update_success, firmware.last_exception
    assert firmware.data is not None
    assert firmware.data.version == "0.2.0"
    await hass.config_entries.async_unload(plug_entry.entry_id)


async def test_unexpected_error_in_the_flow_is_translated_and_logged_once(
    hass: HomeAssistant, fake_plug: FakePlug, caplog: pytest.LogCaptureFixture
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch(
        "custom_components.openbl602_plug.client.OblHttpClient.info",
        side_effect=TypeError("resolver broke"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"host": fake_plug.host, "port": fake_plug.port}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    tracebacks = [
        r
        for r in caplog.records
        if r.exc_info and "resolver broke" in r.getMessage() + str(r.exc_info[1])
    ]
    assert len(tracebacks) == 1
    # the user can retry in the same flow once the cause is gone
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": fake_plug.host, "port": fake_plug.port, "protect": False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_broken_manifest_lookup_fails_without_a_traceback(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, plug_entry)
    firmware = plug_entry.runtime_data.firmware
    firmware.source = "http://releases.invalid/manifest.json"
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    with patch("aiohttp.ClientSession.get", side_effect=TypeError("resolver broke")):
        await firmware.async_refresh()
    assert not firmware.last_update_success
    assert not [r for r in caplog.records if r.exc_info], "traceback logged"
    assert any("resolver broke" in r.getMessage() for r in caplog.records)
    await hass.config_entries.async_unload(plug_entry.entry_id)
