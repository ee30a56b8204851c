"""Numeric plug settings: protection limits."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfElectricCurrent, UnitOfPower, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity, plug_command

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OblNumberDescription(NumberEntityDescription):
    """A field of the config's "protection" object (docs/protocol.md §4)."""

    field: str
    # The plug refuses 5.0 for a whole-number field (protocol §4 "int": wrong_type).
    whole: bool = False


NUMBERS: tuple[OblNumberDescription, ...] = (
    OblNumberDescription(
        key="max_power",
        translation_key="max_power",
        field="max_power_w",
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_min_value=0,
        native_max_value=4000,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    OblNumberDescription(
        key="max_current",
        translation_key="max_current",
        field="max_current_a",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=0,
        native_max_value=17,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    OblNumberDescription(
        key="protection_hold",
        translation_key="protection_hold",
        field="hold_s",
        whole=True,
        device_class=NumberDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        native_min_value=1,
        native_max_value=60,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    OblNumberDescription(
        key="protection_reclose",
        translation_key="protection_reclose",
        field="reclose_s",
        whole=True,
        device_class=NumberDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        native_min_value=0,
        native_max_value=3600,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the protection limits the plug has."""
    coordinator = entry.runtime_data.coordinator
    protection = coordinator.plug_config.protection
    if protection is None or "protection" not in coordinator.info.capabilities:
        return
    async_add_entities(
        OblProtectionNumber(coordinator, description)
        for description in NUMBERS
        if getattr(protection, description.field) is not None
    )


class OblProtectionNumber(OblEntity, NumberEntity):
    """A protection setting; the plug validates ranges (e.g. a 1-9 W limit is refused).

    Limits: 0 disables. Hold: seconds above the limit before the relay opens. Re-close: seconds
    after a trip until the relay closes again by itself, 0 = stay open (Tasmota MaxPowerWindow).
    """

    entity_description: OblNumberDescription

    def __init__(self, coordinator: OblCoordinator, description: OblNumberDescription) -> None:
        """Describe."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    def _shown(self) -> object:
        return self.native_value

    @property
    def native_value(self) -> float | None:
        """The limit in force; whole numbers stay whole (3680 W, not 3680.0 W)."""
        protection = self.coordinator.plug_config.protection
        value = None if protection is None else getattr(protection, self.entity_description.field)
        if value is None:
            return None
        return _as_sent(float(value), self.entity_description)

    async def async_set_native_value(self, value: float) -> None:
        """Write the limit to the plug."""
        if self.entity_description.whole and not float(value).is_integer():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="whole_number",
                translation_placeholders={"value": str(value)},
            )
        await plug_command(
            self.coordinator,
            self.coordinator.async_patch_config(
                {
                    "protection": {
                        self.entity_description.field: _as_sent(value, self.entity_description)
                    }
                }
            ),
        )


def _as_sent(value: float, description: OblNumberDescription) -> float:
    """An int for whole numbers: JSON 5, never 5.0."""
    if (description.whole or description.native_step == 1) and float(value).is_integer():
        return int(value)
    return value
