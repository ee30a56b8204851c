"""Parsers for every JSON payload the plug sends, over HTTP, SSE, MQTT and mDNS alike.

Each parser validates types and ranges and raises BadPayload with the offending key, so a
malformed message is rejected whole instead of half-applied.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .exceptions import BadPayload, ProtocolMismatch
from .models import (
    SUPPORTED_PROTOCOL,
    ButtonConfig,
    ButtonEvent,
    CommandResult,
    DeviceInfo,
    OtaProgress,
    OtaState,
    PlugConfig,
    PlugState,
    ProtectionConfig,
    Tripped,
)

_DEVICE_ID = re.compile(r"[a-z0-9-]{1,32}")
_MAC_HEX = re.compile(r"[0-9a-f]{12}")


def loads_object(data: bytes | bytearray | str) -> dict[str, Any]:
    """Decode a JSON document that must be an object."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadPayload(f"not JSON: {err}") from err
    if not isinstance(value, dict):
        raise BadPayload("JSON payload is not an object")
    return value


def normalize_mac(value: str) -> str:
    """Return a MAC as 12 lowercase hex digits; accepts ':'/'-' separated forms."""
    mac = value.replace(":", "").replace("-", "").lower()
    if not _MAC_HEX.fullmatch(mac):
        raise BadPayload(f"bad MAC address {value!r}")
    return mac


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise BadPayload(f"{key!r} must be a non-empty string")
    return value


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadPayload(f"{key!r} must be a string")
    return value


def _bool(obj: Mapping[str, Any], key: str, default: bool | None = None) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise BadPayload(f"{key!r} must be true or false")
    return value


def _int(value: object, key: str) -> int:
    # bool is an int subclass; a plug sending true for a number is a bug, not a 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadPayload(f"{key!r} must be an integer")
    return value


def _opt_int(obj: Mapping[str, Any], key: str) -> int | None:
    value = obj.get(key)
    return None if value is None else _int(value, key)


