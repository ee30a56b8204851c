"""What one pushed state message costs HA's process, split by what it changes (docs/performance.md).

Not collected by the suite (a measurement, never an assertion on time): run it by path,
`.venv/bin/python -m pytest -q -s -p no:randomly tests/bench/message_cost.py`. A plug is set up over
HA's real MQTT integration and a real Mosquitto; then 1000 state messages of one kind go either
 - `handler`: straight into the integration's MQTT handler (decoding, the coordinator, the entities'
   checks and writes; HA's MQTT client, the broker and the sockets left out), or
 - `broker`: through Mosquitto and HA's MQTT client, published by a `mosquitto_pub` process one
   every 5 ms (each message its own socket read, as at a plug's rate),
of the kinds
 - `0 entities`: only the uptime moves (no shown value changes: nothing is written),
 - `1 entity`: power changes, `3 entities`: power, current and energy change,
without and with HA's recorder (committing every 5 s as HA's default; its thread's work is waited
for). `event loop` is the CPU time of the loop's thread while the handler ran (handler runs only);
`no-op` is HA's MQTT client delivering the messages to a callback that does nothing, `pacing` the
same publishing to a topic HA does not subscribe (this test's own cost, in every `broker`/`no-op`
row).
`process` is the whole process's CPU time (every thread, user + system) until HA and its recorder
are done. OBL_PATHS=handler,broker picks the paths; OBL_PROFILE=<kind> prints a cProfile of the
handler path with that kind.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import logging
import os
import pstats
import time
from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.components import mqtt
from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import PlugSide, setup_entry, wait_for
from tests.fakeplug import STATE, FakePlug

MESSAGES = 1000
PACE_S = 0.005
POWER = "sensor.kettle_power"
KINDS = ("0 entities", "1 entity", "3 entities")


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """The harness runs the loop in debug mode (slow callbacks timed, logged): not what HA runs."""


def _payloads(kind: str, base: int) -> list[bytes]:
    out = []
    for i in range(MESSAGES):
        n = base + i
        state: dict[str, Any] = STATE | {"uptime_s": 86400 + n}
        if kind != "0 entities":
            state["power_w"] = 100.0 + n  # a new value every message
        if kind == "3 entities":
            state["current_a"] = round(0.5 + n / 1000, 3)
            state["energy_wh"] = 12873 + n
        out.append(json.dumps(state).encode())
    return out


class Counter:
    """State writes HA recorded on its bus (a changed state, or an unchanged one reported)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.writes = 0

        @callback
        def count(_event: Event) -> None:
            self.writes += 1

        @callback
        def every(_event_data: Any) -> bool:
            return True

        self.unsubs = [
            hass.bus.async_listen(kind, count, event_filter=every)
            for kind in ("state_changed", "state_reported")
        ]

    def close(self) -> None:
        for unsub in self.unsubs:
            unsub()


async def _recorded(hass: HomeAssistant) -> None:
    if "recorder" in hass.config.components:
        from pytest_homeassistant_custom_component.components.recorder.common import (
            async_wait_recording_done,
        )

        await async_wait_recording_done(hass)


