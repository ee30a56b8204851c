"""Base entity: a thin view over the coordinator's pushed state, and command error mapping.

Every pushed state reaches every entity of the plug, but most of them show the same thing as
before (a load change moves power and current, not the relay, the settings or the buttons).
Writing an unchanged state still costs HA its full state machine round (attributes, registry
options, a `state_changed` bus event for `last_reported`), so an entity names what it shows in
`_shown()` and a coordinator update that leaves that unchanged writes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Final

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo, format_mac
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .client import AuthFailed, CommandError, OblError
from .const import DOMAIN
from .coordinator import OblCoordinator

# _shown() of an entity that cannot name what it shows: every coordinator update writes it.
ALWAYS_WRITE: Final = object()


class OblEntity(CoordinatorEntity[OblCoordinator]):
    """One entity of one plug; unique ids are <mac>_<key>."""

    _attr_has_entity_name = True
    _written: object = None

    def _shown(self) -> object:
        """Everything of the coordinator that this entity's state and attributes are made of
        (a value comparable with ==), or ALWAYS_WRITE."""
        return ALWAYS_WRITE

    @callback
    def _handle_coordinator_update(self) -> None:
        shown = (self.available, self._shown())
        if shown[1] is not ALWAYS_WRITE and shown == self._written:
            return
        self.async_write_ha_state()

    @callback
    def async_write_ha_state(self) -> None:
        """Write, remembering what was shown (any writer, not only coordinator updates)."""
        self._written = (self.available, self._shown())
        super().async_write_ha_state()

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
