"""MQTT topic layout and message decoding (openbl602/<id>/...), independent of any MQTT library."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .exceptions import BadPayload
from .models import ButtonEvent, CommandResult, DeviceInfo, OtaProgress, PlugState
from .payloads import (
    decode_event,
    loads_object,
    parse_info,
    parse_result,
    parse_state,
)

BASE = "openbl602"
DISCOVERY_TOPIC = f"{BASE}/+/info"
ONLINE = "online"
OFFLINE = "offline"
COMMANDS = frozenset({"relay", "config", "calibrate", "energy_reset", "identify", "reboot"})


@dataclass(frozen=True, slots=True)
class Topics:
    """Every topic of one plug."""

    device_id: str

    @property
    def base(self) -> str:
        """Prefix shared by all topics of this plug."""
        return f"{BASE}/{self.device_id}"

    @property
    def info(self) -> str:
        """Retained identity document (also the discovery topic)."""
        return f"{self.base}/info"

    @property
    def status(self) -> str:
        """Retained online/offline (last will)."""
        return f"{self.base}/status"

    @property
    def state(self) -> str:
        """Retained full state."""
        return f"{self.base}/state"

    @property
    def event(self) -> str:
        """Button and OTA events."""
        return f"{self.base}/event"

    @property
    def result(self) -> str:
        """Answers to commands."""
        return f"{self.base}/result"

    def command(self, name: str) -> str:
        """Topic a command is published to."""
        if name not in COMMANDS:
            raise ValueError(f"unknown command {name!r}")
        return f"{self.base}/cmd/{name}"


def device_id_from_topic(topic: str) -> str:
    """The <id> of openbl602/<id>/..."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != BASE or not parts[1]:
        raise BadPayload(f"not an openbl602 topic: {topic!r}")
    return parts[1]


def _text(payload: bytes | str) -> str:
    if isinstance(payload, bytes):
        try:
            return payload.decode()
        except UnicodeDecodeError as err:
            raise BadPayload("payload is not UTF-8") from err
    return payload


def parse_discovery(topic: str, payload: bytes | str) -> DeviceInfo:
    """Parse a retained info message; its id must match the topic's."""
    info = parse_info(loads_object(_text(payload)))
    if info.device_id != device_id_from_topic(topic):
        raise BadPayload("info id does not match its topic")
    return info


def parse_status(payload: bytes | str) -> bool:
    """True for "online", False for "offline"."""
    text = _text(payload).strip()
    if text not in (ONLINE, OFFLINE):
        raise BadPayload(f"status must be online or offline, not {text[:20]!r}")
    return text == ONLINE


def parse_state_message(payload: bytes | str) -> PlugState:
    """Parse a state message."""
    return parse_state(loads_object(_text(payload)))


def parse_event_message(payload: bytes | str) -> OtaProgress | ButtonEvent:
    """Parse an event message: {"event": "ota"|"button", ...}."""
    obj = loads_object(_text(payload))
    return decode_event(str(obj.get("event") or obj.get("type") or ""), obj)


def parse_result_message(payload: bytes | str) -> CommandResult:
    """Parse a command result."""
    return parse_result(loads_object(_text(payload)))


def command_payload(body: Mapping[str, Any], req: str | None = None) -> str:
    """JSON for a command topic, with the optional request id echoed in the result."""
    out = dict(body)
    if req is not None:
        out["req"] = req
    return json.dumps(out, separators=(",", ":"))
