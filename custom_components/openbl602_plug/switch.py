"""The plug's relay."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchDeviceClass, SwitchEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity, plug_command

# One request at a time per plug: it serves one request per connection.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the relay switch, and the button lock when the plug has a button."""
    coordinator = entry.runtime_data.coordinator
    entities: list[SwitchEntity] = [OblRelaySwitch(coordinator)]
    button = coordinator.plug_config.button
    if (
        "button" in coordinator.info.capabilities
        and button is not None
        and button.enabled is not None
    ):
        entities.append(OblButtonControlSwitch(coordinator))
    async_add_entities(entities)


class OblRelaySwitch(OblEntity, SwitchEntity):
    """The relay. Not optimistic: the state shown is the one the plug answers with."""

    _attr_translation_key = "relay"
    _attr_name = None
    _attr_device_class = SwitchDeviceClass.OUTLET

    def __init__(self, coordinator: OblCoordinator) -> None:
        """Describe."""
        super().__init__(coordinator, "relay")

    def _shown(self) -> object:
        return self.is_on

    @property
    def is_on(self) -> bool:
        """Relay closed, or about to be: a state waiting for the relay's minimum switching interval
        (protocol §5.4, `relay_pending`) is applied by the plug within 200 ms and pushed then."""
        pending = self.coordinator.data.raw.get("relay_pending")
        return pending if isinstance(pending, bool) else self.coordinator.data.relay

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Close the relay (also clears a protection trip)."""
        await self._switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Open the relay."""
        await self._switch(False)

    async def _switch(self, on: bool) -> None:
        state = await plug_command(self.coordinator, self.coordinator.client.set_relay(on))
        self.coordinator.async_set_state(state)
        if on:
            # The answer comes before the meter has a reading with the load on; the plug's next
            # report waits for report.min_interval_s, so read once more now.
            self.coordinator.async_follow_up()


class OblButtonControlSwitch(OblEntity, SwitchEntity):
    """Whether a short press on the plug toggles the relay (off = child lock, protocol §4).

    Button events still reach HA, and the very long press still opens setup mode.
    """

    _attr_translation_key = "button_control"
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, coordinator: OblCoordinator) -> None:
        """Describe."""
        super().__init__(coordinator, "button_control")

    def _shown(self) -> object:
        return self.is_on

    @property
    def is_on(self) -> bool | None:
        """The setting in force on the plug."""
        button = self.coordinator.plug_config.button
        return None if button is None else button.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Let the button switch the relay."""
        await self._write(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Lock the button out of the relay."""
        await self._write(False)

    async def _write(self, enabled: bool) -> None:
        await plug_command(
            self.coordinator, self.coordinator.async_patch_config({"button": {"enabled": enabled}})
        )
