"""Every write the integration can make, once against the real firmware (openbl602-sim).

Each select option, number, switch, button, action, config-flow step, options step and repair fix
goes through Home Assistant to the simulated plug; the plug's own answer (read with a separate
client) shows it arrived as the protocol says. A value the fake would take but the firmware refuses
(issue 14 item 2: 5.0 for a whole-number field) fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntry,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr

from custom_components.openbl602_plug.client import OblError, OblHttpClient
from custom_components.openbl602_plug.const import CONF_FIRMWARE_MANIFEST, DOMAIN
from custom_components.openbl602_plug.number import NUMBERS
from custom_components.openbl602_plug.select import SELECTS

from . import protocol_contract as pc
from .conftest import SimPlug, wait_for
from .test_sim_ha import _add_sim, _entity

PASSWORD = "sim-pass-1234"


async def _config(sim: SimPlug, password: str | None = None) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        return await OblHttpClient(session, sim.host, sim.http_port, password).config()


async def _state(sim: SimPlug) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        return (await OblHttpClient(session, sim.host, sim.http_port).state()).raw


def _boundaries(field: str) -> list[float]:
    sub = dict(pc.config_leaves())[f"protection.{field}"]
    if "anyOf" in sub:
        return [0, sub["anyOf"][1]["minimum"], sub["anyOf"][1]["maximum"]]
    return [sub["minimum"], sub["maximum"]]


async def test_every_setting_entity_writes_to_the_real_plug(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("writesim")
    entry = await _add_sim(hass, sim)
    for description in SELECTS:
        entity_id = _entity(hass, entry, "select", description.key)
        for option in description.options or []:
            await hass.services.async_call(
                "select",
                "select_option",
                {ATTR_ENTITY_ID: entity_id, "option": option},
                blocking=True,
            )
            assert (await _config(sim))[description.field] == option
            assert hass.states.get(entity_id).state == option
    for description in NUMBERS:
        entity_id = _entity(hass, entry, "number", description.key)
        for value in _boundaries(description.field):
            await hass.services.async_call(
                "number", "set_value", {ATTR_ENTITY_ID: entity_id, "value": value}, blocking=True
            )
            assert (await _config(sim))["protection"][description.field] == pytest.approx(value)
            assert float(hass.states.get(entity_id).state) == pytest.approx(value)
    lock = _entity(hass, entry, "switch", "button_control")
    for service, expected in (("turn_off", False), ("turn_on", True)):
        await hass.services.async_call("switch", service, {ATTR_ENTITY_ID: lock}, blocking=True)
        assert (await _config(sim))["button"]["enabled"] is expected
        assert hass.states.get(lock).state == ("on" if expected else "off")
    await hass.config_entries.async_unload(entry.entry_id)


async def test_buttons_and_actions_reach_the_real_plug(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    sim = sim_factory("actsim", load="60W")
    entry = await _add_sim(hass, sim)
    coordinator = entry.runtime_data.coordinator
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.unique_id)})
    assert device is not None
    relay = _entity(hass, entry, "switch", "relay")
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    await hass.services.async_call(
        "button",
        "press",
        {ATTR_ENTITY_ID: _entity(hass, entry, "button", "identify")},
        blocking=True,
    )
    # a reference reading 2 % above what the plug measures moves the power gain
    await wait_for(hass, lambda: (coordinator.data.power_w or 0) > 50, seconds=20)
    measured = coordinator.data.power_w or 0
    answer = await hass.services.async_call(
        DOMAIN,
        "calibrate",
        {"device_id": device.id, "power_w": round(measured * 1.02, 1)},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    assert answer["gains"]["power_gain"] == pytest.approx(1.02, abs=0.02)
    assert (await _config(sim))["calibration"]["power_gain"] == pytest.approx(1.02, abs=0.02)
    await hass.services.async_call(
        DOMAIN, "calibrate", {"device_id": device.id, "reset": True}, blocking=True
    )
    assert (await _config(sim))["calibration"]["power_gain"] == 1.0
    await hass.services.async_call(
        DOMAIN, "reset_energy", {"device_id": device.id, "confirm": True}, blocking=True
    )
    assert (await _state(sim))["energy_wh"] == 0
    uptime = (await _state(sim))["uptime_s"]
    await hass.services.async_call(
        "button",
        "press",
        {ATTR_ENTITY_ID: _entity(hass, entry, "button", "restart")},
        blocking=True,
    )

    async def rebooted() -> bool:
        try:
            state = await _state(sim)
        except OblError:
            return False  # rebooting
        return state["reset_reason"] == "software" and state["uptime_s"] <= uptime

    for _ in range(100):
        if await rebooted():
            break
        await hass.async_block_till_done()
        await _sleep(0.1)
    else:
        pytest.fail("the plug did not restart")
    await hass.config_entries.async_unload(entry.entry_id)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_password_steps_reauth_reconfigure_and_options_against_the_real_plug(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    from ipaddress import ip_address

    from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

    sim = sim_factory("pwsim")
    async with aiohttp.ClientSession() as session:
        plug = OblHttpClient(session, sim.host, sim.http_port)
        info = await plug.info()
        await plug.patch_config({"api_password": PASSWORD})
    # manual entry: a missing password is asked for, a wrong one refused, the right one works
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": sim.host, "port": sim.http_port, "password": "wrong-pass"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    flow_id = result["flow_id"]
    hass.config_entries.flow.async_abort(flow_id)
    # discovery: confirm, then the password step
    txt = {"id": info.device_id, "mac": info.mac, "model": info.model, "fw": info.firmware}
    discovery = ZeroconfServiceInfo(
        ip_address=ip_address(sim.host),
        ip_addresses=[ip_address(sim.host)],
        hostname=f"{info.hostname}.local.",
        name=f"{info.hostname}._openbl602._tcp.local.",
        port=sim.http_port,
        type="_openbl602._tcp.local.",
        properties=txt | {"protocol": "1", "board": info.board},
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=discovery
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "password"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry: ConfigEntry = result["result"]
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.data is not None
    # options: the real options flow
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU  # a stored password adds "show it"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "firmware"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FIRMWARE_MANIFEST: ""}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # the password changes on the plug: reauth with the new one
    new_password = "sim-pass-5678"
    async with aiohttp.ClientSession() as session:
        await OblHttpClient(session, sim.host, sim.http_port, PASSWORD).patch_config(
            {"api_password": new_password}
        )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id}, data=entry.data
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": new_password}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["password"] == new_password
    # reconfigure: same plug by hostname, password kept
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "localhost", "port": sim.http_port, "password": new_password}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["host"] == "localhost"
    assert (await _config(sim, new_password))["api_password_set"] is True
    await hass.config_entries.async_unload(entry.entry_id)
