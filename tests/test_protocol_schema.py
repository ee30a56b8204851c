"""docs/protocol.schema.json is docs/protocol.md in machine-readable form, and the client agrees.

Every table of the document that defines payload fields, enum values, ranges, defaults, endpoints,
topics, commands or error codes is parsed and compared with the schema both ways; the JSON examples
in the document validate; the client's enums, parsers and HA's entity ranges come from the same
values. The firmware and the in-process fake are held to the schema in test_config_contract.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from custom_components.openbl602_plug.client import OtaState, StartupState, Tripped
from custom_components.openbl602_plug.client.payloads import parse_info, parse_ota, parse_state
from custom_components.openbl602_plug.event import GESTURES
from custom_components.openbl602_plug.number import NUMBERS
from custom_components.openbl602_plug.select import SELECTS
from custom_components.openbl602_plug.sensor import RESET_REASONS

from . import protocol_contract as pc

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
DEFS = pc.schema()["$defs"]


def _section(title: str) -> str:
    start = DOC.index(f"\n## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end]


def _table(text: str, header: str) -> list[list[str]]:
    """Rows of the markdown table whose header line starts with header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        rows.append([c.strip() for c in cells])
    return rows


def _ticks(text: str) -> list[str]:
    return [t.strip('"') for t in re.findall(r"`([^`]*)`", text)]


def _json_blocks(text: str) -> list[Any]:
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", text, re.S)]


def _leaves(node: dict[str, Any], path: str = "") -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, sub in node.get("properties", {}).items():
        if sub.get("type") == "object" and "properties" in sub:
            out |= _leaves(sub, f"{path}{key}.")
        out[f"{path}{key}"] = sub
    return out


def _bounds(sub: dict[str, Any], low: str, high: str) -> tuple[bool, Any, Any]:
    """(0-or, min, max) of a field, looking into a "0 or a-b" anyOf."""
    if "anyOf" in sub:
        first, last = sub["anyOf"][0], sub["anyOf"][-1]
        zero = first.get("const") == 0 or first.get("maxLength") == 0
        return zero, last.get(low), last.get(high)
    return False, sub.get(low), sub.get(high)


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(pc.schema())


CONFIG_TYPES = {"int": "integer", "number": "number", "bool": "boolean", "string": "string"}


def test_config_table_and_schema_agree_field_by_field() -> None:
    rows = _table(_section("4. Config"), "| field |")
    leaves = dict(pc.config_leaves())
    documented = {_ticks(row[0])[0]: row for row in rows}
    writable = {f for f, s in leaves.items() if not s.get("readOnly")}
    assert set(documented) == writable
    for field, (_, kind, rng, default, notes) in documented.items():
        sub = leaves[field]
        assert sub["type"] == CONFIG_TYPES[kind.split(",")[0]], field
        assert bool(sub.get("writeOnly")) == ("write-only" in kind), field
        low, high = (
            ("minLength", "maxLength") if sub["type"] == "string" else ("minimum", "maximum")
        )
        if match := re.match(r"(0 or )?(\d+(?:\.\d+)?)\u2013(\d+(?:\.\d+)?)", rng):
            zero, lo, hi = _bounds(sub, low, high)
            assert (zero, lo, hi) == (
                bool(match[1]),
                float(match[2]),
                float(match[3]),
            ), field
        else:
            assert sub.get(low) is None, field
            assert sub.get(high) is None, field
        if "enum" in sub:
            assert set(_ticks(rng)) == set(sub["enum"]), field
        assert ("hex digits" in rng) == ("pattern" in sub and field != "api_password"), field
        if default.startswith("`"):
            text = default.strip("`")
            value = json.loads(text) if re.fullmatch(r'[\d.]+|true|false|""', text) else text
            assert value == sub["default"], field
        else:
            assert "default" not in sub, field
        if sub.get("writeOnly"):
            shown = f"{field.rsplit('.', 1)[0]}.password_set" if "." in field else f"{field}_set"
            assert shown in _ticks(notes), field
            assert leaves[shown].get("readOnly"), shown


