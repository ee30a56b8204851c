"""Adoption locks the plug (issue 13), against the real firmware (openbl602-sim).

Adding a plug that has no API password sets a generated one on it unless the user unticks the box;
the plug then refuses an unauthenticated client while Home Assistant keeps working.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address

import aiohttp
import pytest
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigEntry
from homeassistant.const import ATTR_ENTITY_ID, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from custom_components.openbl602_plug.client import AuthFailed, OblHttpClient
from custom_components.openbl602_plug.const import DOMAIN

from .conftest import SimPlug
from .test_sim_ha import _entity


async def _adopt_by_address(
    hass: HomeAssistant, sim: SimPlug, protect: bool | None
) -> tuple[ConfigEntry, str | None]:
    """The user step (protect None: box left at its default); returns (entry, shown password)."""
    user_input: dict[str, object] = {"host": sim.host, "port": sim.http_port}
    if protect is not None:
        user_input["protect"] = protect
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    shown = None
    if result["type"] is FlowResultType.FORM:
        assert result["step_id"] == "password_created", result
        shown = result["description_placeholders"]["password"]
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    return result["result"], shown


async def _anonymous_state_refused(sim: SimPlug) -> bool:
    async with aiohttp.ClientSession() as session:
        try:
            await OblHttpClient(session, sim.host, sim.http_port).state()
        except AuthFailed:
            return True
    return False


async def test_adopting_an_open_plug_locks_it_and_ha_keeps_working(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("adoptsim")
    assert not await _anonymous_state_refused(sim)
    entry, shown = await _adopt_by_address(hass, sim, None)
    assert shown is not None
    assert len(shown) == 32
    assert entry.data[CONF_PASSWORD] == shown
    # the plug now answers 401 to anyone without the password ...
    assert await _anonymous_state_refused(sim)
    async with aiohttp.ClientSession() as session:
        assert (await OblHttpClient(session, sim.host, sim.http_port).info()).auth_required
        assert (await OblHttpClient(session, sim.host, sim.http_port, shown).config())[
            "api_password_set"
        ]
    # ... and Home Assistant, which holds it, still reads and switches
    relay = _entity(hass, entry, "switch", "relay")
    for service, expected in (("turn_on", "on"), ("turn_off", "off")):
        await hass.services.async_call("switch", service, {ATTR_ENTITY_ID: relay}, blocking=True)
        assert hass.states.get(relay).state == expected
    # the options flow shows the stored password again
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "show_password"}
    )
    assert result["description_placeholders"]["password"] == shown
    await hass.config_entries.async_unload(entry.entry_id)


async def test_adopting_with_the_box_unticked_leaves_the_plug_open(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("openadopt")
    entry, shown = await _adopt_by_address(hass, sim, False)
    assert shown is None
    assert CONF_PASSWORD not in entry.data
    assert not await _anonymous_state_refused(sim)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("protect", [True, False])
async def test_discovered_plug_is_locked_when_confirmed(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug], protect: bool
) -> None:
    sim = sim_factory(f"zcadopt{int(protect)}")
    async with aiohttp.ClientSession() as session:
        info = await OblHttpClient(session, sim.host, sim.http_port).info()
    discovery = ZeroconfServiceInfo(
        ip_address=ip_address(sim.host),
        ip_addresses=[ip_address(sim.host)],
        hostname=f"{info.hostname}.local.",
        name=f"{info.hostname}._openbl602._tcp.local.",
        port=sim.http_port,
        type="_openbl602._tcp.local.",
        properties={
            "id": info.device_id,
            "mac": info.mac,
            "model": info.model,
            "fw": info.firmware,
            "protocol": "1",
            "board": info.board,
        },
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=discovery
    )
    assert result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"protect": protect})
    if protect:
        assert result["step_id"] == "password_created"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (CONF_PASSWORD in result["data"]) is protect
    assert await _anonymous_state_refused(sim) is protect
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)
