"""One plug's connection: push (MQTT or server-sent events) with polling only while push is down."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .client import (
    AuthFailed,
    BadPayload,
    ButtonEvent,
    CannotConnect,
    DeviceInfo,
    OblError,
    OblHttpClient,
    OtaProgress,
    OtaState,
    PlugConfig,
    PlugState,
)
from .client import mqtt as mqtt_msg
from .client.payloads import loads_object, parse_config
from .client.push import PushCallbacks, dispatch, subscribe_events
from .const import (
    CONFIG_REFRESH,
    DOMAIN,
    FOLLOW_UP_SECONDS,
    ISSUE_SAFE_MODE,
    MQTT_SILENCE_FALLBACK,
    PLANNED_RESTART,
    POLL_INTERVAL,
    PUSH_RETRY_MAX,
    PUSH_RETRY_MIN,
    STALE_FOLLOW_UP_SECONDS,
)
from .energy import EnergyTotal

if TYPE_CHECKING:
    from .firmware import FirmwareCoordinator

_LOGGER = logging.getLogger(__package__)

EVENT_BUTTON = f"{DOMAIN}_button"


@dataclass
class OblRuntimeData:
    """What a loaded entry holds."""

    client: OblHttpClient
    coordinator: OblCoordinator
    firmware: FirmwareCoordinator


type OblConfigEntry = ConfigEntry[OblRuntimeData]


class OblCoordinator(DataUpdateCoordinator[PlugState]):
    """Holds the plug's identity, state and settings and keeps them current."""

    config_entry: OblConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: OblConfigEntry,
        client: OblHttpClient,
        info: DeviceInfo,
    ) -> None:
        """Create; nothing talks to the plug until the first refresh."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=info.hostname,
            update_interval=POLL_INTERVAL,
            always_update=False,
        )
        self.client = client
        self.info = info
        self.plug_config = PlugConfig()
        self.ota = OtaProgress(OtaState.IDLE)
        self.transport = "polling"
        self.push_connected = False
        self.energy = EnergyTotal()
        # Bumped by every pushed state: a poll that was in flight meanwhile is older (item 11).
        self._push_seq = 0
        self._restart_until: float = 0.0
        self._config_read_at: float = 0.0
        self._follow_up: CALLBACK_TYPE | None = None
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._button_listeners: list[Callable[[ButtonEvent], None]] = []

    @property
    def issue_suffix(self) -> str:
        """Repair issues are per plug."""
        return self.config_entry.entry_id

    async def _fetch[T](self, request: Callable[[], Awaitable[T]]) -> T:
        """One read from the plug, its failures turned into what the coordinator expects."""
        try:
            return await request()
        except AuthFailed as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except OblError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err

    async def _async_setup(self) -> None:
        self.plug_config = await self._fetch(self.client.plug_config)
        self._config_read_at = self._now()
        self.config_entry.async_on_unload(self._cancel_follow_up)

    @staticmethod
    def _now() -> float:
        return dt_util.utcnow().timestamp()

    # -- planned restarts ---------------------------------------------------------------

    @callback
    def expect_restart(self) -> None:
        """A restart we asked for (button, OTA, repair): a short silence is not an outage."""
        self._restart_until = self._now() + PLANNED_RESTART.total_seconds()

    @property
    def restarting(self) -> bool:
        """Inside the window of a planned restart."""
        return self._now() < self._restart_until

    # -- follow-up reads ------------------------------------------------------------------

    @callback
    def async_follow_up(self, delay: float = FOLLOW_UP_SECONDS) -> None:
        """Read the state again shortly: after switching on (power settles after the answer),
        and while a rebooted plug's voltage/current readings are still stale."""
        if self._follow_up is not None:
            return

        @callback
        def run(_now: Any) -> None:
            self._follow_up = None
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh(), f"{DOMAIN} follow-up"
            )

        self._follow_up = async_call_later(self.hass, delay, run)

    @callback
    def _cancel_follow_up(self) -> None:
        if self._follow_up is not None:
            self._follow_up()
            self._follow_up = None

    async def _async_update_data(self) -> PlugState:
        seq = self._push_seq
        try:
            state = await self._fetch(self.client.state)
        except UpdateFailed:
            if self.restarting and self.data is not None:
                _LOGGER.debug("%s: restarting as asked, not reachable yet", self.name)
                return self.data
            raise
        if seq != self._push_seq and self.data is not None:
            return self.data  # a push arrived while the poll was in flight: it is newer
        self._process(state)
        return state

    # -- state bookkeeping --------------------------------------------------------------

    def _process(self, state: PlugState) -> None:
        """Side effects of a new state: OTA progress, repairs, energy sanity."""
        # OTA events carry byte counts the state's copy lacks; keep them while nothing moved.
        if (state.ota.state, state.ota.progress) != (self.ota.state, self.ota.progress):
            self.ota = state.ota
        if state.energy_wh is not None:
            self.energy.add(state.energy_wh)
        if state.ota.state is OtaState.REBOOTING:
            self.expect_restart()
        if (state.stale_voltage or state.stale_current) and (state.uptime_s or 0) < 120:
            self.async_follow_up(STALE_FOLLOW_UP_SECONDS)
        self._sync_issue(
            ISSUE_SAFE_MODE,
            state.safe_mode,
            ir.IssueSeverity.WARNING,
            {"name": self.info.name or self.info.hostname},
            fixable=True,  # restarting the plug leaves safe mode (protocol §5.9)
        )

    def _sync_issue(
        self,
        key: str,
        active: bool,
        severity: ir.IssueSeverity,
        placeholders: dict[str, str | None],
        fixable: bool = False,
    ) -> None:
        issue_id = f"{key}_{self.issue_suffix}"
        if active:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=fixable,
                severity=severity,
                translation_key=key,
                translation_placeholders={k: v or "" for k, v in placeholders.items()},
                data={"entry_id": self.config_entry.entry_id},
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    @callback
    def restore_energy(self, offset_wh: int, plug_max_wh: int) -> None:
        """The energy sensor's restored total (see energy.py)."""
        self.energy.restore(offset_wh, plug_max_wh)

    # -- push ------------------------------------------------------------------------

    async def async_start_push(self) -> None:
        """MQTT when the plug publishes to a broker HA also uses, else server-sent events."""
        mqtt_on = self.plug_config.mqtt_enabled
        if mqtt_on and self.info.mqtt and await self._mqtt_ready():
            self.transport = "mqtt"
            await self._subscribe_mqtt()
        elif "events" in self.info.capabilities or not self.info.capabilities:
            self.transport = "sse"
            self.config_entry.async_create_background_task(
                self.hass, self._sse_loop(), f"{DOMAIN} {self.info.device_id} events"
            )
        self.config_entry.async_on_unload(self._stop_push)

    async def _mqtt_ready(self) -> bool:
        entries = self.hass.config_entries.async_entries("mqtt")
        if not entries or entries[0].state is not ConfigEntryState.LOADED:
            return False
        return await mqtt.async_wait_for_mqtt_client(self.hass)

    @callback
    def _stop_push(self) -> None:
        while self._unsubscribe:
            self._unsubscribe.pop()()

    @callback
    def _push_state(self, state: PlugState) -> None:
        if not self.push_connected:
            self.push_connected = True
            self.update_interval = None
            _LOGGER.debug("%s: push (%s) connected", self.name, self.transport)
            # After a reboot (OTA, settings) the identity may have changed.
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh_info(), f"{DOMAIN} {self.info.device_id} info"
            )
        if not self.last_update_success:
            _LOGGER.info("%s is reachable again", self.name)
        self._push_seq += 1
        self._process(state)
        self.async_set_updated_data(state)
        if self._now() - self._config_read_at >= CONFIG_REFRESH.total_seconds():
            self._config_read_at = self._now()
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh_config(), f"{DOMAIN} config"
            )

    def _older(self, state: PlugState) -> bool:
        """Same boot, less uptime: sent before what we hold."""
        held = self.data
        if held is None or state.uptime_s is None or held.uptime_s is None:
            return False
        same_boot = state.reset_reason == held.reset_reason
        return same_boot and state.uptime_s < held.uptime_s

    @callback
    def _push_down(self) -> None:
        if self.push_connected:
            _LOGGER.debug("%s: push (%s) lost, polling", self.name, self.transport)
        self.push_connected = False
        self.update_interval = POLL_INTERVAL

    @callback
    def _ota_event(self, progress: OtaProgress) -> None:
        self.ota = progress
        self.async_update_listeners()

    @callback
    def _button_event(self, event: ButtonEvent) -> None:
        for listener in list(self._button_listeners):
            listener(event)

    @callback
    def async_add_button_listener(self, listener: Callable[[ButtonEvent], None]) -> CALLBACK_TYPE:
        """Call listener on every button gesture; returns the remover."""
        self._button_listeners.append(listener)
        return lambda: self._button_listeners.remove(listener)

    def _callbacks(self) -> PushCallbacks:
        @callback
        def malformed(kind: str, err: BadPayload) -> None:
            _LOGGER.warning("%s: ignoring malformed %s event: %s", self.name, kind, err)

        async def disconnected() -> None:
            self._push_down()
            await self.async_refresh()

        @callback
        def auth_failed() -> None:
            self._push_down()
            self.config_entry.async_start_reauth(self.hass)

        return PushCallbacks(
            state=self._push_state,
            button=self._button_event,
            ota=self._ota_event,
            disconnected=disconnected,
            auth_failed=auth_failed,
            malformed=malformed,
        )

    async def _sse_loop(self) -> None:
        await subscribe_events(self.client, self._callbacks(), PUSH_RETRY_MIN, PUSH_RETRY_MAX)

    async def _subscribe_mqtt(self) -> None:
        topics = mqtt_msg.Topics(self.info.device_id)
        callbacks = self._callbacks()

        @callback
        def on_state(msg: mqtt.ReceiveMessage) -> None:
            try:
                state = mqtt_msg.parse_state_message(msg.payload)
            except BadPayload as err:
                _LOGGER.warning("%s: ignoring malformed state message: %s", self.name, err)
                return
            if msg.retain and self._older(state):
                # The broker's retained copy predates the HTTP reading we already have.
                _LOGGER.debug("%s: ignoring an older retained state", self.name)
                return
            self._push_state(state)

        @callback
        def on_status(msg: mqtt.ReceiveMessage) -> None:
            try:
                online = mqtt_msg.parse_status(msg.payload)
            except BadPayload as err:
                _LOGGER.warning("%s: ignoring malformed status: %s", self.name, err)
                return
            if online:
                return
            if self.restarting:
                self._push_down()  # the plug says goodbye before a planned restart
                return
            # The broker published the plug's last will: it is gone. async_set_update_error
            # logs once; polling takes over and notices when the plug is back.
            self._push_down()
            self.async_set_update_error(CannotConnect("the plug reported offline"))
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"{DOMAIN} poll"
            )

        @callback
        def on_event(msg: mqtt.ReceiveMessage) -> None:
            try:
                body = loads_object(msg.payload)
            except BadPayload as err:
                _LOGGER.warning("%s: ignoring malformed event: %s", self.name, err)
                return
            kind = body.get("type") or body.get("event")
            if kind not in ("button", "ota"):
                _LOGGER.warning("%s: ignoring malformed event: type %r", self.name, kind)
                return
            dispatch(str(kind), msg.payload, callbacks)

        @callback
        def on_broker(connected: bool) -> None:
            # HA lost its broker: nothing will be pushed until it is back, so poll meanwhile.
            # On reconnect HA re-subscribes and the retained state brings push back.
            if not connected:
                self._push_down()
                self.config_entry.async_create_background_task(
                    self.hass, self.async_request_refresh(), f"{DOMAIN} poll"
                )

        @callback
        def on_result(msg: mqtt.ReceiveMessage) -> None:
            try:
                result = mqtt_msg.parse_result_message(msg.payload)
            except BadPayload:
                return
            if result.cmd == "config" and result.ok:
                # Another MQTT client changed settings: show them now.
                self.config_entry.async_create_background_task(
                    self.hass, self.async_refresh_config(), f"{DOMAIN} config"
                )

        self._unsubscribe.append(mqtt.async_subscribe_connection_status(self.hass, on_broker))
        self._unsubscribe.append(
            async_call_later(self.hass, MQTT_SILENCE_FALLBACK, self._mqtt_silence_check)
        )
        for topic, handler in (
            (topics.state, on_state),
            (topics.status, on_status),
            (topics.event, on_event),
            (topics.result, on_result),
        ):
            self._unsubscribe.append(
                await mqtt.async_subscribe(self.hass, topic, handler, qos=1, encoding=None)
            )

    @callback
    def _mqtt_silence_check(self, _now: Any) -> None:
        """Nothing came over MQTT: the plug publishes to another broker. Use SSE instead."""
        if self.push_connected or self.transport != "mqtt":
            return
        if "events" not in self.info.capabilities and self.info.capabilities:
            return
        _LOGGER.info(
            "%s: nothing from the plug on Home Assistant's MQTT broker; using server-sent events",
            self.name,
        )
        self._stop_push()
        self.transport = "sse"
        self.config_entry.async_create_background_task(
            self.hass, self._sse_loop(), f"{DOMAIN} {self.info.device_id} events"
        )

    # -- identity and settings ----------------------------------------------------------

    async def async_refresh_info(self) -> None:
        """Re-read identity (firmware version after an update) and settings."""
        try:
            info = await self.client.info()
            self.plug_config = await self.client.plug_config()
        except OblError as err:
            _LOGGER.debug("%s: could not refresh identity: %s", self.name, err)
            return
        self.async_set_info(info)

    @callback
    def async_set_info(self, info: DeviceInfo) -> None:
        """Adopt a new identity document and mirror it into the device registry."""
        changed = info != self.info
        self.info = info
        if changed:
            registry = dr.async_get(self.hass)
            device = registry.async_get_device(identifiers={(DOMAIN, info.mac)})
            if device is not None:
                registry.async_update_device(
                    device.id, sw_version=info.firmware, hw_version=info.board
                )
        self.async_update_listeners()

    async def async_refresh_config(self) -> None:
        """Re-read the settings (changed on the plug's page or by another client)."""
        try:
            config = await self.client.plug_config()
        except OblError as err:
            _LOGGER.debug("%s: could not re-read settings: %s", self.name, err)
            return
        self._config_read_at = self._now()
        if config != self.plug_config:
            self.plug_config = config
            self.async_update_listeners()

    async def async_patch_config(self, changes: dict[str, Any]) -> None:
        """Change settings on the plug and keep what it answers (the settings in force)."""
        self.plug_config = parse_config(await self.client.patch_config(changes))
        self.async_update_listeners()

    @callback
    def async_set_state(self, state: PlugState) -> None:
        """Adopt a state a command answered with (the relay endpoint returns one)."""
        self._process(state)
        self.async_set_updated_data(state)
