"""Push that follows the plug, not the broker (issue #16): a last will is checked over HTTP, a
fallback carries push while MQTT cannot, and an unchanged entity is not written again.

Real Mosquitto, HA's real MQTT integration, the fake plug's HTTP/SSE over real sockets.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import PlugSide, _wait_port, setup_entry, wait_for
from .fakeplug import STATE, FakePlug

POWER = "sensor.kettle_power"
VOLTAGE = "sensor.kettle_voltage"
RELAY = "switch.kettle"
STARTUP = "select.kettle_power_on_state"


def _watch_unavailable(hass: HomeAssistant) -> list[str]:
    """Every entity that goes unavailable from now on."""
    gone: list[str] = []

    def on_change(event: Event[Any]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == STATE_UNAVAILABLE and event.data["old_state"]:
            gone.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    return gone


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def _unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_last_will_of_a_plug_that_answers_keeps_it_available(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mosquitto delivers the plug's will while it shuts down; the plug answers HTTP throughout."""
    plug_side.publish("status", "online", retain=True)
    plug_side.publish("state", STATE, retain=True)
    await setup_entry(hass, plug_entry)
    coordinator = plug_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.push_connected)
    gone = _watch_unavailable(hass)

    plug_side.publish("status", "offline", retain=True)
    # checked over HTTP, then server-sent events stand in for MQTT
    await wait_for(hass, lambda: mqtt_plug.stream_count == 1)
    mqtt_plug.push_state(power_w=321.0)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "321.0")
    assert coordinator.transport == "mqtt"

    # the plug is back on the broker: MQTT carries it again, the stream is closed
    plug_side.publish("status", "online", retain=True)
    plug_side.publish("state", mqtt_plug.state | {"power_w": 322.0}, retain=True)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "322.0")
    await wait_for(hass, lambda: mqtt_plug.stream_count == 0)
    assert gone == []
    assert _errors(caplog) == []
    await _unload(hass, plug_entry)


async def test_last_will_of_a_plug_that_does_not_answer_makes_it_unavailable(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    plug_side.publish("state", STATE, retain=True)
    await setup_entry(hass, plug_entry)
    coordinator = plug_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.push_connected)
    await mqtt_plug.stop()
    plug_side.publish("status", "offline", retain=True)
    await wait_for(hass, lambda: hass.states.get(POWER).state == STATE_UNAVAILABLE)
    assert mqtt_plug.stream_count == 0  # no fallback for a plug that is gone: polling has it
    await mqtt_plug.start(mqtt_plug.port)
    plug_side.publish("status", "online", retain=True)
    plug_side.publish("state", STATE | {"power_w": 43.5}, retain=True)
    await wait_for(hass, lambda: hass.states.get(POWER).state == "43.5")
    await _unload(hass, plug_entry)


type Broker = tuple[int, subprocess.Popen[bytes]]


