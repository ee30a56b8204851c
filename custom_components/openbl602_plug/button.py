"""Restart and identify."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import OblHttpClient
from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity, plug_command

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OblButtonDescription(ButtonEntityDescription):
    """What pressing does."""

    press: Callable[[OblHttpClient], Awaitable[None]]
    capability: str | None = None


BUTTONS: tuple[OblButtonDescription, ...] = (
    OblButtonDescription(
        key="restart",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press=lambda client: client.reboot(),
    ),
    OblButtonDescription(
        key="identify",
        device_class=ButtonDeviceClass.IDENTIFY,
        entity_category=EntityCategory.CONFIG,
        capability="identify",
        press=lambda client: client.identify(),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        OblButton(coordinator, description)
        for description in BUTTONS
        if description.capability is None or description.capability in coordinator.info.capabilities
    )


class OblButton(OblEntity, ButtonEntity):
    """A one-shot command."""

    entity_description: OblButtonDescription

    def __init__(self, coordinator: OblCoordinator, description: OblButtonDescription) -> None:
        """Describe."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    async def async_press(self) -> None:
        """Send the command."""
        if self.entity_description.device_class is ButtonDeviceClass.RESTART:
            self.coordinator.expect_restart()
        await plug_command(self.coordinator, self.entity_description.press(self.coordinator.client))
