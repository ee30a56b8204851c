"""The client's PushSession (client/push.py) without Home Assistant: MQTT handed in as a plain
subscribe function, the fake plug's HTTP and event stream over real sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from custom_components.openbl602_plug.client import OblHttpClient, PlugState
from custom_components.openbl602_plug.client.push import (
    MqttHandler,
    PushCallbacks,
    PushSession,
    Transport,
)

from ..fakeplug import STATE, FakePlug


@dataclass
class Recorder:
    """Everything the session told its subscriber."""

    states: list[PlugState] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    restarting: bool = False

    def callbacks(self) -> PushCallbacks:
        async def disconnected() -> None:
            self.calls.append("disconnected")

        return PushCallbacks(
            state=self.states.append,
            button=lambda b: self.calls.append(f"button {b.action}"),
            ota=lambda o: self.calls.append(f"ota {o.progress}"),
            disconnected=disconnected,
            auth_failed=lambda: self.calls.append("auth_failed"),
            malformed=lambda kind, _err: self.calls.append(f"malformed {kind}"),
            result=lambda r: self.calls.append(f"result {r.cmd}"),
            unreachable=lambda _err: self.calls.append("unreachable"),
            paused=lambda: self.calls.append("paused"),
            restarting=lambda: self.restarting,
            held=lambda: self.states[-1] if self.states else None,
        )


class Broker:
    """In-memory stand-in for the caller's MQTT client: topic -> handler."""

    def __init__(self) -> None:
        self.handlers: dict[str, MqttHandler] = {}

    async def subscribe(self, topic: str, handler: MqttHandler, qos: int) -> Callable[[], None]:
        self.handlers[topic] = handler
        return lambda: self.handlers.pop(topic)

    def publish(self, suffix: str, payload: object, retain: bool = False) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self.handlers[f"openbl602/kettle/{suffix}"](text.encode(), retain)


@pytest.fixture
async def client(fake_plug: FakePlug) -> AsyncIterator[OblHttpClient]:
    async with aiohttp.ClientSession() as session:
        yield OblHttpClient(session, fake_plug.host, fake_plug.port)


async def _until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    pytest.fail("condition not reached in time")


async def _session(client: OblHttpClient, rec: Recorder, **kwargs: Any) -> PushSession:
    broker = kwargs.pop("broker", Broker())
    session = PushSession(client, "kettle", rec.callbacks(), retry_min=0.05, **kwargs)
    await session.start(broker.subscribe)
    return session


async def test_mqtt_messages_are_decoded_and_dispatched(client: OblHttpClient) -> None:
    rec, broker = Recorder(), Broker()
    session = await _session(client, rec, events=True, broker=broker)
    assert session.transport is Transport.MQTT
    broker.publish("state", STATE | {"power_w": 5.0}, retain=True)
    # the broker's retained copy from earlier in the same boot is older than what is held
    broker.publish("state", STATE | {"uptime_s": STATE["uptime_s"] - 10}, retain=True)
    broker.publish("state", STATE | {"power_w": 6.0})
    broker.publish("state", "{broken")
    broker.publish("event", {"type": "button", "action": "double"})
    broker.publish("event", {"type": "ota", "state": "receiving", "progress": 10})
    broker.publish("event", {"type": "rain"})
    broker.publish("result", {"cmd": "config", "req": None, "ok": True, "error": None})
    broker.publish("status", "sleepy")
    assert [s.power_w for s in rec.states] == [5.0, 6.0]
    assert rec.calls == [
        "malformed state",
        "button double",
        "ota 10",
        "malformed event",
        "result config",
        "malformed status",
    ]
    session.stop()
    assert broker.handlers == {}


async def test_will_of_an_answering_plug_falls_back_until_mqtt_carries_it(
    client: OblHttpClient, fake_plug: FakePlug
) -> None:
    rec, broker = Recorder(), Broker()
    session = await _session(client, rec, events=True, broker=broker)
    broker.publish("status", "offline", retain=True)
    await _until(lambda: fake_plug.stream_count == 1)
    assert session.fallback_active
    assert "unreachable" not in rec.calls
    fake_plug.push_state(power_w=77.0)
    await _until(lambda: rec.states[-1].power_w == 77.0)
    broker.publish("status", "online", retain=True)
    assert not session.fallback_active
    await _until(lambda: fake_plug.stream_count == 0)
    session.stop()


async def test_will_of_a_silent_plug_is_reported_and_no_fallback_runs(
    client: OblHttpClient, fake_plug: FakePlug
) -> None:
    rec, broker = Recorder(), Broker()
    session = await _session(client, rec, events=True, broker=broker)
    await fake_plug.stop()
    broker.publish("status", "offline")
    await _until(lambda: "unreachable" in rec.calls)
    assert not session.fallback_active
    broker.publish("state", STATE)  # back on the broker
    assert rec.states[-1].power_w == STATE["power_w"]
    session.stop()


async def test_will_before_a_planned_restart_only_pauses(
    client: OblHttpClient, fake_plug: FakePlug
) -> None:
    rec, broker = Recorder(restarting=True), Broker()
    session = await _session(client, rec, events=True, broker=broker)
    broker.publish("status", "offline")
    await asyncio.sleep(0.1)
    assert rec.calls == ["paused"]
    assert fake_plug.state_reads == 0
    assert not session.fallback_active
    session.stop()


async def test_broker_down_polls_a_plug_without_events_every_interval(
    client: OblHttpClient, fake_plug: FakePlug
) -> None:
    rec, broker = Recorder(), Broker()
    session = await _session(client, rec, events=False, broker=broker, fallback_poll=0.05)
    session.mqtt_connection(False)
    await _until(lambda: fake_plug.state_reads >= 3)
    fake_plug.state["power_w"] = 12.0
    await _until(lambda: rec.states[-1].power_w == 12.0)
    session.mqtt_connection(True)
    assert session.fallback_active  # until the plug is heard on MQTT again
    broker.publish("state", STATE | {"power_w": 13.0}, retain=True)
    assert not session.fallback_active
    reads = fake_plug.state_reads
    await asyncio.sleep(0.2)
    assert fake_plug.state_reads <= reads + 1
    session.stop()


async def test_silence_on_mqtt_moves_to_server_sent_events(
    client: OblHttpClient, fake_plug: FakePlug
) -> None:
    rec, broker = Recorder(), Broker()
    session = await _session(client, rec, events=True, broker=broker, silence=0.1)
    await _until(lambda: fake_plug.stream_count == 1)
    assert session.transport is Transport.SSE
    assert broker.handlers == {}
    session.stop()


async def test_mqtt_is_live_for_commands_only_while_the_plug_is_heard_there(
    client: OblHttpClient, fake_plug: FakePlug
) -> None:
    rec, broker = Recorder(restarting=True), Broker()
    session = await _session(client, rec, events=True, broker=broker)
    assert not session.mqtt_live(60)  # subscribed, but nothing from the plug yet
    broker.publish("state", STATE)
    assert session.mqtt_live(60)
    await asyncio.sleep(0.06)
    assert not session.mqtt_live(0.05)  # nothing heard for longer than asked
    broker.publish("status", "online")
    assert session.mqtt_live(0.05)
    broker.publish("status", "offline")  # its last will: a command would wait at the broker
    assert not session.mqtt_live(60)
    broker.publish("state", STATE)
    assert session.mqtt_live(60)
    session.mqtt_connection(False)  # HA's own MQTT client is down
    assert not session.mqtt_live(60)
    session.stop()
