"""Faults found by trying the merged integration with a real HA and plugs (tryout session,
2026-12-06), reproduced through HA's real MQTT integration and a real Mosquitto. The switch fault
was fixed on main meanwhile (b22c80f, switch._shown includes relay_pending); this test failed on
the code before it and guards the sequence that showed it."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import PlugSide, setup_entry, wait_for
from .fakeplug import STATE, FakePlug

SWITCH = "switch.kettle"


async def test_switch_follows_the_relay_when_a_pending_state_is_cancelled(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    """Seen in the demo: 301 MQTT toggles on the kettle (off before) left the relay on and HA's
    switch off for as long as it was watched (30 s). The last three states on the broker were
    relay on / pending null, relay on / pending off, relay on / pending null (protocol §5.4: a
    command back to the current state cancels the pending one)."""
    plug_side.publish("status", "online", retain=True)
    plug_side.publish("state", STATE | {"relay": False, "relay_pending": None}, retain=True)
    await setup_entry(hass, plug_entry)
    coordinator = plug_entry.runtime_data.coordinator
    await wait_for(hass, lambda: hass.states.get(SWITCH).state == "off")

    # the pending ON was applied and, in the same report, a new toggle is already pending
    plug_side.publish("state", STATE | {"relay": True, "relay_pending": False}, retain=True)
    await wait_for(hass, lambda: coordinator.data.raw.get("relay_pending") is False)
    # the next toggle cancels it: the relay stays on, nothing pending
    plug_side.publish("state", STATE | {"relay": True, "relay_pending": None}, retain=True)
    await wait_for(hass, lambda: coordinator.data.raw.get("relay_pending", 0) is None)
    await hass.async_block_till_done()
    assert coordinator.data.relay is True
    assert hass.states.get(SWITCH).state == "on"

    assert await hass.config_entries.async_unload(plug_entry.entry_id)
    await hass.async_block_till_done()
