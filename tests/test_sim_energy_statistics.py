"""Issue 14 item 1 against the real firmware: a genuine counter reset on the plug (the protocol's
`POST /api/v1/energy/reset`, as a factory reset or another client does it) while HA records.

HA's recorder compiles long-term statistics from the energy sensor; the Energy dashboard shows
their sum. It must never go down and must count what the plug metered before and after the reset.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.openbl602_plug.client import OblHttpClient
from custom_components.openbl602_plug.const import DOMAIN

from .conftest import SimPlug, wait_for
from .test_sim_ha import _add_sim, _entity


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """The recorder's database must exist before hass starts (then custom integrations load)."""


async def _plug_energy_wh(sim: SimPlug) -> int:
    async with aiohttp.ClientSession() as session:
        energy = (await OblHttpClient(session, sim.host, sim.http_port).state()).energy_wh
    assert energy is not None
    return energy


@pytest.mark.parametrize("recorder_config", [{"commit_interval": 0}])
async def test_a_counter_reset_on_the_plug_records_no_negative_consumption(
    recorder_mock: Any, hass: HomeAssistant, sim_factory: Callable[..., SimPlug]
) -> None:
    from homeassistant.components.recorder.statistics import statistics_during_period
    from pytest_homeassistant_custom_component.components.recorder.common import (
        async_wait_recording_done,
        do_adhoc_statistics,
        get_start_time,
    )

    first = get_start_time(dt_util.utcnow())
    # 10 Wh a second of real time: the plug's counter moves between every two reports
    sim = sim_factory("resetsim", load="3600W", time_scale=10)
    shown: list[float] = []  # every state of the energy sensor, from its first

    @callback  # on the event loop, in order
    def record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if (
            event.data["entity_id"].endswith("_energy")
            and new is not None
            and new.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        ):
            shown.append(float(new.state))

    hass.bus.async_listen("state_changed", record)
    entry = await _add_sim(hass, sim)
    energy = _entity(hass, entry, "sensor", "energy")
    relay = _entity(hass, entry, "switch", "relay")
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: relay}, blocking=True)

    async def reports(count: int) -> None:
        """Load steps make the plug report (energy travels with every report)."""
        for step in range(count):
            before = len(shown)
            assert (await sim.control(f"load {3600 - 200 * (step % 2)}")).startswith("ok")
            await wait_for(hass, lambda b=before: len(shown) > b, seconds=20)

    await reports(4)
    before_reset_wh = await _plug_energy_wh(sim)
    metered_before = shown[-1] - shown[0]
    assert before_reset_wh > 20
    async with aiohttp.ClientSession() as session:
        await OblHttpClient(session, sim.host, sim.http_port).reset_energy()
    assert await _plug_energy_wh(sim) < before_reset_wh
    await reports(6)
    after_reset_wh = await _plug_energy_wh(sim)
    assert after_reset_wh < before_reset_wh  # the plug's counter really started again

    assert all(b >= a for a, b in pairwise(shown)), shown
    assert [i for (domain, _), i in ir.async_get(hass).issues.items() if domain == DOMAIN] == []
    await async_wait_recording_done(hass)
    period = first
    while period <= dt_util.utcnow():
        do_adhoc_statistics(hass, start=period)
        await async_wait_recording_done(hass)
        period += timedelta(minutes=5)
    stats = await hass.async_add_executor_job(
        statistics_during_period, hass, first, None, {energy}, "5minute", None, {"sum", "state"}
    )
    sums = [point["sum"] for point in stats[energy]]
    assert sums, stats
    assert all(b >= a for a, b in pairwise([0.0, *sums])), sums
    # what the plug metered while HA watched: before the reset and on the new counter after it
    assert sums[-1] == pytest.approx(shown[-1] - shown[0], abs=1e-6)
    assert metered_before > 0
    assert sums[-1] > metered_before  # what the new counter metered is added, nothing taken
    await hass.config_entries.async_unload(entry.entry_id)
