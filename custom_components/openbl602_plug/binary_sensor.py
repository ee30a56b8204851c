"""Protection state of a plug: tripped, and locked off after repeated trips."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import Tripped
from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the protection sensor when the firmware has protection."""
    coordinator = entry.runtime_data.coordinator
    if "protection" in coordinator.info.capabilities:
        entities: list[BinarySensorEntity] = [OblTrippedSensor(coordinator)]
        if coordinator.data.has_lockout:
            entities.append(OblLockoutSensor(coordinator))
        async_add_entities(entities)


class OblTrippedSensor(OblEntity, BinarySensorEntity):
    """On while over-power or over-current protection holds the relay open."""

    _attr_translation_key = "tripped"
    _attr_device_class = BinarySensorDeviceClass.PROBLEM
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: OblCoordinator) -> None:
        """Describe."""
        super().__init__(coordinator, "tripped")

    def _shown(self) -> object:
        return self.coordinator.data.tripped

    @property
    def is_on(self) -> bool:
        """A protection opened the relay."""
        return self.coordinator.data.tripped is not Tripped.NONE

    @property
    def extra_state_attributes(self) -> dict[str, str]:
        """Which protection."""
        return {"cause": self.coordinator.data.tripped.value}


class OblLockoutSensor(OblEntity, BinarySensorEntity):
    """On while repeated trips hold the relay locked off (protocol §3 `lockout`).

    Switching on is refused until the lockout is cleared (the Clear lockout button) or the plug
    is power-cycled: a load that keeps tripping needs a person to look at it.
    """

    _attr_translation_key = "lockout"
    _attr_device_class = BinarySensorDeviceClass.PROBLEM

    def __init__(self, coordinator: OblCoordinator) -> None:
        """Describe."""
        super().__init__(coordinator, "lockout")

    def _shown(self) -> object:
        return self.coordinator.data.lockout

    @property
    def is_on(self) -> bool:
        """The relay is locked off."""
        return self.coordinator.data.lockout