def test_info_table_and_schema_agree() -> None:
    rows = _table(_section("2. Identity (info)"), "| key |")
    keys = {key for row in rows for key in _ticks(row[0])}
    assert keys == set(DEFS["info"]["properties"])
    caps_row = next(row for row in rows if row[0] == "`capabilities`")
    listed = _ticks(caps_row[2].split("Values in protocol 1:")[1])
    assert listed == DEFS["info"]["properties"]["capabilities"]["items"]["enum"]


STATE_TYPES = {"int": "integer", "number": "number", "bool": "boolean", "string": "string"}


def test_state_table_and_schema_agree() -> None:
    rows = _table(_section("3. State"), "| key |")
    leaves = {k: v for k, v in _leaves(DEFS["state"]).items() if k not in ("ota", "stale")}
    documented = {_ticks(row[0])[0]: row for row in rows}
    assert set(documented) == set(leaves)
    for key, (_, kind, meaning) in documented.items():
        sub = leaves[key]
        if "$ref" in sub:
            sub = DEFS["ota_status"]["properties"]["state"]
        types = sub["type"] if isinstance(sub["type"], list) else [sub["type"]]
        assert types[0] == STATE_TYPES[kind.split()[0]], key
        assert ("null" in types) == ("`null`" in kind), key
        if "≥ 0" in kind:
            assert sub.get("minimum") == 0, key
        if match := re.search(r"(\d+)\u2013(\d+)", kind):
            assert (sub.get("minimum"), sub.get("maximum")) == (int(match[1]), int(match[2])), key
        if "enum" in sub:
            assert set(sub["enum"]) <= set(_ticks(meaning)), key


def test_endpoints_topics_commands_events_and_error_codes_agree() -> None:
    endpoints = _table(_section("5. HTTP API"), "| method, path |")
    assert {_ticks(row[0])[0] for row in endpoints} == set(pc.schema()["http"])
    for row in endpoints:
        auth = pc.schema()["http"][_ticks(row[0])[0]]["auth"]
        assert auth == row[1].startswith("yes"), row
    topics = _table(_section("8. MQTT"), "| topic |")
    names = {_ticks(row[0])[0].split("/", 2)[2] for row in topics} - {"cmd/<name>"}
    assert names == set(pc.schema()["mqtt"]["topics"])
    commands = _table(_section("8. MQTT"), "| `<name>` |")
    assert {_ticks(row[0])[0] for row in commands} == set(pc.schema()["mqtt"]["commands"])
    events = _table(_section("6. Server-Sent Events"), "| event |")
    assert {_ticks(row[0])[0] for row in events if "comment" not in row[0]} == set(
        pc.schema()["sse"]
    )
    button = next(row for row in events if row[0] == "`button`")
    assert (
        re.findall(r'"(\w+)"', button[1])[1:]
        == DEFS["button_event"]["properties"]["action"]["enum"]
    )
    statuses = _table(_section("5. HTTP API"), "| status |")
    codes = {code for row in statuses for code in _ticks(row[1])}
    per_field = re.search(r"Per-field error codes: (.*?)\. The whole", _section("4. Config"), re.S)
    assert per_field is not None
    codes |= set(_ticks(per_field[1]))
    # the lines also name fields and headers as examples
    codes = {c for c in codes if re.fullmatch(r"[a-z_]+", c)} - dict(pc.config_leaves()).keys()
    assert codes == set(DEFS["error_item"]["properties"]["code"]["enum"])


def test_the_documents_examples_validate() -> None:
    blocks = _json_blocks(DOC)
    info, state, config = blocks[0], blocks[1], blocks[2]
    assert not pc.errors(pc.validator("info"), info)
    assert not pc.errors(pc.validator("state"), state)
    assert not pc.errors(pc.validator("config"), config)
    assert not pc.errors(pc.validator("error_body"), blocks[3])
    ota = next(b for b in blocks if b.get("state") == "receiving")
    assert not pc.errors(pc.validator("ota_status"), ota)
    setup = next(b for b in blocks if "wifi" in b and "api_password" in b)
    assert not pc.errors(pc.endpoint_validator("POST /api/v1/setup"), setup)


