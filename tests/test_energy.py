"""Energy that never lies (issue 14 item 1): HA's total never goes down, so the Energy dashboard
never records negative consumption, a spike or a false reset; see energy.py for the rules.

Cases: a power cut (the plug legitimately reads up to 10 Wh less, protocol §3), a reload and a
restart (restored total vs a lower reading), an out-of-order retained MQTT state older than the HTTP
reading, a poll racing a push, a genuine counter reset (factory reset) and the reset action. The
long-term statistics HA's recorder compiles from these states are checked for a negative sum.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.openbl602_plug.energy import ENERGY_LOSS_WH, EnergyTotal

from .conftest import PlugSide, setup_entry, wait_for
from .fakeplug import STATE, FakePlug

ENERGY = "sensor.kettle_energy"
SWITCH = "switch.kettle"


def _totals(readings: list[int], total: EnergyTotal | None = None) -> list[int | None]:
    total = total or EnergyTotal()
    out = []
    for reading in readings:
        total.add(reading)
        out.append(total.total_wh)
    return out


def test_a_power_cut_dip_is_held() -> None:
    assert _totals([86, 80, 83, 86, 87]) == [86, 86, 86, 86, 87]
    assert _totals([100, 100 - ENERGY_LOSS_WH, 101]) == [100, 100, 101]


def test_a_single_far_lower_reading_is_dropped_as_stale() -> None:
    assert _totals([375, 348, 376, 377]) == [375, 375, 376, 377]


def test_a_confirmed_reset_continues_the_total() -> None:
    assert _totals([12873, 0, 5, 40]) == [12873, 12873, 12878, 12913]


def test_the_reset_action_restarts_the_total() -> None:
    total = EnergyTotal()
    total.add(500)
    total.request_reset()
    total.add(0)
    assert total.total_wh == 0
    total.add(0)
    total.end_reset_request()
    total.add(3)
    assert total.total_wh == 3


def test_restore_continues_and_never_goes_below() -> None:
    total = EnergyTotal()
    total.add(282)  # first HTTP reading after a restart
    total.restore(0, 291)  # what HA recorded: the plug lost 9 Wh in a power cut meanwhile
    assert total.total_wh == 291
    total = EnergyTotal()
    total.add(3)  # factory reset while HA was down
    total.restore(1000, 500)
    assert total.total_wh == 1503


async def _plug_energy(hass: HomeAssistant, plug: FakePlug, wh: int | None, **more: Any) -> None:
    plug.push_state(energy_wh=wh, **more)
    await hass.async_block_till_done()
    await asyncio.sleep(0.1)
    await hass.async_block_till_done()


def _kwh(hass: HomeAssistant) -> float:
    return float(hass.states.get(ENERGY).state)


async def test_power_cut_reload_and_reset_never_lower_the_sensor(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    fake_plug.state["energy_wh"] = 86
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    seen: list[float] = []
    hass.bus.async_listen(
        "state_changed",
        callback(
            lambda event: seen.append(float(event.data["new_state"].state))
            if event.data["entity_id"] == ENERGY and event.data["new_state"].state[0].isdigit()
            else None
        ),
    )
    # (a) power cut: the plug comes back 6 Wh lower
    await _plug_energy(hass, fake_plug, 80, uptime_s=3, reset_reason="power_on")
    assert _kwh(hass) == 0.086
    await _plug_energy(hass, fake_plug, 88)
    assert _kwh(hass) == 0.088
    # (b) reload: the restored total is higher than what the plug now says (another cut)
    fake_plug.state["energy_wh"] = 82
    assert await hass.config_entries.async_reload(plug_entry.entry_id)
    await hass.async_block_till_done()
    assert _kwh(hass) == 0.088
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    # (d) factory reset: far lower twice; the total continues from 88 Wh
    await _plug_energy(hass, fake_plug, 0)
    await _plug_energy(hass, fake_plug, 2)
    assert _kwh(hass) == 0.090
    assert not issue_registry.issues
    assert seen == sorted(seen), seen  # never went down
    await hass.config_entries.async_unload(plug_entry.entry_id)


async def test_restart_restores_the_total_and_its_parts(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(ENERGY, "13.873"),
                {
                    "native_value": 13873,
                    "native_unit_of_measurement": "Wh",
                    "offset_wh": 1000,
                    "plug_max_wh": 12873,
                },
            )
        ],
    )
    fake_plug.state["energy_wh"] = 12870  # 3 Wh lost in a power cut while HA was down
    await setup_entry(hass, plug_entry)
    assert _kwh(hass) == 13.873
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    await _plug_energy(hass, fake_plug, 12880)
    assert _kwh(hass) == 13.880
    await hass.config_entries.async_unload(plug_entry.entry_id)


async def test_restart_from_a_value_stored_without_the_parts(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    """An entity stored by the previous version: its value was the plug's counter."""
    mock_restore_cache_with_extra_data(
        hass,
        [(State(ENERGY, "20.0"), {"native_value": 20000, "native_unit_of_measurement": "Wh"})],
    )
    fake_plug.state["energy_wh"] = 19995
    await setup_entry(hass, plug_entry)
    assert _kwh(hass) == 20.0
    await hass.config_entries.async_unload(plug_entry.entry_id)