async def _publish_paced(port: int, topic: str, payloads: list[bytes]) -> None:
    proc = await asyncio.create_subprocess_exec(
        "mosquitto_pub",
        "-p",
        str(port),
        "-t",
        topic,
        "-q",
        "0",
        "-l",
        stdin=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None
    for payload in payloads:
        proc.stdin.write(payload + b"\n")
        await proc.stdin.drain()
        await asyncio.sleep(PACE_S)
    proc.stdin.close()
    await proc.wait()


async def _measure(
    hass: HomeAssistant,
    path: str,
    kind: str,
    handler: Callable[[bytes, bool], None],
    port: int,
    base: int,
) -> str:
    payloads = _payloads(kind, base)
    last_uptime = json.loads(payloads[-1])["uptime_s"]
    coordinator = hass.config_entries.async_entries("openbl602_plug")[0].runtime_data.coordinator
    await hass.async_block_till_done()
    await _recorded(hass)
    received = 0

    @callback
    def noop(_msg: mqtt.ReceiveMessage) -> None:
        nonlocal received
        received += 1

    unsub = None
    if path == "no-op":  # subscribed (HA batches subscriptions) before anything is counted
        unsub = await mqtt.async_subscribe(hass, "bench/noop", noop, qos=0, encoding=None)
        await asyncio.sleep(2)
    counter = Counter(hass)
    loop0, cpu0 = time.thread_time(), time.process_time()
    loop1 = loop0
    if path == "handler":
        for payload in payloads:
            handler(payload, False)
        loop1 = time.thread_time()
    elif path == "broker":
        await _publish_paced(port, "openbl602/kettle/state", payloads)
        await wait_for(hass, lambda: coordinator.data.uptime_s == last_uptime)
    elif path == "no-op":  # HA's MQTT client delivering to a callback that does nothing
        await _publish_paced(port, "bench/noop", payloads)
        await wait_for(hass, lambda: received == MESSAGES)
    else:  # "pacing": the same publishing to a topic HA does not subscribe: the bench's own cost
        await _publish_paced(port, "bench/nobody", payloads)
        await asyncio.sleep(0.1)
    await hass.async_block_till_done()
    await _recorded(hass)
    cpu1 = time.process_time()
    counter.close()
    if unsub is not None:
        unsub()
    recorder = "on " if "recorder" in hass.config.components else "off"
    loop = f"event loop {1000 * (loop1 - loop0) / MESSAGES:.3f} ms, " if path == "handler" else ""
    return (
        f"{path:7} {kind:10} recorder {recorder} {counter.writes / MESSAGES:4.2f} writes per "
        f"message: {loop}process {1000 * (cpu1 - cpu0) / MESSAGES:.3f} ms per message"
    )


async def _run(hass: HomeAssistant, entry: MockConfigEntry, side: PlugSide, port: int) -> None:
    side.publish("status", "online", retain=True)
    side.publish("state", STATE, retain=True)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: hass.states.get(POWER) is not None and coordinator.push_connected)
    session = coordinator._session  # the integration's own MQTT handler
    assert session is not None
    handler = session._on_state
    base = 0
    for path in os.environ.get("OBL_PATHS", "pacing,no-op,handler,broker").split(","):
        for kind in KINDS if path in ("handler", "broker") else KINDS[:1]:
            for keep in (False, True):  # a warm-up round first
                base += MESSAGES
                line = await _measure(hass, path, kind, handler, port, base)
                if keep:
                    print("message cost:", line)
    if os.environ.get("OBL_PROFILE"):  # where the handler's time goes (with cProfile's overhead)
        profile = cProfile.Profile()
        profile.enable()
        await _measure(hass, "handler", os.environ["OBL_PROFILE"], handler, port, base + MESSAGES)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_message_cost(
    hass: HomeAssistant,
    mqtt_broker: int,
    mqtt_entry: MockConfigEntry,
    mqtt_plug: FakePlug,
    plug_entry: MockConfigEntry,
    plug_side: PlugSide,
) -> None:
    await _run(hass, plug_entry, plug_side, mqtt_broker)


class TestRecorded:
    """The same with HA's recorder, set up before hass as it must be."""

    @pytest.fixture
    def recorder_config(self) -> dict[str, Any]:
        """HA's default commit interval (the harness commits every event, logs every statement)."""
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        return {"commit_interval": 5}

    @pytest.fixture(autouse=True)
    def auto_enable_custom_integrations(
        self, recorder_mock: object, enable_custom_integrations: None
    ) -> None:
        """Recorder first, then the custom integrations."""

    async def test_message_cost_recorded(
        self,
        hass: HomeAssistant,
        mqtt_broker: int,
        mqtt_entry: MockConfigEntry,
        mqtt_plug: FakePlug,
        plug_entry: MockConfigEntry,
        plug_side: PlugSide,
    ) -> None:
        await _run(hass, plug_entry, plug_side, mqtt_broker)