def _stop_broker(proc: Broker) -> Callable[[], subprocess.Popen[bytes]]:
    """Stop the broker; returns the function that starts it again on the same port."""
    port, process = proc
    process.terminate()
    process.wait(5)

    def start() -> subprocess.Popen[bytes]:
        again = subprocess.Popen(process.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(port, again, "mosquitto")
        return again

    return start


@pytest.mark.parametrize("events", [True, False], ids=["events", "no-events"])
async def test_broker_down_push_continues_over_http(
    hass: HomeAssistant,
    mqtt_broker_proc: Broker,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
    caplog: pytest.LogCaptureFixture,
    events: bool,
) -> None:
    """HA's MQTT client is disconnected: server-sent events (or a poll every second for a plug
    without them) carry the plug until the plug is heard on MQTT again."""
    if not events:
        mqtt_plug.info["capabilities"].remove("events")
    plug_side.publish("state", STATE, retain=True)
    await setup_entry(hass, plug_entry)
    coordinator = plug_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.push_connected)
    gone = _watch_unavailable(hass)
    plug_side.close()
    start_broker = _stop_broker(mqtt_broker_proc)

    if events:
        await wait_for(hass, lambda: mqtt_plug.stream_count == 1)
        mqtt_plug.push_state(power_w=500.0)
    else:
        mqtt_plug.state["power_w"] = 500.0
    await wait_for(hass, lambda: hass.states.get(POWER).state == "500.0", seconds=3)
    mqtt_plug.state["power_w"] = 501.0
    if events:
        mqtt_plug.push_state()
    await wait_for(hass, lambda: hass.states.get(POWER).state == "501.0", seconds=3)
    assert coordinator.push_connected
    assert coordinator.transport == "mqtt"

    broker = start_broker()
    try:
        side = PlugSide(mqtt_broker_proc[0])
        side.publish("state", mqtt_plug.state | {"power_w": 77.0}, retain=True)
        # HA's MQTT client retries every 10 s; then the retained state brings MQTT back
        await wait_for(hass, lambda: hass.states.get(POWER).state == "77.0", seconds=30)
        await wait_for(hass, lambda: not coordinator._session.fallback_active)
        side.close()
        assert gone == []
        assert [e for e in _errors(caplog) if "openbl602" in e] == []
        await _unload(hass, plug_entry)
    finally:
        broker.terminate()
        broker.wait(5)


async def test_an_unchanged_entity_is_not_written_again(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    """A load change moves power, not voltage, relay or settings: only power is written."""
    plug_side.publish("state", STATE, retain=True)
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: plug_entry.runtime_data.coordinator.push_connected)
    before = {e: hass.states.get(e).last_reported for e in (POWER, VOLTAGE, RELAY, STARTUP)}
    plug_side.publish("state", STATE | {"power_w": 99.9})
    await wait_for(hass, lambda: hass.states.get(POWER).state == "99.9")
    plug_side.publish("state", STATE | {"power_w": 99.9, "uptime_s": STATE["uptime_s"] + 5})
    await wait_for(
        hass, lambda: plug_entry.runtime_data.coordinator.data.uptime_s == STATE["uptime_s"] + 5
    )
    after = {e: hass.states.get(e).last_reported for e in before}
    assert after[POWER] != before[POWER]
    assert {e: after[e] for e in (VOLTAGE, RELAY, STARTUP)} == {
        e: before[e] for e in (VOLTAGE, RELAY, STARTUP)
    }
    await _unload(hass, plug_entry)


async def test_config_rev_change_reads_the_settings_again_once(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    """#14 item 5: the state's config_rev announces a change made elsewhere (common contract)."""

    def config_reads() -> int:
        return sum(1 for h in mqtt_plug.headers if h[:2] == ("GET", "/api/v1/config"))

    plug_side.publish("state", STATE | {"config_rev": 3}, retain=True)
    await setup_entry(hass, plug_entry)
    await wait_for(hass, lambda: plug_entry.runtime_data.coordinator.push_connected)
    await hass.async_block_till_done(wait_background_tasks=True)  # the first push reads info
    reads = config_reads()
    plug_side.publish("state", STATE | {"config_rev": 3, "power_w": 10.0})
    await wait_for(hass, lambda: hass.states.get(POWER).state == "10.0")
    assert config_reads() == reads  # same revision: nothing to read

    mqtt_plug.config["startup"] = "off"
    plug_side.publish("state", STATE | {"config_rev": 4, "power_w": 11.0})
    await wait_for(hass, lambda: hass.states.get(STARTUP).state == "off")
    assert config_reads() == reads + 1

    # a reboot starts counting at 0 again: that differs too
    mqtt_plug.config["startup"] = "on"
    plug_side.publish("state", STATE | {"config_rev": 0, "uptime_s": 5, "power_w": 12.0})
    await wait_for(hass, lambda: hass.states.get(STARTUP).state == "on")
    await _unload(hass, plug_entry)
