"""Issue 14 items 4-11 against the real firmware (openbl602-sim) where the firmware is involved.

- 5: a setting changed by another client reaches HA's entities;
- 7: the README's double-press automation, run by HA's automation engine, fires on every double
  press the simulated button makes;
- 10: a planned restart logs no error and leaves the entities available.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import aiohttp
import pytest
import yaml
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.setup import async_setup_component

from custom_components.openbl602_plug.client import OblHttpClient

from .conftest import SimPlug, wait_for
from .test_sim_ha import _add_sim, _entity

README = Path(__file__).resolve().parent.parent / "custom_components/openbl602_plug/README.md"


def _readme_automations() -> list[dict]:
    block = re.search(r"```yaml\n(.*?)```", README.read_text(), re.S)
    assert block is not None
    return yaml.safe_load(block[1])["automation"]


async def test_readme_double_press_automation_fires_every_time(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("dblsim")
    entry = await _add_sim(hass, sim)
    button = _entity(hass, entry, "event", "button")
    automation = next(a for a in _readme_automations() if "double" in a["alias"])
    # the README's entity ids are examples; point it at this plug and count what it does
    text = yaml.safe_dump(automation).replace("event.kettle_button", button)
    automation = yaml.safe_load(text)
    automation["actions"] = [{"action": "test.fired"}]
    calls: list[ServiceCall] = []
    hass.services.async_register("test", "fired", calls.append)
    assert await async_setup_component(hass, "automation", {"automation": [automation]})
    await hass.async_block_till_done()
    for presses in (1, 2, 3):
        assert (await sim.control("double")).startswith("ok")
        await wait_for(hass, lambda n=presses: len(calls) == n, seconds=15)
    # a single press is not a double press
    assert (await sim.control("press")).startswith("ok")
    await wait_for(
        hass, lambda: hass.states.get(button).attributes["event_type"] == "single", seconds=15
    )
    await hass.async_block_till_done()
    assert len(calls) == 3
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_setting_changed_elsewhere_reaches_ha(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("cfgsim", load="60W")
    with patch("custom_components.openbl602_plug.coordinator.CONFIG_REFRESH", timedelta(seconds=0)):
        entry = await _add_sim(hass, sim)
        led = _entity(hass, entry, "select", "led")
        hold = _entity(hass, entry, "number", "protection_hold")
        assert hass.states.get(led).state == "relay"
        # someone uses the plug's own page (HTTP, not through HA)
        async with aiohttp.ClientSession() as session:
            await OblHttpClient(session, sim.host, sim.http_port).patch_config(
                {"led": "off", "protection": {"hold_s": 7}}
            )
        # the plug reports its next state (a load change), HA re-reads the settings with it
        assert (await sim.control("load 200")).startswith("ok")
        await wait_for(hass, lambda: hass.states.get(led).state == "off", seconds=20)
        assert hass.states.get(hold).state == "7"
        await hass.config_entries.async_unload(entry.entry_id)


async def test_a_planned_restart_is_not_an_outage(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug], caplog: pytest.LogCaptureFixture
) -> None:
    sim = sim_factory("rstsim")
    entry = await _add_sim(hass, sim)
    coordinator = entry.runtime_data.coordinator
    relay = _entity(hass, entry, "switch", "relay")
    seen: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        callback(
            lambda event: seen.append(event.data["new_state"].state)
            if event.data["entity_id"] == relay
            else None
        ),
    )
    caplog.set_level(logging.INFO)
    await hass.services.async_call(
        "button",
        "press",
        {ATTR_ENTITY_ID: _entity(hass, entry, "button", "restart")},
        blocking=True,
    )
    # the plug goes away and comes back; HA notices the new boot
    await wait_for(hass, lambda: (coordinator.data.uptime_s or 99) < 30, seconds=40)
    await wait_for(hass, lambda: coordinator.push_connected, seconds=40)
    assert STATE_UNAVAILABLE not in seen
    # (the release-manifest check of the entry's default options cannot reach the internet)
    ours = [
        r
        for r in caplog.records
        if r.name.startswith("custom_components") and "firmware data" not in r.getMessage()
    ]
    assert not [r for r in ours if r.levelno >= logging.ERROR], [r.getMessage() for r in ours]
    await hass.config_entries.async_unload(entry.entry_id)
