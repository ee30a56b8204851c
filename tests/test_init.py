"""Setup, unload, reload, availability and push of a plug entry."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .fakeplug import FakePlug


async def test_setup_and_unload(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    plug_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(plug_entry.entry_id)
    await hass.async_block_till_done()
    assert plug_entry.state is ConfigEntryState.LOADED
    state = hass.states.get("sensor.kettle_power")
    assert state is not None, hass.states.async_entity_ids()
    assert state.state == "115.2"
    assert hass.states.get("switch.kettle").state == "on"
    assert await hass.config_entries.async_unload(plug_entry.entry_id)
    await hass.async_block_till_done()
    assert plug_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("switch.kettle").state == STATE_UNAVAILABLE
