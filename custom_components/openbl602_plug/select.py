"""Plug settings with a fixed set of values: startup state and LED mode."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity, plug_command

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OblSelectDescription(SelectEntityDescription):
    """A top-level config field (docs/protocol.md §4)."""

    field: str
    capability: str | None = None


SELECTS: tuple[OblSelectDescription, ...] = (
    OblSelectDescription(
        key="startup",
        translation_key="startup",
        field="startup",
        options=["off", "on", "restore", "toggle"],
        entity_category=EntityCategory.CONFIG,
    ),
    OblSelectDescription(
        key="led",
        translation_key="led",
        field="led",
        options=["relay", "inverted", "off", "network"],
        entity_category=EntityCategory.CONFIG,
        capability="led",
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a select for every such field the plug has."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        OblConfigSelect(coordinator, description)
        for description in SELECTS
        if getattr(coordinator.plug_config, description.field) is not None
        and (
            description.capability is None
            or description.capability in coordinator.info.capabilities
        )
    )


class OblConfigSelect(OblEntity, SelectEntity):
    """Shows the value the plug holds; a choice is written to the plug and read back."""

    entity_description: OblSelectDescription

    def __init__(self, coordinator: OblCoordinator, description: OblSelectDescription) -> None:
        """Describe."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    def _shown(self) -> object:
        return self.current_option

    @property
    def current_option(self) -> str | None:
        """The plug's setting; a value newer firmware added and we do not know is None."""
        value = getattr(self.coordinator.plug_config, self.entity_description.field)
        return value if value in self.options else None

    async def async_select_option(self, option: str) -> None:
        """Write the setting to the plug."""
        await plug_command(
            self.coordinator,
            self.coordinator.async_patch_config({self.entity_description.field: option}),
        )
