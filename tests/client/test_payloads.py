"""Payload parsers accept the documents of docs/protocol.md and reject malformed ones whole."""

from __future__ import annotations

import copy
import json

import pytest

from custom_components.openbl602_plug.client import (
    BadPayload,
    OtaState,
    ProtocolMismatch,
    Tripped,
    ensure_supported,
    normalize_mac,
    parse_info,
    parse_state,
    parse_txt,
)
from custom_components.openbl602_plug.client import mqtt as mqtt_msg
from custom_components.openbl602_plug.client.models import ButtonEvent, OtaProgress
from custom_components.openbl602_plug.client.payloads import loads_object, parse_error, parse_ota

from ..fakeplug import INFO, STATE


def test_info_document_parses() -> None:
    info = parse_info(INFO | {"http": "http://192.168.1.23:80"})
    assert info.device_id == "kettle"
    assert info.mac == "02a1b2c3d4e5"
    assert info.hostname == "openbl602-kettle"
    assert info.http_url == "http://192.168.1.23:80"
    assert "events" in info.capabilities
    assert not info.mqtt
    assert not info.auth_required
    assert ensure_supported(info) is info


def test_image_board_prefers_an_ota_board_key() -> None:
    assert parse_info(INFO).image_board == "SM-028_V1.3"
    assert parse_info(INFO | {"ota_board": "posix-sim"}).image_board == "posix-sim"


def test_unsupported_protocol_is_a_protocol_mismatch() -> None:
    with pytest.raises(ProtocolMismatch) as err:
        ensure_supported(parse_info(INFO | {"protocol": 2}))
    assert err.value.version == 2


@pytest.mark.parametrize(
    "change",
    [
        {"id": "Bad_ID"},
        {"id": ""},
        {"mac": "zz"},
        {"fw": 1},
        {"protocol": True},
        {"capabilities": "relay"},
        {"name": 5},
    ],
)
def test_malformed_info_is_rejected(change: dict) -> None:
    with pytest.raises(BadPayload):
        parse_info(INFO | change)


def test_mac_forms() -> None:
    assert normalize_mac("02:A1:B2:C3:D4:E5") == "02a1b2c3d4e5"
    assert normalize_mac("02-a1-b2-c3-d4-e5") == "02a1b2c3d4e5"


def test_txt_record_parses_bytes_and_strings() -> None:
    info = parse_txt(
        {
            "id": b"kettle",
            "mac": "02a1b2c3d4e5",
            "model": b"m",
            "fw": b"0.1.0",
            "protocol": b"1",
            "board": None,
        }
    )
    assert (info.device_id, info.protocol, info.board) == ("kettle", 1, "unknown")
    with pytest.raises(BadPayload):
        parse_txt({"id": "kettle", "mac": "02a1b2c3d4e5", "fw": "0.1.0"})


def test_state_document_parses() -> None:
    state = parse_state(STATE)
    assert state.relay is True
    assert state.power_w == 115.2
    assert state.energy_wh == 12873
    assert state.tripped is Tripped.NONE
    assert state.ota.state is OtaState.IDLE
    assert not state.stale_voltage


def test_state_null_power_factor_is_none_not_zero() -> None:
    state = parse_state(STATE | {"power_factor": None})
    assert state.power_factor is None


def test_state_lockout_is_optional_for_older_firmware() -> None:
    """Protocol §3 `lockout` (added key): firmware without it never locks the relay."""
    assert parse_state(STATE | {"lockout": True}).lockout is True
    assert parse_state(STATE | {"lockout": True}).has_lockout
    older = {key: value for key, value in STATE.items() if key != "lockout"}
    assert parse_state(older).lockout is False
    assert not parse_state(older).has_lockout


def test_state_null_energy_is_unknown_not_zero() -> None:
    """Protocol §3: null while the plug cannot read its stored total; never read as 0."""
    state = parse_state(STATE | {"energy_wh": None})
    assert state.energy_wh is None
    assert parse_state(STATE | {"energy_wh": 0}).energy_wh == 0


