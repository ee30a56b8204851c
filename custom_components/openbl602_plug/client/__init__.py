"""Asyncio client for plugs running openbl602_plug firmware.

Imports nothing from Home Assistant: HTTP (injected aiohttp session), server-sent events,
MQTT payload decoding, discovery parsing, OTA image checks and upload.
"""

from .exceptions import (
    AuthFailed,
    BadPayload,
    CannotConnect,
    CommandError,
    OblError,
    OtaImageError,
    ProtocolMismatch,
)
from .http import OblHttpClient
from .models import (
    SUPPORTED_PROTOCOL,
    ButtonEvent,
    CommandResult,
    DeviceInfo,
    OtaProgress,
    OtaState,
    PlugConfig,
    PlugState,
    StartupState,
    Tripped,
)
from .payloads import (
    ensure_supported,
    normalize_mac,
    parse_config,
    parse_info,
    parse_state,
    parse_txt,
)
from .sse import SseEvent

__all__ = [
    "SUPPORTED_PROTOCOL",
    "AuthFailed",
    "BadPayload",
    "ButtonEvent",
    "CannotConnect",
    "CommandError",
    "CommandResult",
    "DeviceInfo",
    "OblError",
    "OblHttpClient",
    "OtaImageError",
    "OtaProgress",
    "OtaState",
    "PlugConfig",
    "PlugState",
    "ProtocolMismatch",
    "SseEvent",
    "StartupState",
    "Tripped",
    "ensure_supported",
    "normalize_mac",
    "parse_config",
    "parse_info",
    "parse_state",
    "parse_txt",
]
