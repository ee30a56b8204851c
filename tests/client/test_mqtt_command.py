"""Commands over MQTT (protocol §8.3): which are signed (§8.5), how results come back and what a
refusal raises."""

from __future__ import annotations

import asyncio
import json

import pytest

from custom_components.openbl602_plug.client import CannotConnect, CommandError, CommandResult
from custom_components.openbl602_plug.client.mqtt_auth import CounterSource, mac_hex
from custom_components.openbl602_plug.client.mqtt_command import (
    PendingCommands,
    command_message,
    merged,
    needs_signature,
    result_error,
)

TOPIC = "openbl602/a1b2c3/cmd/config"


@pytest.mark.parametrize(
    ("name", "body", "signed"),
    [
        ("relay", {"on": True}, False),
        ("identify", {}, False),
        ("config", {"led": "off", "name": "Kettle"}, False),
        ("config", {"protection": {"max_power_w": 1500}}, True),
        ("config", {"name": "x", "startup": "on"}, True),
        ("config", {"button": {"enabled": False}}, True),
        ("config", {"calibration": {}}, True),
        ("calibrate", {"reset": True}, True),
        ("reboot", {}, True),
    ],
)
def test_only_guarded_commands_are_signed(name: str, body: dict[str, object], signed: bool) -> None:
    assert needs_signature(name, body) is signed
    topic = f"openbl602/a1b2c3/cmd/{name}"
    payload = command_message(topic, name, body, "r1", "s3cret-pass", CounterSource(lambda: 7))
    if not signed:
        assert json.loads(payload) == {**body, "req": "r1"}
        return
    head, text = payload.split(b"\n", 1)
    scheme, counter, mac = head.decode().split(" ")
    assert (scheme, counter) == ("obl-hmac1", "7")
    assert mac == mac_hex("s3cret-pass", topic, 7, text)
    assert json.loads(text) == {**body, "req": "r1"}


def test_no_password_sends_the_plain_form_which_the_plug_refuses_itself() -> None:
    body = {"protection": {"max_power_w": 1500}}
    assert json.loads(command_message(TOPIC, "config", body, "r2", None)) == {**body, "req": "r2"}


def test_each_signed_command_has_a_new_counter() -> None:
    counters = CounterSource(lambda: 1765000000000)
    body = {"protection": {"max_power_w": 1500}}
    first = command_message(TOPIC, "config", body, "a", "pw", counters).split(b" ")[1]
    second = command_message(TOPIC, "config", body, "a", "pw", counters).split(b" ")[1]
    assert (first, second) == (b"1765000000000", b"1765000000001")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("not_allowed", 403),
        ("locked_out", 409),
        ("conflict", 409),
        ("invalid_value", 400),
        ("out_of_range", 400),
        ("not_found", 404),
        ("internal", 500),
        ("busy", 503),
        ("payload_too_large", 413),
    ],
)
def test_a_refusal_is_the_http_error_of_its_code(code: str, status: int) -> None:
    err = result_error(CommandResult("config", "r", False, code, "why", "led"))
    assert (err.status, err.code, err.message, err.field) == (status, code, "why", "led")


def test_merged_applies_a_partial_change_like_the_plug() -> None:
    doc = {"name": "a", "protection": {"max_power_w": 3000, "hold_s": 5}, "led": "relay"}
    out = merged(doc, {"protection": {"max_power_w": 1500}, "led": "off"})
    assert out == {"name": "a", "protection": {"max_power_w": 1500, "hold_s": 5}, "led": "off"}
    assert doc["protection"] == {"max_power_w": 3000, "hold_s": 5}  # the original is untouched


async def test_result_with_the_request_id_ends_the_wait() -> None:
    pending = PendingCommands()
    sent: list[str] = []

    async def publish(req: str) -> None:
        sent.append(req)
        # someone else's result, then ours: only the matching req counts
        assert not pending.resolve(CommandResult("relay", "other", False, "not_allowed"))
        asyncio.get_running_loop().call_soon(pending.resolve, CommandResult("relay", req, True))

    await pending.send(publish, within=5)
    assert len(sent) == 1
    assert 0 < len(sent[0]) <= 32
    assert not pending.resolve(CommandResult("relay", sent[0], True))  # answered once only


async def test_a_refused_command_raises_its_error() -> None:
    pending = PendingCommands()

    async def publish(req: str) -> None:
        pending.resolve(CommandResult("config", req, False, "not_allowed", "authentication failed"))

    with pytest.raises(CommandError) as err:
        await pending.send(publish, within=5)
    assert (err.value.status, err.value.code) == (403, "not_allowed")


async def test_no_result_in_time_is_cannot_connect() -> None:
    pending = PendingCommands()
    reqs: list[str] = []

    async def publish(req: str) -> None:
        reqs.append(req)

    with pytest.raises(CannotConnect, match="no MQTT result"):
        await pending.send(publish, within=0.05)
    assert not pending.resolve(CommandResult("relay", reqs[0], True))  # forgotten after timeout