def _opt_float(obj: Mapping[str, Any], key: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadPayload(f"{key!r} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise BadPayload(f"{key!r} must be finite")
    return number


def _protocol(value: object) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return _int(value, "protocol")


def _capabilities(obj: Mapping[str, Any]) -> frozenset[str]:
    caps = obj.get("capabilities")
    if caps is None:
        return frozenset()
    if not isinstance(caps, list) or not all(isinstance(cap, str) for cap in caps):
        raise BadPayload("'capabilities' must be a list of strings")
    return frozenset(caps)


def parse_info(obj: Mapping[str, Any]) -> DeviceInfo:
    """Parse the identity document (GET /api/v1/info or the MQTT info topic)."""
    device_id = _str(obj, "id")
    if not _DEVICE_ID.fullmatch(device_id):
        raise BadPayload(f"bad device id {device_id!r}")
    http_url = _opt_str(obj, "http")
    return DeviceInfo(
        device_id=device_id,
        mac=normalize_mac(_str(obj, "mac")),
        model=_opt_str(obj, "model") or "unknown",
        firmware=_str(obj, "fw"),
        protocol=_protocol(obj.get("protocol")),
        board=_opt_str(obj, "board") or "unknown",
        name=_opt_str(obj, "name"),
        http_url=http_url,
        capabilities=_capabilities(obj),
        auth_required=obj.get("auth") is True,
        setup_mode=obj.get("setup_mode") is True,
        raw=dict(obj),
    )


def parse_txt(properties: Mapping[str, str | bytes | None]) -> DeviceInfo:
    """Parse the mDNS TXT record of _openbl602._tcp (keys id, mac, model, fw, protocol, board)."""
    decoded: dict[str, Any] = {}
    for key, value in properties.items():
        decoded[key] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if "protocol" not in decoded:
        raise BadPayload("'protocol' missing from TXT record")
    return parse_info(decoded)


def ensure_supported(info: DeviceInfo) -> DeviceInfo:
    """Raise ProtocolMismatch unless the plug speaks the protocol version we implement."""
    if info.protocol != SUPPORTED_PROTOCOL:
        raise ProtocolMismatch(info.protocol)
    return info


def parse_ota(obj: Mapping[str, Any]) -> OtaProgress:
    """Parse an OTA progress object."""
    try:
        state = OtaState(_str(obj, "state"))
    except ValueError as err:
        raise BadPayload(f"unknown OTA state {obj.get('state')!r}") from err
    progress = _opt_int(obj, "progress") or 0
    if not 0 <= progress <= 100:
        raise BadPayload("'progress' must be 0-100")
    error = obj.get("error")
    if isinstance(error, Mapping):
        error = error.get("message") or error.get("code")
    if error is not None and not isinstance(error, str):
        raise BadPayload("'error' must be a string")
    return OtaProgress(
        state=state,
        progress=progress,
        error=error or None,
        received=_opt_int(obj, "bytes"),
        total=_opt_int(obj, "total"),
    )


def parse_state(obj: Mapping[str, Any]) -> PlugState:
    """Parse a full state report."""
    try:
        tripped = Tripped(obj.get("tripped") or "none")
    except ValueError as err:
        raise BadPayload(f"unknown protection state {obj.get('tripped')!r}") from err
    energy = _opt_int(obj, "energy_wh")
    if energy is not None and energy < 0:
        raise BadPayload("'energy_wh' must not be negative")
    ota = obj.get("ota")
    stale = obj.get("stale")
    if stale is not None and not isinstance(stale, Mapping):
        raise BadPayload("'stale' must be an object")
    stale = stale or {}
    return PlugState(
        relay=_bool(obj, "relay"),
        power_w=_opt_float(obj, "power_w"),
        voltage_v=_opt_float(obj, "voltage_v"),
        current_a=_opt_float(obj, "current_a"),
        apparent_power_va=_opt_float(obj, "apparent_power_va"),
        power_factor=_opt_float(obj, "power_factor"),
        energy_wh=energy,
        tripped=tripped,
        rssi_dbm=_opt_int(obj, "rssi_dbm"),
        uptime_s=_opt_int(obj, "uptime_s"),
        reset_reason=_opt_str(obj, "reset_reason"),
        safe_mode=_bool(obj, "safe_mode", False),
        ota=parse_ota(ota) if isinstance(ota, Mapping) else OtaProgress(OtaState.IDLE),
        stale_voltage=bool(stale.get("voltage", False)),
        stale_current=bool(stale.get("current", False)),
        lockout=_bool(obj, "lockout", False),
        config_rev=_opt_int(obj, "config_rev"),
        raw=dict(obj),
    )


def parse_error(obj: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """Return (code, message, field) of an error body {"error": {...}}; tolerant of omissions."""
    error = obj.get("error")
    if isinstance(error, str):
        return error, "", None
    if not isinstance(error, Mapping):
        return "unknown", "", None
    code = error.get("code")
    message = error.get("message")
    err_field = error.get("field")
    return (
        code if isinstance(code, str) and code else "unknown",
        message if isinstance(message, str) else "",
        err_field if isinstance(err_field, str) and err_field else None,
    )


def parse_result(obj: Mapping[str, Any]) -> CommandResult:
    """Parse an MQTT command result."""
    req = obj.get("req")
    if req is not None and not isinstance(req, str):
        req = str(req)
    ok = _bool(obj, "ok")
    code = message = err_field = None
    if not ok:
        code, message, err_field = parse_error(obj)
    return CommandResult(
        cmd=_str(obj, "cmd"),
        req=req,
        ok=ok,
        error_code=code,
        error_message=message,
        error_field=err_field,
    )


def parse_button(obj: Mapping[str, Any]) -> ButtonEvent:
    """Parse a button event; the action name is all we rely on."""
    action = obj.get("action") or obj.get("press") or obj.get("type") or "press"
    if not isinstance(action, str):
        raise BadPayload("'action' must be a string")
    return ButtonEvent(action=action, raw=dict(obj))


def decode_event(kind: str, obj: Mapping[str, Any]) -> OtaProgress | ButtonEvent:
    """An event body (SSE "button"/"ota", MQTT event "type") by kind; OTA bodies may nest
    under "ota"."""
    if kind == "ota":
        inner = obj.get("ota")
        return parse_ota(inner if isinstance(inner, Mapping) else obj)
    if kind == "button":
        return parse_button(obj)
    raise BadPayload(f"unknown event {kind!r}")


def _opt_bool(obj: Mapping[str, Any], key: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadPayload(f"{key!r} must be true or false")
    return value


def _section(obj: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise BadPayload(f"{key!r} must be an object")
    return value


def parse_config(obj: Mapping[str, Any]) -> PlugConfig:
    """Parse GET /api/v1/config (also the PATCH answer); fields a firmware lacks stay None."""
    button = _section(obj, "button")
    protection = _section(obj, "protection")
    mqtt = _section(obj, "mqtt") or {}
    return PlugConfig(
        name=_opt_str(obj, "name"),
        startup=_opt_str(obj, "startup"),
        led=_opt_str(obj, "led"),
        button=None
        if button is None
        else ButtonConfig(
            enabled=_opt_bool(button, "enabled"),
            double_press=_opt_bool(button, "double_press"),
            long_press_ms=_opt_int(button, "long_press_ms"),
            setup_hold_s=_opt_int(button, "setup_hold_s"),
        ),
        protection=None
        if protection is None
        else ProtectionConfig(
            max_power_w=_opt_float(protection, "max_power_w"),
            max_current_a=_opt_float(protection, "max_current_a"),
            hold_s=_opt_int(protection, "hold_s"),
            reclose_s=_opt_int(protection, "reclose_s"),
        ),
        mqtt_enabled=_opt_bool(mqtt, "enabled") is True,
        raw=dict(obj),
    )
