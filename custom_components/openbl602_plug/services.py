"""Actions: calibrate against a reference meter, reset the energy counter."""

from __future__ import annotations

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr

from .const import (
    ATTR_CONFIRM,
    ATTR_CURRENT_A,
    ATTR_DEVICE_ID,
    ATTR_POWER_W,
    ATTR_RESET,
    ATTR_VOLTAGE_V,
    DOMAIN,
    SERVICE_CALIBRATE,
    SERVICE_RESET_ENERGY,
)
from .coordinator import OblConfigEntry, OblCoordinator
from .entity import plug_command

# Ranges of docs/protocol.md §5.6; the plug checks them too.
CALIBRATE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_POWER_W): vol.All(vol.Coerce(float), vol.Range(min=1, max=4000)),
        vol.Optional(ATTR_VOLTAGE_V): vol.All(vol.Coerce(float), vol.Range(min=50, max=300)),
        vol.Optional(ATTR_CURRENT_A): vol.All(vol.Coerce(float), vol.Range(min=0.01, max=17)),
        vol.Optional(ATTR_RESET, default=False): cv.boolean,
    }
)
RESET_ENERGY_SCHEMA = vol.Schema(
    {vol.Required(ATTR_DEVICE_ID): cv.string, vol.Required(ATTR_CONFIRM): cv.boolean}
)


def _coordinator(hass: HomeAssistant, device_id: str) -> OblCoordinator:
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="device_not_found",
            translation_placeholders={"device_id": device_id},
        )
    for entry_id in device.config_entries:
        entry: OblConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="device_not_loaded",
                translation_placeholders={"name": device.name or device_id},
            )
        return entry.runtime_data.coordinator
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


async def _calibrate(call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(call.hass, call.data[ATTR_DEVICE_ID])
    references = {
        key: call.data[key]
        for key in (ATTR_POWER_W, ATTR_VOLTAGE_V, ATTR_CURRENT_A)
        if key in call.data
    }
    if call.data[ATTR_RESET]:
        if references:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="calibrate_reset_alone"
            )
        gains = await plug_command(coordinator, coordinator.client.calibrate(reset=True))
        await coordinator.async_request_refresh()
        return {"gains": gains}
    if not references:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="calibrate_needs_reference"
        )
    gains = await plug_command(coordinator, coordinator.client.calibrate(**references))
    await coordinator.async_request_refresh()
    return {"gains": gains}


async def _reset_energy(call: ServiceCall) -> None:
    coordinator = _coordinator(call.hass, call.data[ATTR_DEVICE_ID])
    if not call.data[ATTR_CONFIRM]:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="confirm_required")
    # The drop to 0 is the user's intent: HA's total restarts too (one meter reset in statistics).
    coordinator.energy.request_reset()
    try:
        await plug_command(coordinator, coordinator.client.reset_energy())
        await coordinator.async_refresh()
    finally:
        coordinator.energy.end_reset_request()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (from async_setup, so they exist even with no plug loaded)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_CALIBRATE,
        _calibrate,
        schema=CALIBRATE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_RESET_ENERGY, _reset_energy, schema=RESET_ENERGY_SCHEMA
    )
