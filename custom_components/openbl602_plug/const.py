"""Constants for the openbl602 plug integration."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "openbl602_plug"
MANUFACTURER: Final = "openbl602_plug project"

DEFAULT_PORT: Final = 80
CONF_FIRMWARE_MANIFEST: Final = "firmware_manifest"
# Config flow checkbox: lock a plug that has no API password with a generated one.
CONF_PROTECT: Final = "protect"
# Release manifest published with every GitHub release of this project.
DEFAULT_FIRMWARE_MANIFEST: Final = (
    "https://github.com/openbl602-plug/openbl602_plug/releases/latest/download/manifest.json"
)

# Polling is the fallback while push (MQTT or server-sent events) is down; a plug costs one
# small JSON request per interval.
POLL_INTERVAL: Final = timedelta(seconds=30)
FIRMWARE_CHECK_INTERVAL: Final = timedelta(hours=6)
# Server-sent events reconnect backoff, seconds.
PUSH_RETRY_MIN: Final = 1.0
PUSH_RETRY_MAX: Final = 60.0
# A planned restart (restart button, OTA, safe-mode repair) is not an outage for this long.
PLANNED_RESTART: Final = timedelta(seconds=60)
# A plug announces config changes with the state's config_rev (protocol §3); firmware without it
# does not, so its settings are re-read with a pushed state at most this often.
CONFIG_REFRESH: Final = timedelta(seconds=60)
# After a command and after a reboot (stale readings), read the state again this much later.
FOLLOW_UP_SECONDS: Final = 1.0
STALE_FOLLOW_UP_SECONDS: Final = 5.0
# MQTT chosen but nothing arrives (the plug talks to another broker): fall back to SSE.
MQTT_SILENCE_FALLBACK: Final = timedelta(seconds=30)
# A command HTTP cannot deliver goes over MQTT when the plug published there this recently (two
# missed 60 s heartbeats, protocol §8.4), and waits this long for its result (§8.3).
MQTT_COMMAND_HEARD: Final = timedelta(seconds=130)
MQTT_COMMAND_TIMEOUT: Final = timedelta(seconds=10)
# An install that shows no progress for this long is abandoned and the entity cleared.
OTA_STALL_TIMEOUT: Final = timedelta(minutes=3)

ISSUE_UNSUPPORTED_PROTOCOL: Final = "unsupported_protocol"
ISSUE_SAFE_MODE: Final = "safe_mode"

SERVICE_CALIBRATE: Final = "calibrate"
SERVICE_RESET_ENERGY: Final = "reset_energy"
ATTR_DEVICE_ID: Final = "device_id"
ATTR_POWER_W: Final = "power_w"
ATTR_VOLTAGE_V: Final = "voltage_v"
ATTR_CURRENT_A: Final = "current_a"
ATTR_CONFIRM: Final = "confirm"
ATTR_RESET: Final = "reset"
