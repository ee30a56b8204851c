"""Base entity: a thin view over the coordinator's pushed state, and command error mapping."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo, format_mac
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .client import AuthFailed, CommandError, OblError
from .const import DOMAIN
from .coordinator import OblCoordinator


class OblEntity(CoordinatorEntity[OblCoordinator]):
    """One entity of one plug; unique ids are <mac>_<key>."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: OblCoordinator, key: str) -> None:
        """Bind to the plug's device."""
        super().__init__(coordinator)
        mac = coordinator.info.mac
        self._attr_unique_id = f"{mac}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, mac)},
            connections={(CONNECTION_NETWORK_MAC, format_mac(mac))},
        )


async def plug_command[T](coordinator: OblCoordinator, request: Awaitable[T]) -> T:
    """Await a request to the plug; failures become translated HA errors.

    A value the plug refuses (400/409) is the user's to fix: ServiceValidationError.
    An unreachable plug or a refused password: HomeAssistantError.
    """
    try:
        return await request
    except AuthFailed as err:
        coordinator.config_entry.async_start_reauth(coordinator.hass)
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="auth_failed") from err
    except CommandError as err:
        if err.status == 409 and err.code == "locked_out":
            # Not a bad value: the plug's protection holds the relay off until someone clears it.
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="locked_out"
            ) from err
        placeholders: dict[str, Any] = {
            "code": err.code,
            "message": err.message or err.code,
            "field": err.field or "-",
        }
        if err.status in (400, 409, 413):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="plug_refused",
                translation_placeholders=placeholders,
            ) from err
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="plug_error",
            translation_placeholders=placeholders,
        ) from err
    except OblError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
