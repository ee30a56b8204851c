"""The firmware's config validator (through the real simulated plug) and tests/fakeplug.py against
docs/protocol.schema.json: every enum value and range boundary accepted, every out-of-range value,
wrong type, unknown and read-only field refused with the document's error code.

The cases are generated from the schema, so a field added to the schema is tested on both at once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from . import protocol_contract as pc
from .conftest import SimPlug
from .fakeplug import FakePlug

# Changing these takes the plug off its network or locks the test out (protocol §4); their
# lengths and types are checked on the fake, and on the sim by the e2e setup/auth tests.
DISRUPTIVE = {"wifi.ssid", "wifi.password", "api_password", "mqtt.enabled"}


def _below(lo: float) -> float:
    return round(lo - max(abs(lo) * 0.1, 0.01), 4)


def _above(hi: float) -> float:
    return round(hi + max(abs(hi) * 0.01, 0.01), 4)


def _cases(field: str, sub: dict[str, Any]) -> Iterator[tuple[Any, str | None]]:
    """(value, expected error code or None for accepted)."""
    if sub.get("readOnly"):
        yield True, "read_only"
        return
    kind = sub["type"]
    if kind == "boolean":
        yield True, None
        yield False, None
        yield 1, "wrong_type"
        yield "true", "wrong_type"
        return
    if kind in ("integer", "number"):
        zero, lo, hi = (
            (True, sub["anyOf"][1]["minimum"], sub["anyOf"][1]["maximum"])
            if "anyOf" in sub
            else (False, sub.get("minimum"), sub.get("maximum"))
        )
        yield lo, None
        yield hi, None
        if zero:
            yield 0, None
            yield lo / 2, "out_of_range"
        elif kind == "integer":
            yield lo - 1, "out_of_range"
        else:
            yield _below(lo), "out_of_range"
        yield (hi + 1 if kind == "integer" else _above(hi)), "out_of_range"
        yield str(lo), "wrong_type"
        if kind == "integer":
            yield float(lo), "wrong_type"  # 5.0 is not a whole number (issue 14 item 2)
        else:
            yield (lo + hi) / 2, None
        return
    assert kind == "string", field
    yield 7, "wrong_type"
    if "enum" in sub:
        for value in sub["enum"]:
            yield value, None
        yield "bogus", "invalid_value"
        return
    if "pattern" in sub and field == "ota_public_key":
        yield "", None
        yield "04" + "zz" * 64, "invalid_value"
        return
    if "maxLength" in sub:
        yield "a" * sub["maxLength"], None
        yield "a" * (sub["maxLength"] + 1), "too_long"
    if sub.get("minLength", 0) > 0:
        yield "", "too_short"


def all_cases() -> list[tuple[dict[str, Any], list[tuple[str, str]]]]:
    """(PATCH body, expected [(code, field)]) for every config field, plus unknown fields."""
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
    for field, sub in pc.config_leaves():
        if field in DISRUPTIVE:
            continue
        for value, code in _cases(field, sub):
            cases.append((pc.nest(field, value), [] if code is None else [(code, field)]))
    cases.append(({"bogus": 1}, [("unknown_field", "bogus")]))
    cases.append(({"button": {"bogus": 1}}, [("unknown_field", "button.bogus")]))
    cases.append(({"startup": "on", "led": "blue"}, [("invalid_value", "led")]))  # all or nothing
    return cases


def test_the_schema_validator_expects_what_the_cases_say() -> None:
    """The generated expectations are the schema's own verdicts (no hand-written answers)."""
    for body, expected in all_cases():
        assert pc.config_patch_errors(body) == expected, body
    for field, sub in pc.config_leaves():
        if field in DISRUPTIVE:
            for value, code in _cases(field, sub):
                got = pc.config_patch_errors(pc.nest(field, value))
                assert got == ([] if code is None else [(code, field)]), (field, value)


def _value(doc: dict[str, Any], field: str) -> Any:
    for part in field.split("."):
        doc = doc[part]
    return doc


