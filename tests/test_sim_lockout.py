"""The trip lockout in Home Assistant (issue 13), against the real firmware (openbl602-sim).

Three over-power trips within 10 minutes lock the relay off (protocol §3 `lockout`): HA shows it,
refuses to switch on with a translated error, and its Clear lockout button lifts it.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from custom_components.openbl602_plug.client import OblHttpClient

from .conftest import SimPlug, wait_for
from .test_sim_ha import _add_sim, _entity


async def test_repeated_trips_lock_the_relay_and_ha_clears_it(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("lockha", load="500W")
    async with aiohttp.ClientSession() as session:
        await OblHttpClient(session, sim.host, sim.http_port).patch_config(
            {"protection": {"max_power_w": 300, "hold_s": 1}}
        )
    entry = await _add_sim(hass, sim)
    relay = _entity(hass, entry, "switch", "relay")
    tripped = _entity(hass, entry, "binary_sensor", "tripped")
    lockout = _entity(hass, entry, "binary_sensor", "lockout")
    clear = _entity(hass, entry, "button", "clear_lockout")
    assert hass.states.get(lockout).state == "off"
    for _ in range(3):
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
        await wait_for(hass, lambda: hass.states.get(tripped).state == "on", seconds=20)
        await wait_for(hass, lambda: hass.states.get(relay).state == "off", seconds=20)
    await wait_for(hass, lambda: hass.states.get(lockout).state == "on", seconds=20)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    assert err.value.translation_key == "locked_out"
    assert hass.states.get(relay).state == "off"
    # a person looked at the load (a smaller one now) and clears the lockout from HA
    assert (await sim.control("load 100")).startswith("ok")
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: clear}, blocking=True)
    assert hass.states.get(lockout).state == "off"
    assert hass.states.get(relay).state == "off"  # clearing alone does not switch on
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    assert hass.states.get(relay).state == "on"
    await hass.config_entries.async_unload(entry.entry_id)
