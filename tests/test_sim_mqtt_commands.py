"""A plug HA reaches only through a shared MQTT broker (issue #13, protocol §8.3/§8.5): when HTTP
cannot reach it, HA's commands go over MQTT — the relay, guarded settings (signed with the API
password), identify, restart — against the real firmware core (openbl602-sim), real Mosquitto
and HA's real MQTT integration. Needs the simulated plug (see tests/test_sim_ha.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Callable

import aiohttp
import pytest
from homeassistant.components import mqtt
from homeassistant.const import ATTR_ENTITY_ID, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.openbl602_plug.client import OblError, OblHttpClient

from .conftest import SimPlug, free_port, wait_for
from .test_sim_ha import _entity, _number
from .test_sim_issue14 import _add


async def _relay_pin(sim: SimPlug) -> bool:
    out = await sim.control("outputs")
    assert out.startswith("ok"), out
    return "relay=1" in out.split()


async def _wait_pin(sim: SimPlug, closed: bool, seconds: float = 5.0) -> None:
    """The relay's minimum switching interval (protocol §5.4) may hold a command back a moment."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while await _relay_pin(sim) != closed:
        assert loop.time() < end, f"relay pin never became {closed}"
        await asyncio.sleep(0.05)


async def _plug_state(sim: SimPlug, password: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as session:
        return (await OblHttpClient(session, sim.host, sim.http_port, password).state()).raw


async def _max_power(sim: SimPlug, password: str) -> float:
    async with aiohttp.ClientSession() as session:
        plug = OblHttpClient(session, sim.host, sim.http_port, password)
        return float((await plug.config())["protection"]["max_power_w"])


async def test_commands_go_over_mqtt_when_http_cannot_reach_the_plug(
    hass: HomeAssistant,
    mock_hass_config: None,
    sim_factory: Callable[..., SimPlug],
    mqtt_broker_proc: tuple[int, subprocess.Popen[bytes]],
    entity_registry_enabled_by_default: None,
) -> None:
    port, _broker = mqtt_broker_proc
    mqtt_entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": "127.0.0.1", "port": port},
        options={"birth_message": {}, "will_message": {}, "discovery": False},
    )
    mqtt_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    assert await mqtt.async_wait_for_mqtt_client(hass)
    sim = sim_factory("vlanplug", mqtt_port=port, load="100W")
    entry = await _add(hass, sim, protect=True)  # adoption locks the plug with a password
    password = entry.data[CONF_PASSWORD]
    coordinator = entry.runtime_data.coordinator
    assert coordinator.transport == "mqtt"
    await wait_for(hass, lambda: coordinator.push_connected, seconds=20)
    relay = _entity(hass, entry, "switch", "relay")
    max_power = _entity(hass, entry, "number", "max_power")
    identify = _entity(hass, entry, "button", "identify")
    assert not await _relay_pin(sim)

    # From now on HA cannot reach the plug's HTTP (a plug on a VLAN HA only shares a broker with)
    coordinator.client.port = free_port()

    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    await _wait_pin(sim, True)
    await wait_for(hass, lambda: hass.states.get(relay).state == "on", seconds=5)
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: relay}, blocking=True)
    await _wait_pin(sim, False)
    await wait_for(hass, lambda: hass.states.get(relay).state == "off", seconds=5)

    # a guarded setting: HA signs it with the entry's password, the plug takes it
    before = await _max_power(sim, password)
    wanted = 1234.0 if before != 1234.0 else 1500.0
    await hass.services.async_call(
        "number", "set_value", {ATTR_ENTITY_ID: max_power, "value": wanted}, blocking=True
    )
    assert await _max_power(sim, password) == wanted
    assert _number(hass, max_power) == pytest.approx(wanted)

    # the same change unsigned (an entry without the password) is refused by the plug, as
    # anyone's who can publish on the broker, and the refusal reaches the user
    coordinator.client.password = None
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: max_power, "value": 999}, blocking=True
        )
    assert "not_allowed" in str(err.value.translation_placeholders)
    assert await _max_power(sim, password) == wanted
    assert _number(hass, max_power) == pytest.approx(wanted)
    coordinator.client.password = password

    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: identify}, blocking=True)

    # restart (signed always: out of safe mode it is guarded); the plug comes back on the broker
    assert (await _plug_state(sim, password))["reset_reason"] == "power_on"
    restart = _entity(hass, entry, "button", "restart")
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: restart}, blocking=True)
    for _ in range(100):
        with contextlib.suppress(OblError):  # its HTTP is down while it restarts
            if (await _plug_state(sim, password))["reset_reason"] == "software":
                break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the plug did not restart")

    # without MQTT to fall back on, an unreachable plug is reported as before
    assert await hass.config_entries.async_unload(mqtt_entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)
    assert err.value.translation_key == "cannot_connect"
    assert not await _relay_pin(sim)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
