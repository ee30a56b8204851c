"""One plug in HA: identity, state and settings; push comes from client/push.py, polling only while
no push runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
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
    CommandResult,
    DeviceInfo,
    OblError,
    OblHttpClient,
    OtaProgress,
    OtaState,
    PlugConfig,
    PlugState,
)
from .client.mqtt import Topics
from .client.mqtt_command import PendingCommands, command_message, merged
from .client.payloads import parse_config
from .client.push import MqttHandler, PushCallbacks, PushSession
from .const import (
    CONFIG_REFRESH,
    DOMAIN,
    FOLLOW_UP_SECONDS,
    ISSUE_SAFE_MODE,
    MQTT_COMMAND_HEARD,
    MQTT_COMMAND_TIMEOUT,
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
        self._session: PushSession | None = None
        self.push_connected = False
        self.energy = EnergyTotal()
        # Bumped by every pushed state: a poll that was in flight meanwhile is older (item 11).
        self._push_seq = 0
        self._restart_until: float = 0.0
        self._config_read_at: float = 0.0
        # The plug's count of applied config changes (protocol §3) as last seen; None: not yet,
        # or firmware that does not announce changes.
        self._config_rev: int | None = None
        self._config_task: asyncio.Task[None] | None = None
        self._config_again = False
        self._follow_up: CALLBACK_TYPE | None = None
        self._button_listeners: list[Callable[[ButtonEvent], None]] = []
        self._pending = PendingCommands()  # commands sent over MQTT, waiting for their result

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

    def _process(self, state: PlugState, pushed: bool = False) -> None:
        """Side effects of a new state: OTA progress, repairs, energy sanity, settings."""
        self._track_config(state, pushed)
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

    @callback
    def _track_config(self, state: PlugState, pushed: bool) -> None:
        """Re-read the settings when the plug announces a change (`config_rev`, protocol §3).
        Firmware without it announces nothing: re-read at most every CONFIG_REFRESH with push."""
        rev = state.config_rev
        if rev is None:
            if pushed and self._now() - self._config_read_at >= CONFIG_REFRESH.total_seconds():
                self._config_read_at = self._now()
                self._request_config()
            return
        if self._config_rev is not None and rev != self._config_rev:
            self._request_config()
        self._config_rev = rev

    @callback
    def _request_config(self) -> None:
        """One re-read of the settings; changes announced while it runs coalesce into one more."""
        if self._config_task is not None:
            self._config_again = True
            return
        self._config_task = self.config_entry.async_create_background_task(
            self.hass, self._reread_config(), f"{DOMAIN} {self.info.device_id} config"
        )

    async def _reread_config(self) -> None:
        try:
            self._config_again = True
            while self._config_again:
                self._config_again = False
                await self.async_refresh_config()
        finally:
            self._config_task = None

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

    @property
    def transport(self) -> str:
        """What carries push by choice: mqtt, sse or polling."""
        return self._session.transport.value if self._session else "polling"

    async def async_start_push(self) -> None:
        """MQTT when the plug publishes to a broker HA also uses, else server-sent events."""
        self._session = PushSession(
            self.client,
            self.info.device_id,
            self._callbacks(),
            events="events" in self.info.capabilities or not self.info.capabilities,
            spawn=self._spawn,
            retry_min=PUSH_RETRY_MIN,
            retry_max=PUSH_RETRY_MAX,
            silence=MQTT_SILENCE_FALLBACK.total_seconds(),
        )
        self.config_entry.async_on_unload(self._session.stop)
        if self.plug_config.mqtt_enabled and self.info.mqtt and await self._mqtt_ready():
            session = self._session

            @callback  # HA runs a plain function in its executor, not in the event loop
            def broker(connected: bool) -> None:
                session.mqtt_connection(connected)

            self.config_entry.async_on_unload(
                mqtt.async_subscribe_connection_status(self.hass, broker)
            )
            await self._session.start(self._mqtt_subscribe)
        else:
            await self._session.start(None)

    async def _mqtt_ready(self) -> bool:
        entries = self.hass.config_entries.async_entries("mqtt")
        if not entries or entries[0].state is not ConfigEntryState.LOADED:
            return False
        return await mqtt.async_wait_for_mqtt_client(self.hass)

    async def _mqtt_subscribe(self, topic: str, handler: MqttHandler, qos: int) -> CALLBACK_TYPE:
        @callback
        def on_message(msg: mqtt.ReceiveMessage) -> None:
            handler(msg.payload, msg.retain)

        return await mqtt.async_subscribe(self.hass, topic, on_message, qos=qos, encoding=None)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        return self.config_entry.async_create_background_task(
            self.hass, coro, f"{DOMAIN} {self.info.device_id} {name}"
        )

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
        self._process(state, pushed=True)
        self.async_set_updated_data(state)

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

        @callback
        def unreachable(err: OblError) -> None:
            # The last will came and the plug does not answer either. async_set_update_error
            # logs once; polling notices when the plug is back.
            self._push_down()
            self.async_set_update_error(err)

        @callback
        def result(result: CommandResult) -> None:
            if self._pending.resolve(result):
                return  # our own command's answer, sent over MQTT (async_write)
            if result.cmd == "config" and result.ok:
                # Another MQTT client changed settings: show them now.
                self._request_config()

        return PushCallbacks(
            state=self._push_state,
            button=self._button_event,
            ota=self._ota_event,
            disconnected=disconnected,
            auth_failed=auth_failed,
            malformed=malformed,
            result=result,
            unreachable=unreachable,
            paused=self._push_down,
            restarting=lambda: self.restarting,
            held=lambda: self.data,
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
        document = await self.async_write(
            lambda: self.client.patch_config(changes), "config", changes
        )
        if document is None:  # accepted over MQTT, whose result carries no settings
            document = merged(self.plug_config.raw, changes)
        self.plug_config = parse_config(document)
        self.async_update_listeners()

    # -- commands ------------------------------------------------------------------------

    @property
    def mqtt_commands(self) -> bool:
        """Commands can reach the plug over MQTT: push runs there and the plug was heard."""
        # mqtt_live first: is_connected needs HA's MQTT integration, which push on MQTT implies
        return (
            self._session is not None
            and self._session.mqtt_live(MQTT_COMMAND_HEARD.total_seconds())
            and mqtt.is_connected(self.hass)
        )

    async def async_write[T](
        self, http: Callable[[], Awaitable[T]], name: str, body: Mapping[str, Any]
    ) -> T | None:
        """A command over HTTP; if the plug cannot be reached there while its MQTT is live (a
        plug on a VLAN HA shares only a broker with), the same command over MQTT (§8.3), signed
        where §8.5 asks. None: it went over MQTT (the state it caused arrives as a push, before
        the result). Refusals raise what HTTP would; no result in time raises CannotConnect."""
        try:
            return await http()
        except CannotConnect as err:
            if not self.mqtt_commands:
                raise
            _LOGGER.debug("%s: %s over HTTP failed (%s), now over MQTT", self.name, name, err)
        topic = Topics(self.info.device_id).command(name)
        password = self.client.password

        async def publish(req: str) -> None:
            payload = command_message(topic, name, body, req, password)
            await mqtt.async_publish(self.hass, topic, payload, qos=1)

        await self._pending.send(publish, MQTT_COMMAND_TIMEOUT.total_seconds())
        return None

    @callback
    def async_set_state(self, state: PlugState) -> None:
        """Adopt a state a command answered with (the relay endpoint returns one)."""
        self._process(state)
        self.async_set_updated_data(state)
