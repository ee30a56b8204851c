"""HA's recorder compiles long-term statistics from the energy sensor through a power cut, a stale
message and a factory reset: the sum never goes down (issue 14 item 1, energy.py).
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import setup_entry, wait_for
from .fakeplug import FakePlug
from .test_energy import ENERGY, _plug_energy


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """The recorder's database must exist before hass starts (then custom integrations load)."""


@pytest.mark.parametrize("recorder_config", [{"commit_interval": 0}])
async def test_long_term_statistics_have_no_negative_consumption(
    recorder_mock: Any,
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
) -> None:
    from homeassistant.components.recorder.statistics import statistics_during_period
    from pytest_homeassistant_custom_component.components.recorder.common import (
        async_wait_recording_done,
        do_adhoc_statistics,
        get_start_time,
    )

    first = get_start_time(dt_util.utcnow())
    fake_plug.state["energy_wh"] = 1000
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    # HA's compiler checks every pair of consecutive states in a period for dips and resets
    for wh, extra in (
        (1010, {}),
        (1003, {"uptime_s": 2, "reset_reason": "power_on"}),  # power cut: lost 7 Wh
        (1015, {}),
        (980, {}),  # one stale message
        (1020, {}),
        (0, {}),  # factory reset ...
        (4, {}),  # ... confirmed
        (10, {}),
    ):
        await _plug_energy(hass, fake_plug, wh, **extra)
    await async_wait_recording_done(hass)
    period = first
    while period <= dt_util.utcnow():
        do_adhoc_statistics(hass, start=period)
        await async_wait_recording_done(hass)
        period += timedelta(minutes=5)
    stats = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        first,
        None,
        {ENERGY},
        "5minute",
        None,
        {"sum", "state"},
    )
    sums = [point["sum"] for point in stats[ENERGY]]
    assert sums, stats
    assert all(b >= a for a, b in pairwise(sums)), sums
    # 1000 -> 1020 Wh, then 10 Wh on the new counter; the power cut's 7 Wh are the documented loss
    assert sums[-1] == pytest.approx(0.030)
    await hass.config_entries.async_unload(plug_entry.entry_id)
