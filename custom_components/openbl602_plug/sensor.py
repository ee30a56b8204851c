"""Measurements and diagnostics of a plug."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorExtraStoredData,
    SensorStateClass,
)
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .client import PlugState
from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity

# Push-driven: updates never poll, so no limit is needed.
PARALLEL_UPDATES = 0

RESET_REASONS = ["power_on", "software", "watchdog", "brownout", "exception", "unknown"]
# Uptime jitters by the request latency; the boot time only moves when it really changed.
BOOT_TIME_TOLERANCE = timedelta(seconds=60)


@dataclass(frozen=True, kw_only=True)
class OblSensorDescription(SensorEntityDescription):
    """How to read one sensor from the state."""

    value: Callable[[PlugState], float | int | str | None]
    capability: str | None = None


SENSORS: tuple[OblSensorDescription, ...] = (
    OblSensorDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=1,
        capability="metering",
        value=lambda s: s.power_w,
    ),
    OblSensorDescription(
        key="voltage",
        translation_key="voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=1,
        capability="metering",
        # A stale reading (BL0937 not switched to voltage mode lately) is not a measurement.
        value=lambda s: None if s.stale_voltage else s.voltage_v,
    ),
    OblSensorDescription(
        key="current",
        translation_key="current",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=3,
        capability="metering",
        value=lambda s: None if s.stale_current else s.current_a,
    ),
    OblSensorDescription(
        key="apparent_power",
        translation_key="apparent_power",
        device_class=SensorDeviceClass.APPARENT_POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfApparentPower.VOLT_AMPERE,
        suggested_display_precision=1,
        capability="metering",
        entity_registry_enabled_default=False,
        value=lambda s: s.apparent_power_va,
    ),
    OblSensorDescription(
        key="power_factor",
        translation_key="power_factor",
        device_class=SensorDeviceClass.POWER_FACTOR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        capability="metering",
        entity_registry_enabled_default=False,
        value=lambda s: s.power_factor,
    ),
    OblSensorDescription(
        key="rssi",
        translation_key="rssi",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        # 0 dBm is the protocol's "unknown" (setup mode, not connected).
        value=lambda s: s.rssi_dbm or None,
    ),
    OblSensorDescription(
        key="reset_reason",
        translation_key="reset_reason",
        device_class=SensorDeviceClass.ENUM,
        options=RESET_REASONS,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda s: s.reset_reason if s.reset_reason in RESET_REASONS else "unknown",
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the plug's sensors; what its firmware lacks (capabilities) is left out."""
    coordinator = entry.runtime_data.coordinator
    caps = coordinator.info.capabilities
    entities: list[SensorEntity] = [
        OblSensor(coordinator, description)
        for description in SENSORS
        if description.capability is None or description.capability in caps
    ]
    if "energy" in caps:
        entities.append(OblEnergySensor(coordinator))
    entities.append(OblBootTimeSensor(coordinator))
    async_add_entities(entities)


class OblSensor(OblEntity, SensorEntity):
    """A value read straight from the state."""

    entity_description: OblSensorDescription

    def __init__(self, coordinator: OblCoordinator, description: OblSensorDescription) -> None:
        """Describe."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    def _shown(self) -> object:
        return self.entity_description.value(self.coordinator.data)

    @property
    def native_value(self) -> float | int | str | None:
        """The current reading (safe mode keeps metering on, protocol §3: its readings are real)."""
        return self.entity_description.value(self.coordinator.data)


@dataclass
class EnergyStoredData(SensorExtraStoredData):
    """The sensor's value plus how it was made, so a restart continues the same total."""

    offset_wh: int = 0
    plug_max_wh: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Stored with the restore state."""
        return super().as_dict() | {"offset_wh": self.offset_wh, "plug_max_wh": self.plug_max_wh}


class OblEnergySensor(OblEntity, RestoreSensor):
    """Lifetime energy for the Energy dashboard: a total that never goes down (energy.py).

    Never a placeholder 0: unavailable while the plug is unreachable, unknown while the plug cannot
    read its stored counter.
    """

    _attr_translation_key = "energy"
    _attr_device_class = SensorDeviceClass.ENERGY
    _attr_state_class = SensorStateClass.TOTAL_INCREASING
    _attr_native_unit_of_measurement = UnitOfEnergy.WATT_HOUR
    _attr_suggested_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_suggested_display_precision = 3

    def __init__(self, coordinator: OblCoordinator) -> None:
        """Describe."""
        super().__init__(coordinator, "energy")

    async def async_added_to_hass(self) -> None:
        """Continue the total HA recorded before a restart or reload."""
        await super().async_added_to_hass()
        extra = await self.async_get_last_extra_data()
        if extra is None:
            return
        stored = extra.as_dict()
        value = stored.get("native_value")
        offset = stored.get("offset_wh")
        plug_max = stored.get("plug_max_wh")
        if isinstance(offset, int) and isinstance(plug_max, int):
            self.coordinator.restore_energy(offset, plug_max)
        elif isinstance(value, int | float):
            # Stored by a version without the offset: the value was the plug's counter.
            self.coordinator.restore_energy(0, int(value))

    @property
    def extra_restore_state_data(self) -> EnergyStoredData:
        """Value, unit and the total's parts."""
        energy = self.coordinator.energy
        return EnergyStoredData(
            self.native_value,
            self.native_unit_of_measurement,
            energy.offset_wh,
            energy.plug_max_wh,
        )

    def _shown(self) -> object:
        return self.native_value

    @property
    def native_value(self) -> int | None:
        """Lifetime Wh as HA counts it; unknown while the plug reports its counter unreadable."""
        if self.coordinator.data.energy_wh is None:
            return None
        return self.coordinator.energy.total_wh


class OblBootTimeSensor(OblEntity, SensorEntity):
    """When the plug last booted (from its uptime)."""

    _attr_translation_key = "last_boot"
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: OblCoordinator) -> None:
        """Describe."""
        super().__init__(coordinator, "last_boot")
        self._boot: datetime | None = None
        self._update_boot()

    def _update_boot(self) -> None:
        uptime = self.coordinator.data.uptime_s
        if uptime is None:
            return
        boot = (dt_util.utcnow() - timedelta(seconds=uptime)).replace(microsecond=0)
        if self._boot is None or abs(boot - self._boot) > BOOT_TIME_TOLERANCE:
            self._boot = boot

    @callback
    def _handle_coordinator_update(self) -> None:
        self._update_boot()
        super()._handle_coordinator_update()

    def _shown(self) -> object:
        return self._boot

    @property
    def native_value(self) -> datetime | None:
        """Boot time."""
        return self._boot