@pytest.mark.parametrize(
    "change",
    [
        {"relay": "on"},
        {"power_w": "5"},
        {"power_w": True},
        {"energy_wh": -1},
        {"energy_wh": 1.5},
        {"tripped": "fire"},
        {"ota": {"state": "dancing"}},
        {"ota": {"state": "receiving", "progress": 101}},
        {"ota": {"state": "failed", "error": 5}},
        {"stale": []},
        {"reset_reason": 3},
        {"lockout": "yes"},
    ],
)
def test_malformed_state_is_rejected(change: dict) -> None:
    with pytest.raises(BadPayload):
        parse_state(copy.deepcopy(STATE) | change)


def test_non_finite_numbers_are_rejected() -> None:
    with pytest.raises(BadPayload):
        parse_state(STATE | {"power_w": float("nan")})


def test_loads_object_rejects_non_objects() -> None:
    for raw in (b"[1]", b"{", b"\xff\xfe", "null"):
        with pytest.raises(BadPayload):
            loads_object(raw)


def test_error_body_shapes() -> None:
    assert parse_error({"error": {"code": "out_of_range", "message": "m", "field": "f"}}) == (
        "out_of_range",
        "m",
        "f",
    )
    assert parse_error({"error": "busy"}) == ("busy", "", None)
    assert parse_error({}) == ("unknown", "", None)


def test_ota_status_with_bytes() -> None:
    ota = parse_ota(
        {"state": "receiving", "progress": 42, "bytes": 215040, "total": 512000, "error": None}
    )
    assert (ota.progress, ota.received, ota.total) == (42, 215040, 512000)
    assert parse_ota({"state": "failed", "error": {"code": "wrong_board"}}).error == "wrong_board"


def test_mqtt_topics_and_messages() -> None:
    topics = mqtt_msg.Topics("kettle")
    assert topics.info == "openbl602/kettle/info"
    assert topics.status == "openbl602/kettle/status"
    assert topics.state == "openbl602/kettle/state"
    assert topics.event == "openbl602/kettle/event"
    assert topics.result == "openbl602/kettle/result"
    assert topics.command("relay") == "openbl602/kettle/cmd/relay"
    with pytest.raises(ValueError, match="unknown command"):
        topics.command("selfdestruct")
    info = mqtt_msg.parse_discovery("openbl602/kettle/info", json.dumps(INFO).encode())
    assert info.device_id == "kettle"
    with pytest.raises(BadPayload):
        mqtt_msg.parse_discovery("openbl602/other/info", json.dumps(INFO))
    with pytest.raises(BadPayload):
        mqtt_msg.parse_discovery("tasmota/x/info", json.dumps(INFO))
    assert mqtt_msg.parse_status(b"online") is True
    assert mqtt_msg.parse_status("offline") is False
    with pytest.raises(BadPayload):
        mqtt_msg.parse_status(b"maybe")
    with pytest.raises(BadPayload):
        mqtt_msg.parse_status(b"\xff")
    assert mqtt_msg.parse_state_message(json.dumps(STATE)).energy_wh == 12873
    event = mqtt_msg.parse_event_message(b'{"type":"button","action":"double"}')
    assert event == ButtonEvent("double")
    ota = mqtt_msg.parse_event_message(
        b'{"type":"ota","state":"verifying","progress":100,"error":null}'
    )
    assert isinstance(ota, OtaProgress)
    assert ota.state is OtaState.VERIFYING
    with pytest.raises(BadPayload):
        mqtt_msg.parse_event_message(b'{"type":"weather"}')
    result = mqtt_msg.parse_result_message(
        b'{"cmd":"config","req":null,"ok":false,"error":{"code":"invalid_value","message":"m","field":"led"}}'
    )
    assert (result.ok, result.error_code, result.error_field) == (False, "invalid_value", "led")
    assert (
        mqtt_msg.parse_result_message(b'{"cmd":"relay","req":42,"ok":true,"error":null}').req
        == "42"
    )
    assert json.loads(mqtt_msg.command_payload({"on": True}, "7")) == {"on": True, "req": "7"}
    assert mqtt_msg.device_id_from_topic("openbl602/kettle/state") == "kettle"