# -- the client and HA's entities take their values from the same contract ----------------


def _enum(pointer: str) -> list[str]:
    node: Any = pc.schema()
    for part in pointer.strip("/").split("/"):
        node = node[part]
    return list(node["enum"])


def test_client_enums_are_the_schemas() -> None:
    assert [s.value for s in OtaState] == _enum("$defs/ota_status/properties/state")
    assert [t.value for t in Tripped] == _enum("$defs/state/properties/tripped")
    assert [s.value for s in StartupState] == _enum("$defs/config/properties/startup")
    assert _enum("$defs/state/properties/reset_reason") == RESET_REASONS
    assert _enum("$defs/button_event/properties/action") == GESTURES


def test_selects_offer_exactly_the_schemas_values() -> None:
    for description in SELECTS:
        assert set(description.options or []) == set(
            _enum(f"$defs/config/properties/{description.field}")
        ), description.key


def test_numbers_use_the_schemas_ranges_and_types() -> None:
    protection = DEFS["config"]["properties"]["protection"]["properties"]
    for description in NUMBERS:
        sub = protection[description.field]
        zero, lo, hi = _bounds(sub, "minimum", "maximum")
        assert description.native_max_value == hi, description.key
        assert description.native_min_value == (0 if zero else lo), description.key
        if sub["type"] == "integer":
            assert description.native_step == 1, description.key


def test_client_parsers_accept_every_schema_value() -> None:
    state = _json_blocks(DOC)[1]
    for tripped in _enum("$defs/state/properties/tripped"):
        assert parse_state(state | {"tripped": tripped}).tripped.value == tripped
    for ota in _enum("$defs/ota_status/properties/state"):
        assert parse_ota({"state": ota, "progress": 0, "error": None}).state.value == ota
    assert parse_state(state | {"energy_wh": None, "power_factor": None}).energy_wh is None
    info = _json_blocks(DOC)[0]
    assert parse_info(info).capabilities == frozenset(
        DEFS["info"]["properties"]["capabilities"]["items"]["enum"]
    )


@pytest.mark.parametrize(
    ("document", "name"),
    [
        ({"relay": "yes"}, "state"),
        ({"energy_wh": 1.5}, "state"),
        ({"energy_wh": -1}, "state"),
        ({"tripped": "fire"}, "state"),
        ({"power_w": "1"}, "state"),
    ],
)
def test_what_the_schema_refuses_the_client_refuses(document: dict[str, Any], name: str) -> None:
    from custom_components.openbl602_plug.client import BadPayload

    state = _json_blocks(DOC)[1] | document
    assert pc.errors(pc.validator(name), state)
    with pytest.raises(BadPayload):
        parse_state(state)


def test_the_typed_config_covers_the_schema_fields_it_names() -> None:
    from dataclasses import fields

    from custom_components.openbl602_plug.client import parse_config
    from custom_components.openbl602_plug.client.models import (
        ButtonConfig,
        PlugConfig,
        ProtectionConfig,
    )

    leaves = dict(pc.config_leaves())
    for model, prefix in ((ButtonConfig, "button."), (ProtectionConfig, "protection.")):
        for item in fields(model):
            assert f"{prefix}{item.name}" in leaves, item.name
    for item in fields(PlugConfig):
        if item.name not in ("button", "protection", "raw"):
            assert item.name.replace("mqtt_", "mqtt.") in leaves, item.name
    config = parse_config(_json_blocks(DOC)[2])
    assert config.protection is not None
    assert config.protection.hold_s == 2
    assert config.button is not None
    assert config.button.long_press_ms == 1000
    assert config.mqtt_enabled is True
    assert config.startup in _enum("$defs/config/properties/startup")
