"""Button gestures on the plug, for automations."""

from __future__ import annotations

from homeassistant.components.event import EventDeviceClass, EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import ButtonEvent
from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity

PARALLEL_UPDATES = 0

GESTURES = ["single", "double", "long", "very_long"]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the button event entity when the plug has a button."""
    coordinator = entry.runtime_data.coordinator
    if "button" in coordinator.info.capabilities:
        async_add_entities([OblButtonEvent(coordinator)])


class OblButtonEvent(OblEntity, EventEntity):
    """Fires single/double/long/very_long as the plug reports them."""

    _attr_translation_key = "button"
    _attr_device_class = EventDeviceClass.BUTTON
    _attr_event_types = GESTURES

    def __init__(self, coordinator: OblCoordinator) -> None:
        """Describe."""
        super().__init__(coordinator, "button")

    def _shown(self) -> object:
        return None  # the last gesture, written when it comes; coordinator updates never change it

    async def async_added_to_hass(self) -> None:
        """Listen for gestures while the entity exists."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_button_listener(self._on_button))

    @callback
    def _on_button(self, event: ButtonEvent) -> None:
        if event.action not in GESTURES:
            return
        self._trigger_event(event.action)
        self.async_write_ha_state()