@pytest.fixture(params=["sim", "fake"])
async def plug_url(request: pytest.FixtureRequest, socket_enabled: None) -> AsyncIterator[str]:
    """Base URL of the real firmware (openbl602-sim) or of the in-process fake."""
    if request.param == "sim":
        factory: Callable[..., SimPlug] = request.getfixturevalue("sim_factory")
        sim = factory("contract")
        yield f"http://{sim.host}:{sim.http_port}"
        return
    plug = FakePlug()
    await plug.start()
    yield f"http://{plug.host}:{plug.port}"
    await plug.stop()


async def _patch(session: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    async with session.patch(
        f"{url}/api/v1/config",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
    ) as resp:
        return resp.status, await resp.json()


async def test_config_validation_matches_the_schema(plug_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for body, expected in all_cases():
            status, answer = await _patch(session, plug_url, body)
            if not expected:
                assert status == 200, (body, answer)
                assert not pc.errors(pc.validator("config"), answer), answer
                field, value = next(iter(pc.config_leaves_of(body)))
                if not _is_write_only(field):
                    assert _value(answer, field) == pytest.approx(value), (body, answer)
                continue
            assert status == 400, (body, answer)
            assert not pc.errors(pc.validator("error_body"), answer), answer
            got = sorted((e["code"], e.get("field", "")) for e in answer["errors"])
            assert got == expected, body
            assert (answer["error"]["code"], answer["error"].get("field", "")) == expected[0]
        # a refused PATCH changed nothing
        async with session.get(f"{plug_url}/api/v1/config") as resp:
            assert (await resp.json())["led"] != "blue"


def _is_write_only(field: str) -> bool:
    return bool(dict(pc.config_leaves())[field].get("writeOnly"))


COMMAND_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("POST /api/v1/identify", {"seconds": 1}, None),
    ("POST /api/v1/identify", {"seconds": 60}, None),
    ("POST /api/v1/identify", {"seconds": 0}, "out_of_range"),
    ("POST /api/v1/identify", {"seconds": 61}, "out_of_range"),
    ("POST /api/v1/identify", {"seconds": 5.0}, "wrong_type"),
    ("POST /api/v1/identify", {"bogus": 1}, "unknown_field"),
    ("POST /api/v1/relay", {"on": True}, None),
    ("POST /api/v1/relay", {"toggle": True}, None),
    ("POST /api/v1/relay", {"on": 1}, "wrong_type"),
    ("POST /api/v1/relay", {"toggle": False}, "invalid_value"),
    ("POST /api/v1/relay", {}, "required"),
    ("POST /api/v1/calibrate", {"power_w": 0.5}, "out_of_range"),
    ("POST /api/v1/calibrate", {"voltage_v": 301}, "out_of_range"),
    ("POST /api/v1/calibrate", {"current_a": "1"}, "wrong_type"),
]


def test_command_cases_are_the_schemas_verdicts() -> None:
    for endpoint, body, code in COMMAND_CASES:
        codes = {c for c, _ in pc.errors(pc.endpoint_validator(endpoint), body)}
        assert codes == ({code} if code else set()), (endpoint, body)


async def test_command_validation_matches_the_schema(plug_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for endpoint, body, code in COMMAND_CASES:
            method, path = endpoint.split(" ")
            async with session.request(
                method,
                f"{plug_url}{path}",
                data=json.dumps(body),
                headers={"Content-Type": "application/json"},
            ) as resp:
                answer = await resp.json()
            if code is None:
                assert resp.status == 200, (endpoint, body, answer)
                validator = pc.endpoint_validator(endpoint, "response")
                assert not pc.errors(validator, answer), answer
            else:
                assert resp.status == 400, (endpoint, body, answer)
                assert answer["error"]["code"] == code, (endpoint, body, answer)


async def test_every_read_matches_the_schema(plug_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for endpoint in ("GET /api/v1/info", "GET /api/v1/state", "GET /api/v1/config",
                         "GET /api/v1/ota"):  # fmt: skip
            async with session.get(f"{plug_url}{endpoint.split(' ')[1]}") as resp:
                answer = await resp.json()
            assert not pc.errors(pc.endpoint_validator(endpoint, "response"), answer), (
                endpoint,
                answer,
            )
