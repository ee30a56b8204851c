"""The device client against the real firmware core (openbl602-sim) over HTTP and Mosquitto.

These need the simulated plug: they fail when OBL_SIM names a missing binary (scripts/test sets it)
and skip when it is unset and the default build is absent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import aiohttp
import paho.mqtt.client as paho
import pytest

from custom_components.openbl602_plug.client import (
    AuthFailed,
    CommandError,
    OblHttpClient,
    OtaState,
    PlugState,
    ensure_supported,
)
from custom_components.openbl602_plug.client import mqtt as mqtt_msg
from custom_components.openbl602_plug.client.ota_image import board_matches

from ..conftest import SimPlug
from ..images import obli


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _until(client: OblHttpClient, check: Callable[[PlugState], bool]) -> PlugState:
    """Poll state until check holds (metering needs a few BL0937 periods to settle)."""
    for _ in range(50):
        if check(state := await client.state()):
            return state
        await asyncio.sleep(0.2)
    pytest.fail(f"state never satisfied the check: {state}")


async def test_sim_identity_follows_the_protocol(
    sim_factory: Callable[..., SimPlug], session: aiohttp.ClientSession
) -> None:
    sim = sim_factory("simplug")
    info = ensure_supported(await OblHttpClient(session, sim.host, sim.http_port).info())
    assert info.device_id == "simplug"
    assert info.hostname == "openbl602-simplug"
    assert info.mac == "02" + hashlib.sha256(b"simplug").digest()[:5].hex()
    assert info.protocol == 1
    assert not info.auth_required


async def test_sim_relay_round_trip_and_metering(
    sim_factory: Callable[..., SimPlug], session: aiohttp.ClientSession
) -> None:
    sim = sim_factory("relayplug", load="60W")
    client = OblHttpClient(session, sim.host, sim.http_port)
    state = await client.set_relay(True)
    assert state.relay is True
    state = await _until(client, lambda s: s.power_w is not None and s.power_w > 50)
    assert state.power_w == pytest.approx(60, rel=0.1)
    off = await client.set_relay(False)
    assert off.relay is False
    assert off.power_w == 0


async def test_sim_startup_state_round_trip(
    sim_factory: Callable[..., SimPlug], session: aiohttp.ClientSession
) -> None:
    sim = sim_factory("startplug")
    client = OblHttpClient(session, sim.host, sim.http_port)
    for startup in ("off", "on", "restore", "toggle"):
        assert (await client.patch_config({"startup": startup}))["startup"] == startup
        assert (await client.config())["startup"] == startup
    with pytest.raises(CommandError) as err:
        await client.patch_config({"startup": "sometimes"})
    assert (err.value.status, err.value.code, err.value.field) == (400, "invalid_value", "startup")


async def test_sim_calibration_refused_with_relay_off(
    sim_factory: Callable[..., SimPlug], session: aiohttp.ClientSession
) -> None:
    sim = sim_factory("calplug")
    client = OblHttpClient(session, sim.host, sim.http_port)
    await client.set_relay(False)
    with pytest.raises(CommandError) as err:
        await client.calibrate(power_w=60.0)
    assert err.value.status == 409


async def test_sim_password_protects_state(
    sim_factory: Callable[..., SimPlug], session: aiohttp.ClientSession
) -> None:
    sim = sim_factory("authplug")
    open_client = OblHttpClient(session, sim.host, sim.http_port)
    await open_client.patch_config({"api_password": "s3cret-pass"})
    assert (await open_client.info()).auth_required
    with pytest.raises(AuthFailed):
        await open_client.state()
    assert (await OblHttpClient(session, sim.host, sim.http_port, "s3cret-pass").state()).relay in (
        True,
        False,
    )


async def test_sim_event_stream_starts_with_state(
    sim_factory: Callable[..., SimPlug], session: aiohttp.ClientSession
) -> None:
    sim = sim_factory("sseplug")
    client = OblHttpClient(session, sim.host, sim.http_port)
    async with asyncio.timeout(10):
        async for event in client.events():
            assert event.event == "state"
            assert "energy_wh" in json.loads(event.data)
            break


async def test_sim_refuses_a_wrong_board_image(
    sim_factory: Callable[..., SimPlug], session: aiohttp.ClientSession
) -> None:
    sim = sim_factory("otaplug")
    client = OblHttpClient(session, sim.host, sim.http_port)
    info = await client.info()
    assert not board_matches("not-this-board", info.board)
    with pytest.raises(CommandError) as err:
        await client.upload_ota(obli(board="not-this-board"))
    assert (err.value.status, err.value.code) == (400, "invalid_image")
    status = await client.ota_status()
    assert status.state is OtaState.FAILED
    assert status.error == "wrong_board"


class _Collector:
    """paho client collecting messages into a thread-safe queue."""

    def __init__(self, port: int, topics: list[str]) -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.seen: list[tuple[str, bytes]] = []
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        subscribed = threading.Event()

        def on_connect(client: paho.Client, *_args: object) -> None:
            for topic in topics:
                client.subscribe(topic, 1)
            subscribed.set()

        self.client.on_connect = on_connect

        def on_message(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
            self.seen.append((msg.topic, msg.payload))
            self.messages.put((msg.topic, msg.payload))

        self.client.on_message = on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.wait(5)

    def wait_for(self, topic: str, timeout: float = 10.0) -> bytes:
        while True:
            got_topic, payload = self.messages.get(timeout=timeout)
            if got_topic == topic:
                return payload

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def collector_factory() -> Iterator[Callable[[int, list[str]], _Collector]]:
    made: list[_Collector] = []

    def make(port: int, topics: list[str]) -> _Collector:
        made.append(_Collector(port, topics))
        return made[-1]

    yield make
    for collector in made:
        collector.close()


async def test_sim_over_real_mosquitto(
    sim_factory: Callable[..., SimPlug],
    mqtt_broker: int,
    collector_factory: Callable[[int, list[str]], _Collector],
) -> None:
    collector = collector_factory(mqtt_broker, ["openbl602/#"])
    sim_factory("mqttplug", mqtt_port=mqtt_broker)
    topics = mqtt_msg.Topics("mqttplug")
    wait = collector.wait_for
    assert mqtt_msg.parse_status(await asyncio.to_thread(wait, topics.status)) is True
    info = mqtt_msg.parse_discovery(topics.info, await asyncio.to_thread(wait, topics.info))
    assert info.http_url is not None
    assert info.http_url.startswith("http://127.0.0.1:")
    mqtt_msg.parse_state_message(await asyncio.to_thread(wait, topics.state))
    collector.client.publish(
        topics.command("relay"), mqtt_msg.command_payload({"on": False}, "r1"), qos=1
    )
    result = mqtt_msg.parse_result_message(await asyncio.to_thread(wait, topics.result))
    assert (result.cmd, result.req, result.ok) == ("relay", "r1", True)
    # §8.3: the state a command caused is published before its result
    result_at = next(i for i, (topic, _) in enumerate(collector.seen) if topic == topics.result)
    before_result = collector.seen[:result_at]
    states = [mqtt_msg.parse_state_message(p) for t, p in before_result if t == topics.state]
    assert states[-1].relay is False