async def test_an_older_retained_mqtt_state_does_not_overwrite_the_http_reading(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    # the broker holds a state from 100 s before the plug's current one
    older = STATE | {"energy_wh": 348, "relay": False, "uptime_s": STATE["uptime_s"] - 100}
    plug_side.publish("status", "online", retain=True)
    plug_side.publish("state", older, retain=True)
    mqtt_plug.state["energy_wh"] = 375
    await setup_entry(hass, plug_entry)
    coordinator = plug_entry.runtime_data.coordinator
    assert coordinator.transport == "mqtt"
    # an event that arrives proves the subscription is live, so the retained state came before it
    for _ in range(100):
        plug_side.publish("event", {"type": "button", "action": "long"})
        await asyncio.sleep(0.1)
        await hass.async_block_till_done()
        if hass.states.get("event.kettle_button").attributes["event_type"] == "long":
            break
    else:
        pytest.fail("HA never subscribed")
    assert _kwh(hass) == 0.375
    assert hass.states.get(SWITCH).state == "on"
    # live messages still count
    plug_side.publish("state", STATE | {"energy_wh": 376, "uptime_s": STATE["uptime_s"] + 5})
    await wait_for(hass, lambda: _kwh(hass) == 0.376)
    await hass.config_entries.async_unload(plug_entry.entry_id)
    await hass.async_block_till_done()


async def test_a_poll_in_flight_does_not_overwrite_a_newer_push(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    coordinator = plug_entry.runtime_data.coordinator
    original = coordinator.client.state
    gate = asyncio.Event()

    async def slow_state() -> Any:
        answer = await original()  # the plug answers "relay on" ...
        await gate.wait()  # ... but the answer is still travelling when the push comes
        return answer

    coordinator.client.state = slow_state  # type: ignore[method-assign]
    # not a hass task: wait_for's async_block_till_done must not wait for it
    poll = asyncio.get_running_loop().create_task(coordinator.async_refresh())
    await asyncio.sleep(0.2)
    fake_plug.push_state(relay=False, power_w=0.0)
    await wait_for(hass, lambda: hass.states.get(SWITCH).state == "off")
    gate.set()
    await poll
    await hass.async_block_till_done()
    assert coordinator.data.relay is False
    # any later update (a button event, an OTA tick) writes what the coordinator holds
    coordinator.async_update_listeners()
    assert hass.states.get(SWITCH).state == "off"
    coordinator.client.state = original  # type: ignore[method-assign]
    await hass.config_entries.async_unload(plug_entry.entry_id)
