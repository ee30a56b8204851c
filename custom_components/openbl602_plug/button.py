"""Restart, identify and clear a trip lockout."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import OblHttpClient, PlugState
from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity, plug_command

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OblButtonDescription(ButtonEntityDescription):
    """What pressing does."""

    # A press answered with the plug's state (a relay command) updates HA at once.
    press: Callable[[OblHttpClient], Awaitable[PlugState | None]]
    # The same command over MQTT (protocol §8.3), used when HTTP cannot reach the plug.
    command: tuple[str, dict[str, Any]]
    capability: str | None = None
    # Only for firmware whose state carries this key.
    state_key: str | None = None


BUTTONS: tuple[OblButtonDescription, ...] = (
    OblButtonDescription(
        key="restart",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press=lambda client: client.reboot(),
        command=("reboot", {}),
    ),
    OblButtonDescription(
        key="identify",
        device_class=ButtonDeviceClass.IDENTIFY,
        entity_category=EntityCategory.CONFIG,
        capability="identify",
        press=lambda client: client.identify(),
        command=("identify", {}),
    ),
    OblButtonDescription(
        key="clear_lockout",
        translation_key="clear_lockout",
        capability="protection",
        state_key="lockout",
        press=lambda client: client.clear_lockout(),
        command=("relay", {"clear_lockout": True}),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons."""
    coordinator = entry.runtime_data.coordinator
    capabilities = coordinator.info.capabilities
    async_add_entities(
        OblButton(coordinator, description)
        for description in BUTTONS
        if (description.capability is None or description.capability in capabilities)
        and (description.state_key is None or description.state_key in coordinator.data.raw)
    )


class OblButton(OblEntity, ButtonEntity):
    """A one-shot command."""

    entity_description: OblButtonDescription

    def __init__(self, coordinator: OblCoordinator, description: OblButtonDescription) -> None:
        """Describe."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    def _shown(self) -> object:
        return None  # a button shows its last press, which coordinator updates never change

    async def async_press(self) -> None:
        """Send the command."""
        if self.entity_description.device_class is ButtonDeviceClass.RESTART:
            self.coordinator.expect_restart()
        description = self.entity_description
        coordinator = self.coordinator
        state = await plug_command(
            coordinator,
            coordinator.async_write(
                lambda: description.press(coordinator.client), *description.command
            ),
        )
        if state is not None:
            self.coordinator.async_set_state(state)
