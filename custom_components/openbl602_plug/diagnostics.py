"""Diagnostics download, with secrets and network names redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant

from .coordinator import OblConfigEntry

# Config entry data, the plug's config (§4: mqtt.user/host, wifi.ssid) and identity.
TO_REDACT = {
    CONF_PASSWORD,
    "api_password",
    "password",
    "user",
    "ssid",
    "mac",
    "host",
    "http",
    "hostname",
    "id",  # on hardware, the MAC's last three bytes
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OblConfigEntry
) -> dict[str, Any]:
    """Everything needed to debug a plug, nothing that identifies a network or unlocks it."""
    data = entry.runtime_data
    coordinator = data.coordinator
    release = data.firmware.data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "info": async_redact_data(coordinator.info.raw, TO_REDACT),
        "config": async_redact_data(coordinator.plug_config.raw, TO_REDACT),
        "state": coordinator.data.raw if coordinator.data else None,
        "transport": coordinator.transport,
        "push_connected": coordinator.push_connected,
        "last_update_success": coordinator.last_update_success,
        "energy": asdict(coordinator.energy),
        "ota": asdict(coordinator.ota),
        "release": asdict(release) if release else None,
    }
