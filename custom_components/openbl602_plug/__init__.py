"""The openbl602 plug integration: BL602 smart plugs running openbl602_plug firmware."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .client import AuthFailed, OblError, OblHttpClient, ProtocolMismatch, ensure_supported
from .const import (
    CONF_FIRMWARE_MANIFEST,
    DEFAULT_FIRMWARE_MANIFEST,
    DEFAULT_PORT,
    DOMAIN,
    ISSUE_SAFE_MODE,
    ISSUE_UNSUPPORTED_PROTOCOL,
    MANUFACTURER,
)
from .coordinator import OblConfigEntry, OblCoordinator, OblRuntimeData
from .firmware import FirmwareCoordinator
from .services import async_setup_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, not per plug)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: OblConfigEntry) -> bool:
    """Connect to one plug."""
    client = OblHttpClient(
        async_get_clientsession(hass),
        entry.data[CONF_HOST],
        entry.data.get(CONF_PORT, DEFAULT_PORT),
        entry.data.get(CONF_PASSWORD),
    )
    issue_id = f"{ISSUE_UNSUPPORTED_PROTOCOL}_{entry.entry_id}"
    try:
        info = ensure_supported(await client.info())
    except ProtocolMismatch as err:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_UNSUPPORTED_PROTOCOL,
            translation_placeholders={"name": entry.title, "version": str(err.version)},
        )
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unsupported_protocol",
            translation_placeholders={"version": str(err.version)},
        ) from err
    except AuthFailed as err:  # pragma: no cover - GET info never needs auth (protocol §7)
        raise ConfigEntryAuthFailed from err
    except OblError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    ir.async_delete_issue(hass, DOMAIN, issue_id)
    # Earlier versions raised a repair for a lower energy counter; energy.py made it unneeded.
    ir.async_delete_issue(hass, DOMAIN, f"energy_decreased_{entry.entry_id}")

    coordinator = OblCoordinator(hass, entry, client, info)
    firmware = FirmwareCoordinator(
        hass, entry, entry.options.get(CONF_FIRMWARE_MANIFEST, DEFAULT_FIRMWARE_MANIFEST)
    )
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = OblRuntimeData(client, coordinator, firmware)

    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, info.mac)},
        connections={(dr.CONNECTION_NETWORK_MAC, dr.format_mac(info.mac))},
        manufacturer=MANUFACTURER,
        model=info.model,
        name=info.name or info.hostname,
        sw_version=info.firmware,
        hw_version=info.board,
        configuration_url=client.base_url,
    )
    await coordinator.async_start_push()
    # The manifest lives on the internet: its first check must not hold up the plug.
    entry.async_create_background_task(
        hass, firmware.async_refresh(), f"{DOMAIN} {info.device_id} firmware check"
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def _async_options_updated(hass: HomeAssistant, entry: OblConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: OblConfigEntry) -> bool:
    """Disconnect; the coordinators' listeners and push tasks end with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: OblConfigEntry) -> None:
    """A deleted plug leaves no repair issues behind."""
    for key in (ISSUE_SAFE_MODE, ISSUE_UNSUPPORTED_PROTOCOL, "energy_decreased"):
        ir.async_delete_issue(hass, DOMAIN, f"{key}_{entry.entry_id}")


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: OblConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Only a stale device (not this entry's plug) may be removed by hand."""
    mac = entry.unique_id
    return not any(identifier == (DOMAIN, mac) for identifier in device.identifiers)
